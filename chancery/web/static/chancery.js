// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // One footnote open at a time; Escape closes it and returns focus to its marker.
  document.addEventListener("toggle", function (event) {
    var el = event.target;
    if (!el.classList || !el.classList.contains("fn") || !el.open) return;
    document.querySelectorAll("details.fn[open]").forEach(function (other) {
      if (other !== el) other.open = false;
    });
  }, true);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var open = document.querySelector("details.fn[open]");
      if (open) { open.open = false; open.querySelector("summary").focus(); }
    }
    // "/" focuses the search box, as on many search sites.
    if (event.key === "/" && !/INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) {
      var box = document.getElementById("q");
      if (box) { event.preventDefault(); box.focus(); box.select(); }
    }
  });
  // Copy buttons beside each citation.
  if (navigator.clipboard) {
    document.querySelectorAll(".citation pre").forEach(function (pre) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy";
      button.textContent = "Copy";
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(pre.textContent).then(function () { button.textContent = "Copied"; });
      });
      pre.parentNode.insertBefore(button, pre.nextSibling);
    });
  }
  // "Related across archives": fetch the list in place instead of leaving the page.
  var related = document.querySelector("a.related-link[data-api]");
  if (related && window.fetch) {
    related.addEventListener("click", function (event) {
      event.preventDefault();
      related.textContent = "Looking for related documents…";
      fetch(related.dataset.api).then(function (r) { return r.ok ? r.json() : Promise.reject(r); }).then(function (body) {
        var list = document.createElement("ul");
        list.className = "related-list";
        (body.related || []).forEach(function (item) {
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = "/documents/" + item.id.split("/").map(encodeURIComponent).join("/");
          a.textContent = item.title || item.id;
          li.appendChild(a);
          var extra = [item.date, item.collection].filter(Boolean).join(" · ");
          if (item.why && item.why.length) extra += " (" + item.why.join("; ") + ")";
          if (extra) li.appendChild(document.createTextNode(" · " + extra));
          list.appendChild(li);
        });
        if (!list.children.length) { list = document.createElement("p"); list.textContent = "No related documents found."; }
        related.parentNode.replaceWith(list);
      }).catch(function () { window.location = related.href; });
    });
  }
})();
