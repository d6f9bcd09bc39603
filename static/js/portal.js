/* Page behaviours wired by data-* attributes (the Content-Security-Policy allows no inline script or handler).
 *   <form data-confirm="…">            asks before submitting
 *   <button data-print>                 prints the page
 *   <input type=checkbox data-check-all="selector">  checks or clears every box matching selector
 *   <select data-autosubmit>            submits its form on change
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm !== undefined) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (target) {
      event.preventDefault();
      window.print();
    }
  });

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!(el instanceof Element)) return;
    if (el.matches("input[type=checkbox][data-check-all]")) {
      document.querySelectorAll(el.dataset.checkAll).forEach(function (box) {
        if (box !== el) box.checked = el.checked;
      });
    }
    if (el.matches("select[data-autosubmit]") && el.form) {
      if (typeof el.form.requestSubmit === "function") el.form.requestSubmit();
      else el.form.submit();
    }
  });
})();

/* Batch selection across a form (checkboxes with form="…"): <input data-select-all="name" form="…"> ticks every
 * box of that name and form; [data-selected-count] inside the form shows how many are ticked. */
(function () {
  "use strict";
  function selectionCount(name, form) {
    var boxes = document.querySelectorAll('input[type=checkbox][name="' + name + '"][form="' + form + '"]');
    var n = 0;
    boxes.forEach(function (b) { if (b.checked) { n += 1; } });
    var label = document.querySelector("#" + form + " [data-selected-count]");
    if (label) {
      var lang = document.documentElement.lang || "";
      label.textContent = lang.indexOf("en") === 0 ? n + " selected" : "已选 " + n + " 单";
    }
  }
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || box.type !== "checkbox") { return; }
    var form = box.getAttribute("form");
    var name = box.dataset.selectAll;
    if (name) {
      document.querySelectorAll('input[type=checkbox][name="' + name + '"][form="' + form + '"]').forEach(function (b) {
        b.checked = box.checked;
      });
      selectionCount(name, form);
    } else if (form && box.name) {
      selectionCount(box.name, form);
    }
  });
})();
