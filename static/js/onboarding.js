/* Onboarding wizard: the enterprise kind only for enterprise stores; a chosen file uploads at once. */
(function () {
  "use strict";
  var typeForm = document.querySelector("[data-testid=type-form]");
  if (typeForm) {
    var only = typeForm.querySelectorAll("[data-enterprise-only]");
    var sync = function () {
      var chosen = typeForm.querySelector("[name=store_type]:checked");
      var enterprise = !!chosen && chosen.value === "enterprise";
      only.forEach(function (el) { el.hidden = !enterprise; });
    };
    typeForm.addEventListener("change", sync);
    sync();
  }
  document.querySelectorAll("form[data-upload-on-change]").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    if (!input) { return; }
    input.addEventListener("change", function () {
      if (input.files && input.files.length) {
        form.classList.add("uploading");
        form.submit();
      }
    });
  });
})();
