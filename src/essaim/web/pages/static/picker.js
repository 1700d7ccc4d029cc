// Search as you type in a canned query's form (essaim.web.pages.pickers): the list under a
// search field follows its words, from the full-text search of the resources of the parameter's
// class (/api/search with the class as kinds). The form works the same without this script:
// its Find button asks the server for the matches. Labels go in as text, never as markup.
(function () {
  "use strict";
  var DELAY = 200;

  function setUp(holder) {
    var name = holder.dataset.picker;
    var kinds = (holder.dataset.kinds || "").split(" ").filter(Boolean);
    var words = document.getElementById("q-" + name);
    var list = document.getElementById("p-" + name);
    var status = document.getElementById("s-" + name);
    var form = holder.closest("form");
    var timer = null;
    var asked = 0;

    function fill(hits) {
      var chosen = list.value;
      var kept = [];
      Array.prototype.forEach.call(list.options, function (option) {
        if (option.value === "" || option.value === chosen) kept.push(option);
      });
      list.textContent = "";
      kept.forEach(function (option) { list.appendChild(option); });
      hits.forEach(function (hit) {
        if (hit.iri === chosen) return;
        var option = document.createElement("option");
        option.value = hit.iri;
        option.textContent = hit.label;
        list.appendChild(option);
      });
      list.size = Math.min(Math.max(list.options.length, 3), 9);
    }

    function search() {
      var text = words.value.trim();
      var mine = ++asked;
      if (!text) { fill([]); status.textContent = ""; return; }
      var params = new URLSearchParams({ q: text, limit: "30" });
      kinds.forEach(function (kind) { params.append("kind", kind); });
      fetch("/api/search?" + params.toString(), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body || mine !== asked) return;
          fill(body.hits);
          var template = body.hits.length ? holder.dataset.matches : holder.dataset.none;
          status.textContent = (template || "").replace("{n}", String(body.hits.length));
        })
        .catch(function () { /* the Find button still works */ });
    }

    words.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DELAY);
    });
    words.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "Enter") {
        event.preventDefault();  // Enter here searches and goes to the list, it does not run
        window.clearTimeout(timer);
        if (event.key === "Enter") search();
        list.focus();
        if (list.selectedIndex < 0 && list.options.length > 1) list.selectedIndex = 1;
      }
    });
    list.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && form) {
        event.preventDefault();  // Enter on the list runs the query with the chosen resource
        var run = form.querySelector("button[name=run]:not(.visually-hidden)");
        if (form.requestSubmit) form.requestSubmit(run); else run.click();
      }
    });
  }

  document.querySelectorAll("[data-picker]").forEach(setUp);
})();
