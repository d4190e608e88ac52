// The reader's notes, tags and star: passages with annotations are highlighted in the text (each
// linked to its entry in the list), a selected passage can be noted or tagged, a star toggled.
// Offsets count the document's own text only: page markers and footnote markers are skipped.
(() => {
  const text = document.querySelector(".doc-text");
  const panel = document.querySelector("aside.annotations");
  if (!text || !panel) return;
  const SKIP = ".page-marker, details.fn";
  const csrf = document.querySelector('meta[name="csrf-token"]');

  function send(method, url, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (csrf) headers["X-CSRF-Token"] = csrf.getAttribute("content");
    return fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  function textNodes() {
    const nodes = [];
    const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      nodes.push({ node: n, counted: !n.parentElement.closest(SKIP) });
    }
    return nodes;
  }

  // The offset in the document's text of a DOM boundary point inside .doc-text.
  function offsetOf(container, offset) {
    const point = document.createRange();
    point.setStart(container, offset);
    let total = 0;
    for (const { node, counted } of textNodes()) {
      if (node === container) return total + (counted ? offset : 0);
      if (point.comparePoint(node, 0) > 0) return total;
      if (counted) total += node.data.length;
    }
    return total;
  }

  function highlight(start, end, id) {
    let at = 0;
    for (const { node, counted } of textNodes()) {
      if (!counted) continue;
      const from = Math.max(start - at, 0);
      const to = Math.min(end - at, node.data.length);
      at += node.data.length;
      if (from >= to) continue;
      let piece = node;
      if (from > 0) piece = piece.splitText(from);
      if (to - from < piece.data.length) piece.splitText(to - from);
      const mark = document.createElement("mark");
      mark.className = "annotated";
      mark.dataset.annotation = id;
      mark.title = "Annotated: see the note";
      piece.parentNode.insertBefore(mark, piece);
      mark.appendChild(piece);
      if (at >= end) break;
    }
  }

  const items = Array.from(panel.querySelectorAll("li.annotation[data-start]"));
  items.forEach((li) => highlight(Number(li.dataset.start), Number(li.dataset.end), li.dataset.id));
  text.addEventListener("click", (event) => {
    const mark = event.target.closest("mark.annotated");
    if (!mark) return;
    const li = document.getElementById(`annotation-${mark.dataset.annotation}`);
    if (li) {
      li.classList.add("current");
      li.scrollIntoView({ block: "nearest" });
      setTimeout(() => li.classList.remove("current"), 2000);
    }
  });

  // -- selecting and adding ----------------------------------------------------------------
  const form = panel.querySelector(".annotate-form");
  let passage = null; // {start, end, quote} of the last selection inside the text
  function takeSelection() {
    const sel = window.getSelection();
    if (!form || !sel || sel.isCollapsed || !sel.rangeCount) return;
    const range = sel.getRangeAt(0);
    if (!text.contains(range.startContainer) || !text.contains(range.endContainer)) return;
    const start = offsetOf(range.startContainer, range.startOffset);
    const end = offsetOf(range.endContainer, range.endOffset);
    if (end <= start) return;
    const own = textNodes().filter((t) => t.counted).map((t) => t.node.data).join("");
    passage = { start, end, quote: own.slice(start, end) };
    const shown = passage.quote.length > 140 ? `${passage.quote.slice(0, 140)}…` : passage.quote;
    form.querySelector(".annotate-quote").textContent = `On the passage: “${shown}”`;
    form.classList.add("has-passage");
  }
  text.addEventListener("mouseup", takeSelection);
  text.addEventListener("keyup", takeSelection);
  document.addEventListener("selectionchange", () => {
    const sel = window.getSelection();
    if (sel && !sel.isCollapsed && text.contains(sel.anchorNode)) takeSelection();
  });

  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const kind = event.submitter ? event.submitter.value : "note";
      const value = form.querySelector("textarea").value.trim();
      const error = form.querySelector(".annotate-error");
      if (!value) return;
      const body = { kind, value };
      const share = form.querySelector("select[name=shared_with]");
      if (share && share.value) body.shared_with = share.value;
      // the quote too: the server falls back on it should its offsets differ from the page's
      if (passage) Object.assign(body, passage);
      const response = await send("POST", panel.dataset.api, body);
      if (response.ok) {
        window.location.reload();
        return;
      }
      const data = await response.json().catch(() => ({}));
      error.textContent = (data.error && data.error.message) || `Could not save (${response.status})`;
      error.hidden = false;
    });
  }

  panel.addEventListener("click", async (event) => {
    const button = event.target.closest(".annotation-delete");
    if (!button) return;
    const li = button.closest("li.annotation");
    const response = await send("DELETE", `${panel.dataset.api}/${encodeURIComponent(li.dataset.id)}`);
    if (response.ok) window.location.reload();
  });

  const star = document.querySelector(".star-button");
  if (star) {
    star.addEventListener("click", async () => {
      const response = await send("POST", star.dataset.api);
      if (!response.ok) return;
      const data = await response.json();
      star.setAttribute("aria-pressed", data.starred ? "true" : "false");
      star.textContent = data.starred ? "★ Starred" : "☆ Star";
    });
  }
})();
