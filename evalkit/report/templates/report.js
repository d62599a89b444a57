// Sort and filter the per-row table. State lives in the URL hash
// (#filter=TEXT&show=errors&sort=COL:asc&page=N), so a link reopens the same view. The table
// is shown a page at a time: a big run's report stays quick to scroll and to filter.
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
  var pager = document.getElementById("pager");
  var pageSize = parseInt(pager.getAttribute("data-page-size"), 10) || 100;
  var pageInfo = document.getElementById("page-info");
  var prevPage = document.getElementById("prev-page");
  var nextPage = document.getElementById("next-page");
  var page = 1;

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
    rows = keyed.map(function (k) { return k[2]; });  // pages follow the sorted order
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
    var matched = rows.filter(function (r) { return matches(r, text, mode); });
    var pages = Math.max(1, Math.ceil(matched.length / pageSize));
    page = Math.min(Math.max(1, page), pages);
    var first = (page - 1) * pageSize, last = first + pageSize;
    rows.forEach(function (r) { r.classList.add("hidden"); });
    matched.forEach(function (r, i) { if (i >= first && i < last) { r.classList.remove("hidden"); } });
    var visible = matched.length;
    count.textContent = visible + " of " + rows.length + " rows";
    count.setAttribute("data-visible", String(visible));
    pageInfo.textContent = "page " + page + " of " + pages;
    pager.setAttribute("data-page", String(page));
    pager.hidden = pages < 2;
    prevPage.disabled = page <= 1;
    nextPage.disabled = page >= pages;
  }

  function saveHash() {
    var parts = [];
    if (filter.value) { parts.push("filter=" + encodeURIComponent(filter.value)); }
    if (show.value !== "all") { parts.push("show=" + show.value); }
    if (sortState) { parts.push("sort=" + sortState); }
    if (page > 1) { parts.push("page=" + page); }
    history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname + location.search);
  }

  function decoded(text) {
    try { return decodeURIComponent(text); } catch (e) { return null; }  // a malformed %-escape
  }

  function isOption(value) {
    // compared, not looked up with a selector: a hash value is never parsed as CSS
    return Array.prototype.some.call(show.options, function (o) { return o.value === value; });
  }

  function loadHash() {
    location.hash.replace(/^#/, "").split("&").forEach(function (part) {
      var i = part.indexOf("=");
      if (i < 0) { return; }
      var key = part.slice(0, i), value = decoded(part.slice(i + 1));
      if (value === null) { return; }
      if (key === "filter") { filter.value = value; }
      if (key === "show" && isOption(value)) { show.value = value; }
      if (key === "page") { page = parseInt(value, 10) || 1; }
      if (key === "sort") {
        var s = value.split(":"), col = parseInt(s[0], 10);
        if (col >= 0 && col < heads.length) { sortBy(col, s[1] === "desc" ? "desc" : "asc"); }
      }
    });
  }

  Array.prototype.forEach.call(heads, function (th, col) {
    th.addEventListener("click", function () {
      sortBy(col, th.classList.contains("asc") ? "desc" : "asc");
      apply();
      saveHash();
    });
  });
  filter.addEventListener("input", function () { page = 1; apply(); saveHash(); });
  show.addEventListener("change", function () { page = 1; apply(); saveHash(); });
  prevPage.addEventListener("click", function () { page -= 1; apply(); saveHash(); });
  nextPage.addEventListener("click", function () { page += 1; apply(); saveHash(); });
  loadHash();
  apply();
  document.body.setAttribute("data-ready", "1");
})();
