// The reader's page images: a page marker (or thumbnail) shows its page's image, the image links
// back to its page in the text, and the image follows the page being read as the text scrolls.
(() => {
  const view = document.querySelector(".page-view");
  if (!view) return;
  const image = view.querySelector(".page-image");
  const imageLink = view.querySelector(".page-image-link");
  const number = view.querySelector(".page-image-n");
  const toText = view.querySelector(".page-image-text");
  const markers = Array.from(document.querySelectorAll(".doc-text a.page-marker[data-image]"));
  const thumbs = Array.from(view.querySelectorAll(".page-thumbs a[data-page]"));
  const byPage = new Map(markers.map((m) => [m.dataset.page, m.dataset.image]));
  let shownAt = 0;

  function show(n, manual) {
    const src = byPage.get(n);
    if (!src) return;
    if (manual) shownAt = Date.now();
    if (image.getAttribute("src") !== src) image.setAttribute("src", src);
    image.setAttribute("alt", `Page ${n} of the original`);
    image.dataset.page = n;
    imageLink.setAttribute("href", src);
    number.textContent = n;
    toText.setAttribute("href", `#page-${n}`);
    markers.forEach((m) => m.classList.toggle("current", m.dataset.page === n));
    thumbs.forEach((t) => {
      if (t.dataset.page === n) {
        t.setAttribute("aria-current", "page");
        t.scrollIntoView({ block: "nearest", inline: "nearest" });
      } else t.removeAttribute("aria-current");
    });
  }

  markers.forEach((m) =>
    m.addEventListener("click", (event) => {
      event.preventDefault();
      show(m.dataset.page, true);
      history.replaceState(null, "", `#page-${m.dataset.page}`);
    }),
  );
  thumbs.forEach((t) => t.addEventListener("click", () => show(t.dataset.page, true)));

  function fromHash() {
    const m = /^#page-(.+)$/.exec(location.hash);
    if (m) show(decodeURIComponent(m[1]), true);
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();

  // While reading: the last page marker above the upper third of the window is the page in view.
  let scrolledTo = null;
  let pending = false;
  window.addEventListener(
    "scroll",
    () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        if (Date.now() - shownAt < 800) return; // just chosen by hand
        const line = window.innerHeight / 3;
        let current = markers[0];
        for (const m of markers) {
          if (m.getBoundingClientRect().top <= line) current = m;
          else break;
        }
        if (current && current.dataset.page !== scrolledTo) {
          scrolledTo = current.dataset.page;
          show(scrolledTo, false);
        }
      });
    },
    { passive: true },
  );
})();
