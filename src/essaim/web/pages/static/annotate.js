/* The annotation page with JavaScript: Recogito's text annotator (served by this node from the
   npm package @recogito/text-annotator) draws the codes as highlights coloured by code family and
   lets a coder select a passage; this script picks the concept (a searchable list of the
   codebook's codable concepts: French and English labels, altLabels, definitions on hover), the
   statement mode and a memo, and saves a W3C Web Annotation through POST /api/annotations/ with
   the session's CSRF token. Positions: the annotator counts UTF-16 units, essaim code points;
   EssaimOffsets (offsets.js) converts at this boundary. Without JavaScript the page shows the
   same text and codes, rendered by the server. */
(function () {
  "use strict";
  var configElement = document.getElementById("annotate-config");
  var container = document.getElementById("case-text");
  if (!configElement || !container || !window.RecogitoJS || !window.EssaimOffsets) return;
  var config = JSON.parse(configElement.textContent);
  var CODEBOOK = "https://w3id.org/essaim/codebook/";
  var CONTAINER = "/api/annotations/";
  var MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"';
  var COLOURS = {
    "barrier": "#c0392b", "success-factor": "#1e8449", "condition": "#ca6f1e",
    "impact": "#2471a3", "scaling-strategy": "#7d3c98", "scaling-outcome": "#7d3c98",
    "scaling-result": "#7d3c98", "value": "#566573", "sector": "#566573", "other": "#b7950b"
  };
  var lang = (document.documentElement.lang || "fr").slice(0, 2);
  var other = lang === "fr" ? "en" : "fr";
  var text = container.textContent;
  var offsets = EssaimOffsets.converter(text);
  if (offsets.length !== config.length) {
    console.error("essaim: the page's text is not the document's; coding disabled");
    return;
  }
  var concepts = {};
  config.codebook.forEach(function (c) { concepts[c.iri] = c; });

  function family(concept) {
    var entry = concepts[concept];
    var scheme = entry ? entry.scheme : "";
    var name = scheme.indexOf(CODEBOOK) === 0 ? scheme.slice(CODEBOOK.length) : "";
    return COLOURS[name] ? name : "other";
  }
  function pick(values) { return values ? (values[lang] || values[other] || values[""] || "") : ""; }
  function labelOf(concept) { return pick((concepts[concept] || {}).label) || concept; }
  function fold(value) {
    return value.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  // -- the highlights ------------------------------------------------------------------------
  var info = {};  // annotation id -> {concept, creator}
  container.classList.add("enhanced");
  var anno = RecogitoJS.createTextAnnotator(container, {
    user: { id: config.user },
    style: function (annotation, state) {
      var known = info[annotation.id];
      var colour = known ? COLOURS[family(known.concept)] : "#f1c40f";
      return { fill: colour, fillOpacity: state && state.selected ? 0.5 : 0.3 };
    }
  });

  function internal(json) {
    var selectors = json.target.selector;
    var position = selectors.filter(function (s) { return s.type === "TextPositionSelector"; })[0];
    var quote = selectors.filter(function (s) { return s.type === "TextQuoteSelector"; })[0];
    var body = Array.isArray(json.body) ? json.body[0] : json.body;
    info[json.id] = { concept: body, creator: json.creator };
    return {
      id: json.id,
      bodies: [{ id: json.id + "#concept", annotation: json.id, purpose: "classifying",
                 value: body }],
      target: {
        annotation: json.id,
        creator: { id: json.creator },
        created: json.created,
        selector: [{ quote: quote.exact, start: offsets.toUnits(position.start),
                     end: offsets.toUnits(position.end) }]
      }
    };
  }

  var shown = 0;
  function marked() {
    container.setAttribute("data-highlights", String(shown));
  }
  function fetchJson(url) {
    return fetch(url, {
      credentials: "same-origin", headers: { Accept: MEDIA_TYPE }
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }
  // Every page of the collection (the container pages by 200), following "next".
  function allItems(page, items) {
    items = items.concat(page.items || []);
    return page.next ? fetchJson(page.next).then(function (p) { return allItems(p, items); })
                     : items;
  }
  // The page embeds the annotations the reader may see (as the container lists them): drawn
  // at once, with no request; a page without them asks the container.
  var loaded = Array.isArray(config.annotations) ? Promise.resolve(config.annotations)
    : fetchJson(CONTAINER + "?" + new URLSearchParams({ document: config.document }))
      .then(function (collection) { return allItems(collection.first || {}, []); });
  loaded.then(function (items) {
    var coded = items.filter(function (a) {
      return a.codingStatus !== CODEBOOK + "coding-status/suggested" && a.anchored !== false;
    });
    anno.setAnnotations(coded.map(internal));
    shown = coded.length;
    applyFilter();
    marked();
  }).catch(function (error) {
    status("⚠ " + error.message);
  });

  // -- filters: by coder and by concept, on the highlights, without reloading ---------------
  var coderFilter = document.getElementById("filter-coder");
  var conceptFilter = document.getElementById("filter-concept");
  function applyFilter() {
    var coder = coderFilter ? coderFilter.value : "";
    var concept = conceptFilter ? conceptFilter.value : "";
    anno.setFilter(function (annotation) {
      var known = info[annotation.id];
      if (!known) return true;
      return (!coder || known.creator === coder) && (!concept || known.concept === concept);
    });
    var items = document.querySelectorAll("#code-list > li");
    Array.prototype.forEach.call(items, function (li) {
      var id = li.getAttribute("data-id");
      var known = id ? info[id] : null;
      li.hidden = !!known && !((!coder || known.creator === coder) &&
                               (!concept || known.concept === concept));
    });
  }
  [coderFilter, conceptFilter].forEach(function (select) {
    if (select) select.addEventListener("change", applyFilter);
  });

  // -- the coding panel ----------------------------------------------------------------------
  var panel = document.getElementById("coding-panel");
  var quoteView = document.getElementById("coding-quote");
  var search = document.getElementById("concept-search");
  var list = document.getElementById("concept-list");
  var modeSelect = document.getElementById("coding-mode");
  var memo = document.getElementById("coding-memo");
  var save = document.getElementById("coding-save");
  var cancel = document.getElementById("coding-cancel");
  var statusLine = document.getElementById("coding-status");
  var pending = null;  // the annotator's annotation of the selected passage
  var chosen = null;   // the concept picked
  var active = -1;     // the highlighted item of the list (keyboard)

  function status(message) { statusLine.textContent = message; }

  config.modes.forEach(function (mode) {
    var option = document.createElement("option");
    option.value = mode.iri;
    option.textContent = pick(mode.label);
    modeSelect.appendChild(option);
  });

  var entries = config.codebook.map(function (c) {
    var names = [c.label.fr, c.label.en].concat(c.alt.fr || [], c.alt.en || []);
    var more = [pick(c.schemeTitle), c.definition.fr, c.definition.en];
    return { concept: c, names: fold(names.filter(Boolean).join(" | ")),
             haystack: fold(names.concat(more).filter(Boolean).join(" | ")) };
  });

  /* The concepts matching every word typed: those whose labels or altLabels hold them first,
     then those whose definitions do; each group in the codebook's order. */
  function matching() {
    var terms = fold(search.value).split(/\s+/).filter(Boolean);
    var byName = [], byDefinition = [];
    entries.forEach(function (entry) {
      var has = function (where) {
        return terms.every(function (t) { return where.indexOf(t) >= 0; });
      };
      if (has(entry.names)) byName.push(entry);
      else if (has(entry.haystack)) byDefinition.push(entry);
    });
    return byName.concat(byDefinition);
  }

  function render() {
    list.textContent = "";
    var shownItems = 0;
    matching().forEach(function (entry) {
      var c = entry.concept;
      var item = document.createElement("li");
      item.setAttribute("role", "option");
      item.id = "concept-option-" + shownItems;
      item.className = "family-" + family(c.iri);
      item.dataset.concept = c.iri;
      var name = document.createElement("strong");
      name.textContent = pick(c.label);
      item.appendChild(name);
      var more = document.createElement("span");
      more.className = "muted";
      var alt = (c.alt[lang] || []).concat(c.alt[other] || []);
      more.textContent = " " + (c.label[other] ? "· " + c.label[other] : "") +
        (alt.length ? " · " + alt.slice(0, 4).join(", ") : "") + " — " + pick(c.schemeTitle);
      item.appendChild(more);
      item.title = [c.definition[lang], c.definition[other]].filter(Boolean).join("\n\n");
      if (chosen === c.iri) item.setAttribute("aria-selected", "true");
      item.addEventListener("mousedown", function (event) { event.preventDefault(); });
      item.addEventListener("click", function () { choose(c.iri); });
      list.appendChild(item);
      shownItems++;
    });
    active = Math.min(active, shownItems - 1);
    highlightActive();
  }

  function highlightActive() {
    var items = list.querySelectorAll("li");
    Array.prototype.forEach.call(items, function (li, i) {
      li.classList.toggle("active", i === active);
    });
    if (active >= 0 && items[active]) {
      search.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    } else {
      search.removeAttribute("aria-activedescendant");
    }
  }

  function choose(concept) {
    chosen = concept;
    save.disabled = pending === null;
    Array.prototype.forEach.call(list.querySelectorAll("li"), function (li) {
      li.setAttribute("aria-selected", li.dataset.concept === concept ? "true" : "false");
    });
    status(labelOf(concept));
  }

  function open(annotation) {
    pending = annotation;
    chosen = null;
    active = -1;
    var selector = annotation.target.selector[0];
    quoteView.textContent = selector.quote;
    memo.value = "";
    search.value = "";
    save.disabled = true;
    status("");
    panel.hidden = false;
    render();
    search.focus();
  }

  function close() {
    if (pending) anno.removeAnnotation(pending.id);
    pending = null;
    chosen = null;
    panel.hidden = true;
  }

  search.addEventListener("input", function () { active = -1; render(); });
  search.addEventListener("keydown", function (event) {
    var items = list.querySelectorAll("li");
    if (event.key === "ArrowDown") {
      active = Math.min(active + 1, items.length - 1);
      highlightActive();
      event.preventDefault();
    } else if (event.key === "ArrowUp") {
      active = Math.max(active - 1, 0);
      highlightActive();
      event.preventDefault();
    } else if (event.key === "Enter" && !(event.ctrlKey || event.metaKey)) {
      if (active >= 0 && items[active]) choose(items[active].dataset.concept);
      else if (items.length === 1) choose(items[0].dataset.concept);
      event.preventDefault();
    }
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { close(); event.preventDefault(); }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !save.disabled) {
      save.click();
      event.preventDefault();
    }
  });
  cancel.addEventListener("click", close);

  anno.on("createAnnotation", function (annotation) {
    if (pending && pending.id !== annotation.id) anno.removeAnnotation(pending.id);
    open(annotation);
  });

  save.addEventListener("click", function () {
    if (!pending || !chosen) return;
    var selector = pending.target.selector[0];
    var start, end;
    try {
      start = offsets.toCodePoints(selector.start);
      end = offsets.toCodePoints(selector.end);
    } catch (error) {
      status("⚠ " + error.message);
      return;
    }
    var body = [chosen];
    if (memo.value.trim()) {
      body.push({ type: "TextualBody", value: memo.value.trim(), purpose: "commenting" });
    }
    var annotation = {
      "@context": "http://www.w3.org/ns/anno.jsonld",
      type: "Annotation",
      motivation: "classifying",
      body: body.length === 1 ? body[0] : body,
      target: {
        source: config.document,
        selector: [
          { type: "TextPositionSelector", start: start, end: end },
          { type: "TextQuoteSelector", exact: selector.quote }
        ]
      }
    };
    if (modeSelect.value) annotation.statementMode = modeSelect.value;
    save.disabled = true;
    fetch(CONTAINER, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": MEDIA_TYPE, "X-CSRF-Token": config.csrf, Accept: MEDIA_TYPE },
      body: JSON.stringify(annotation)
    }).then(function (response) {
      return response.json().then(function (json) { return { ok: response.ok, json: json }; });
    }).then(function (result) {
      if (!result.ok) {
        save.disabled = false;
        status("⚠ " + (result.json.detail || "refused") +
               (result.json.field ? " (" + result.json.field + ")" : ""));
        return;
      }
      var stored = result.json;
      anno.removeAnnotation(pending.id);
      pending = null;
      anno.addAnnotation(internal(stored));
      shown++;
      marked();
      addToList(stored);
      panel.hidden = true;
      status("");
      container.setAttribute("data-saved", stored.id);
    }).catch(function (error) {
      save.disabled = false;
      status("⚠ " + error.message);
    });
  });

  function addToList(stored) {
    var codeList = document.getElementById("code-list");
    var item = document.createElement("li");
    item.className = "family-" + family(info[stored.id].concept);
    item.dataset.id = stored.id;
    var name = document.createElement("strong");
    name.textContent = labelOf(info[stored.id].concept);
    var position = stored.target.selector.filter(function (s) {
      return s.type === "TextPositionSelector";
    })[0];
    var meta = document.createElement("span");
    meta.className = "muted";
    meta.textContent = " " + (config.pseudonyms[stored.creator] || "") +
      (stored.statementMode ? " · " + stored.statementMode.split("/").pop() : "") +
      " · " + position.start + "–" + position.end;
    var quote = document.createElement("q");
    quote.textContent = stored.target.selector[0].exact;
    item.appendChild(name);
    item.appendChild(meta);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(quote);
    codeList.appendChild(item);
  }

  // The server-rendered list items know their annotation by IRI; the API's by URL.
  Array.prototype.forEach.call(document.querySelectorAll("#code-list > li"), function (li) {
    var iri = li.getAttribute("data-annotation");
    if (iri) li.setAttribute("data-id", location.origin + CONTAINER + iri.split("/").pop());
  });
})();
