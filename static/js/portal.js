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

/* [data-selected-count] inside a form tells how many of its checkboxes (form="…", outside it) are ticked;
 * select-all for them is data-check-all above, which runs first. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || box.type !== "checkbox") { return; }
    var form = box.getAttribute("form");
    var label = form ? document.querySelector("#" + form + " [data-selected-count]") : null;
    if (!label) { return; }
    var n = document.querySelectorAll('input[type=checkbox][name][form="' + form + '"]:checked').length;
    var lang = document.documentElement.lang || "";
    label.textContent = lang.indexOf("en") === 0 ? n + " selected" : "已选 " + n + " 单";
  });
})();
