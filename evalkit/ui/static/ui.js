// evalkit ui: small helpers on server-rendered pages. Every value shown comes from the server
// already escaped; this script only reorders rows and submits forms, never builds markup.
(function () {
  "use strict";
  function sortable(table) {
    var heads = table.tHead.rows[0].cells;
    var body = table.tBodies[0];
    Array.prototype.forEach.call(heads, function (th, col) {
      th.classList.add("clickable");
      th.addEventListener("click", function () {
        var dir = th.classList.contains("asc") ? "desc" : "asc";
        var numeric = th.getAttribute("data-type") === "number";
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col], y = b.cells[col];
          var kx = x.hasAttribute("data-sort") ? x.getAttribute("data-sort") : x.textContent.trim().toLowerCase();
          var ky = y.hasAttribute("data-sort") ? y.getAttribute("data-sort") : y.textContent.trim().toLowerCase();
          if (numeric) { kx = parseFloat(kx); ky = parseFloat(ky); }
          return (kx < ky ? -1 : kx > ky ? 1 : 0) * (dir === "asc" ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
        Array.prototype.forEach.call(heads, function (h) { h.classList.remove("asc", "desc"); });
        th.classList.add(dir);
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), sortable);

  var show = document.getElementById("show");
  if (show && show.form) { show.addEventListener("change", function () { show.form.submit(); }); }

  var compareForm = document.getElementById("compare-form");
  if (compareForm) {
    var button = document.getElementById("compare");
    var update = function () {
      button.disabled = compareForm.querySelectorAll('input[name="run"]:checked').length < 2;
    };
    compareForm.addEventListener("change", update);
    update();
  }
  document.body.setAttribute("data-ready", "1");
})();
