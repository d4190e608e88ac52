// Entity review on the entity page: find an entity and merge it into this one; confirm or reject
// a mention. Posts JSON to /api/review/..., with the CSRF token of <meta name="csrf-token"> when
// the page has one, then reloads (or opens the surviving entity's page).
(function () {
  "use strict";
  var section = document.getElementById("review");
  if (!section) return;
  var entity = section.dataset.entity;
  var status = document.getElementById("review-status");

  function post(url, body) {
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) headers["X-CSRF-Token"] = meta.content;
    return fetch(url, { method: "POST", headers: headers, body: JSON.stringify(body), credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) throw new Error((data.error && data.error.message) || response.statusText);
          return data;
        });
      });
  }

  function say(text) { if (status) status.textContent = text; }

  var form = document.getElementById("merge-form");
  var list = document.getElementById("merge-candidates");
  if (form && list) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var q = document.getElementById("merge-q").value.trim();
      if (!q) return;
      var url = "/api/review/entities?" + new URLSearchParams({ q: q, type: section.dataset.type, exclude: entity });
      fetch(url, { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          list.textContent = "";
          (data.entities || []).forEach(function (found) {
            var item = document.createElement("li");
            var link = document.createElement("a");
            link.href = found.url;
            link.textContent = found.name;
            var code = document.createElement("code");
            code.textContent = " " + found.id + " ";
            var button = document.createElement("button");
            button.type = "button";
            button.textContent = "Merge into this entity";
            button.setAttribute("aria-label", "Merge " + found.name + " into this entity");
            button.addEventListener("click", function () {
              button.disabled = true;
              say("Merging…");
              post("/api/review/merge", { keep: entity, fold: found.id, note: document.getElementById("merge-note").value || null })
                .then(function (done) { window.location.assign(done.url); })
                .catch(function (error) { button.disabled = false; say("Not merged: " + error.message); });
            });
            item.append(link, code, button);
            list.append(item);
          });
          if (!list.children.length) say("No other entity found for “" + q + "”.");
          else say("");
        })
        .catch(function (error) { say("Search failed: " + error.message); });
    });
  }

  section.querySelectorAll("button[data-judge]").forEach(function (button) {
    button.addEventListener("click", function () {
      var item = button.closest("li.mention");
      button.disabled = true;
      post("/api/review/mention", {
        kind: button.dataset.judge,
        doc_id: item.dataset.doc,
        start: Number(item.dataset.start),
        end: Number(item.dataset.end),
      })
        .then(function () { window.location.reload(); })
        .catch(function (error) { button.disabled = false; say("Not judged: " + error.message); });
    });
  });
})();
