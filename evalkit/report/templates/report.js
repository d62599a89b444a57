// Sort and filter the per-row table. State lives in the URL hash
// (#filter=TEXT&show=errors&sort=COL:asc), so a link reopens the same view.
(function () {
  "use strict";
  var table = document.getElementById("row-table");
  if (!table) { document.body.setAttribute("data-ready", "1"); return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var filter = document.getElementById("filter");
  var show = document.getElementById("show");
  var count = document.getElementById("row-count");
  var heads = table.tHead.rows[0].cells;
  var sortState = null;

  function cellKey(row, col, numeric) {
    var cell = row.cells[col];
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    if (numeric) {
      var n = parseFloat(raw);
      return isNaN(n) ? null : n;
    }
    return raw.trim().toLowerCase();
  }

  function sortBy(col, dir) {
    var numeric = heads[col].getAttribute("data-type") === "number";
    var sign = dir === "desc" ? -1 : 1;
    var keyed = rows.map(function (r, i) { return [cellKey(r, col, numeric), i, r]; });
    keyed.sort(function (x, y) {
      if (x[0] === y[0]) { return x[1] - y[1]; }
      if (x[0] === null) { return 1; }          // empty cells last, either way
      if (y[0] === null) { return -1; }
      return (x[0] < y[0] ? -1 : 1) * sign;
    });
    keyed.forEach(function (k) { body.appendChild(k[2]); });
    for (var i = 0; i < heads.length; i++) { heads[i].classList.remove("asc", "desc"); }
    heads[col].classList.add(dir);
    sortState = col + ":" + dir;
  }

  function matches(row, text, mode) {
    if (mode === "errors" && row.getAttribute("data-errors") !== "1") { return false; }
    var changes = row.getAttribute("data-changes") || "";
    if (mode === "changed" && !changes) { return false; }
    if ((mode === "better" || mode === "worse") && changes.split(" ").indexOf(mode) < 0) {
      return false;
    }
    return !text || row.textContent.toLowerCase().indexOf(text) >= 0;
  }

  function apply() {
    var text = filter.value.trim().toLowerCase();
    var mode = show.value;
    var visible = 0;
    rows.forEach(function (r) {
      var ok = matches(r, text, mode);
      r.classList.toggle("hidden", !ok);
      if (ok) { visible += 1; }
    });
    count.textContent = visible + " of " + rows.length + " rows";
    count.setAttribute("data-visible", String(visible));
  }

  function saveHash() {
    var parts = [];
    if (filter.value) { parts.push("filter=" + encodeURIComponent(filter.value)); }
    if (show.value !== "all") { parts.push("show=" + show.value); }
    if (sortState) { parts.push("sort=" + sortState); }
    history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname + location.search);
  }

  function loadHash() {
    location.hash.replace(/^#/, "").split("&").forEach(function (part) {
      var i = part.indexOf("=");
      if (i < 0) { return; }
      var key = part.slice(0, i), value = decodeURIComponent(part.slice(i + 1));
      if (key === "filter") { filter.value = value; }
      if (key === "show" && show.querySelector('option[value="' + value + '"]')) { show.value = value; }
      if (key === "sort") {
        var s = value.split(":"), col = parseInt(s[0], 10);
        if (col >= 0 && col < heads.length) { sortBy(col, s[1] === "desc" ? "desc" : "asc"); }
      }
    });
  }

  Array.prototype.forEach.call(heads, function (th, col) {
    th.addEventListener("click", function () {
      sortBy(col, th.classList.contains("asc") ? "desc" : "asc");
      saveHash();
    });
  });
  filter.addEventListener("input", function () { apply(); saveHash(); });
  show.addEventListener("change", function () { apply(); saveHash(); });
  loadHash();
  apply();
  document.body.setAttribute("data-ready", "1");
})();
