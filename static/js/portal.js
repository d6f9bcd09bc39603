// Shared page behaviour wired by data-* attributes (no inline scripts: the CSP forbids them).
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
