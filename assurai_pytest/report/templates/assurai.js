(function () {
  // Static: every value it reads comes from escaped attributes or the JSON case data, and it writes
  // case texts with textContent only, so model output never becomes markup.
  var box = document.getElementById("assurai-filter");
  if (!box) { return; }
  var regressed = JSON.parse(box.getAttribute("data-regressed"));
  var data = null;  // the case details, once unpacked (see load)
  var template = document.getElementById("assurai-case-template");
  var factorSel = box.querySelector("select[name=factor]");
  var showSel = box.querySelector("select[name=show]");
  var text = box.querySelector("input[name=text]");
  var count = box.querySelector(".assurai-count");

  // This script runs before pytest-html's app.js, which draws every row of the table at load. With
  // thousands of case rows that takes seconds, so a large run opens with only the rows that did not
  // pass (the gates, errors) drawn; "Passed" above the table, or any filter below, draws the rest.
  var passedHidden = false;
  var url = new URL(window.location.href);
  if (+box.getAttribute("data-rows") > +box.getAttribute("data-large") && url.searchParams.get("visible") === null) {
    url.searchParams.set("visible", "failed,error,skipped,xfailed,xpassed,rerun");
    window.history.replaceState({}, "", url.href);
    passedHidden = true;
  }
  function showPassed() {
    var passed = document.querySelector("input[data-test-result=passed]");
    if (passed && !passed.checked) { passed.click(); }
  }

  // pytest-html puts its environment table first on the page; the verdict matters more.
  var env = document.getElementById("assurai-environment");
  ["environment-header", "environment"].forEach(function (id) {
    var el = document.getElementById(id);
    if (env && el) { env.appendChild(el); }
  });

  function attr(row, name) {
    var el = row.querySelector("[" + name + "]");
    return el ? el.getAttribute(name) : "";
  }
  function matches(row, cells, factor, show, needle) {
    var f = attr(row, "data-f");
    var v = attr(row, "data-v");
    if (factor && f !== factor) { return false; }
    if (show === "regressed") {
      if (v !== "regressed" && regressed.factors.indexOf(f) < 0 &&
          regressed.cases.indexOf(attr(row, "data-c")) < 0) { return false; }
    } else if (show && v !== show) { return false; }
    return !needle || (row.id + " " + cells.textContent).toLowerCase().indexOf(needle) >= 0;
  }
  function textOf(i) { return data.texts[i]; }
  function put(node, key, value) {
    var slot = node.querySelector("[data-k=" + key + "]");
    if (slot) { slot.textContent = value; }
  }
  function repeat(node, selector, values, keys) {
    var proto = node.querySelector(selector);
    if (!proto) { return; }
    for (var i = 0; i + keys.length <= values.length; i += keys.length) {
      var copy = proto.cloneNode(true);
      for (var k = 0; k < keys.length; k++) { put(copy, keys[k], textOf(values[i + k])); }
      proto.parentNode.insertBefore(copy, proto);
    }
    proto.parentNode.removeChild(proto);
  }
  // One case's details, drawn from the row template when its row is first shown open.
  function details(id) {
    var entry = data.cases[id];
    if (!entry || !template) { return null; }
    var node = template.content.firstElementChild.cloneNode(true);
    var values = {};
    data.fields.forEach(function (name, i) { values[name] = entry[i]; });
    data.fields.forEach(function (name) {
      if (typeof values[name] === "number") { put(node, name, textOf(values[name])); }
    });
    repeat(node, "pre.assurai-turn", values.turns, ["role", "text"]);
    if (values.votes.length) { repeat(node, "tr.assurai-vote", values.votes, ["vjudge", "vscore", "vlabel", "vreason"]); }
    [["before_text", ".assurai-before"], ["reasoning", ".assurai-reasoning"], ["error", ".assurai-error"],
     ["votes", ".assurai-votes"]].forEach(function (p) {
      var empty = typeof values[p[0]] === "number" ? !textOf(values[p[0]]) : !values[p[0]].length;
      var el = node.querySelector(p[1]);
      if (empty && el) { el.parentNode.removeChild(el); }
    });
    return node;
  }
  // The case data is gzipped JSON in base64 (html.case_data); the browser unpacks it off the main path.
  function load() {
    var node = document.getElementById("assurai-case-data");
    if (!node || typeof DecompressionStream === "undefined") {
      if (node) {
        var note = document.createElement("p");
        note.className = "assurai-why";
        note.textContent = "This browser cannot unpack the case details (no DecompressionStream): " +
                           "read them in the --assurai-results file.";
        box.appendChild(note);
      }
      window.assuraiReady = true;
      return;
    }
    var raw = atob(node.textContent.trim()), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    new Response(stream).text().then(function (json) {
      data = JSON.parse(json);
      fill();
      window.assuraiReady = true;
    });
  }
  function fill() {
    if (!data) { return; }
    var rows = document.querySelectorAll("#results-table tbody.results-table-row");
    for (var i = 0; i < rows.length; i++) {
      var extras = rows[i].querySelector("tr.extras-row");
      var slot = rows[i].querySelector(".extraHTML");
      if (!extras || !slot || extras.classList.contains("hidden") || slot.querySelector(".assurai-case")) { continue; }
      var node = details(attr(rows[i], "data-c"));
      if (node) { slot.appendChild(node); }
    }
  }
  function apply() {
    var factor = factorSel.value, show = showSel.value, needle = text.value.trim().toLowerCase();
    if (passedHidden && (factor || show || needle)) { passedHidden = false; showPassed(); return; }
    var rows = document.querySelectorAll("#results-table tbody.results-table-row");
    var shown = 0, total = 0;
    for (var i = 0; i < rows.length; i++) {
      var cells = rows[i].querySelector("tr.collapsible");
      if (!cells) { continue; }
      total++;
      var ok = matches(rows[i], cells, factor, show, needle);
      rows[i].style.display = ok ? "" : "none";
      if (ok) { shown++; }
    }
    count.textContent = (factor || show || needle) ? shown + " of " + total + " rows shown" : "";
    fill();
  }
  function clear() { factorSel.value = ""; showSel.value = ""; text.value = ""; apply(); }
  document.getElementById("assurai-summary").addEventListener("click", function (ev) {
    var el = ev.target;
    if (el.hasAttribute("data-assurai-goto")) {
      // A worst case in the gate table: open its one entry in the worst-case list (the link scrolls).
      var target = document.getElementById((el.getAttribute("href") || "#").slice(1));
      if (target) { target.open = true; }
    } else if (el.hasAttribute("data-assurai-clear")) { clear(); }
  });
  box.addEventListener("change", apply);
  box.addEventListener("input", apply);
  new MutationObserver(apply).observe(document.body, {childList: true});
  load();
})();
