/* 在线下单: selection counter of 未下单, pickup-slot warning of the confirmation, label printing.
   Wired by ids and data-* attributes only (no inline script: the Content-Security-Policy is strict). */
(function () {
  "use strict";

  function selection() {
    var form = document.getElementById("select-form");
    if (!form) return;
    var limit = parseInt(form.dataset.limit, 10) || 30;
    var base = parseInt(form.dataset.selected, 10) || 0;
    var all = document.getElementById("select-all");
    var count = document.getElementById("sel-count");
    var batches = document.getElementById("sel-batches");
    var picks = Array.prototype.slice.call(form.querySelectorAll("input.pick"));
    var initially = picks.map(function (p) { return p.checked; });
    function update() {
      var n = base;
      picks.forEach(function (p, i) {
        if (p.checked && !initially[i]) n += 1;
        if (!p.checked && initially[i]) n -= 1;
        p.closest("tr").classList.toggle("selected", p.checked);
      });
      count.textContent = n;
      if (all) all.checked = picks.length > 0 && picks.every(function (p) { return p.checked; });
      if (batches) {
        var b = Math.ceil(n / limit);
        batches.textContent = b > 1 ? (batches.dataset.template || "").replace("%(b)s", b) : "";
      }
    }
    if (batches && !batches.dataset.template) {
      batches.dataset.template = form.dataset.batchesTemplate || "";
    }
    if (all) all.addEventListener("change", function () {
      picks.forEach(function (p) { p.checked = all.checked; });
      update();
    });
    picks.forEach(function (p) { p.addEventListener("change", update); });
    update();
  }

  function pickupWarning() {
    var select = document.querySelector("[data-pickup-conflicts]");
    var warning = document.getElementById("pickup-warning");
    if (!select || !warning) return;
    var conflicts = (select.dataset.pickupConflicts || "").split(",");
    var input = select.querySelector("select");
    function update() { warning.hidden = conflicts.indexOf(input.value) === -1; }
    input.addEventListener("change", update);
    update();
  }

  function labels() {
    // [data-print] buttons print through portal.js.
    var all = document.getElementById("labels-all");
    if (!all) return;
    var picks = Array.prototype.slice.call(document.querySelectorAll("input.label-pick"));
    all.addEventListener("change", function () { picks.forEach(function (p) { p.checked = all.checked; }); });
  }

  function confirmSubmit() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (form) {
      form.addEventListener("submit", function (e) {
        if (!window.confirm(form.dataset.confirm)) e.preventDefault();
      });
    });
  }

  function start() { selection(); pickupWarning(); labels(); confirmSubmit(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
