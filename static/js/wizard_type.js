/* The enterprise kind only applies to enterprise stores: show it when "enterprise" is chosen. */
(function () {
  var form = document.querySelector("[data-testid=type-form]");
  var kind = form.querySelector("[name=enterprise_kind]").closest(".field");
  function sync() {
    var chosen = form.querySelector("[name=store_type]:checked");
    kind.hidden = !(chosen && chosen.value === "enterprise");
  }
  form.addEventListener("change", sync);
  sync();
})();
