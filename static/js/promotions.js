/* 限时折扣 form: show only the fields of the chosen kind, filter products, and preview each SKU's price. */
(function () {
  "use strict";
  var form = document.querySelector("[data-discount-form]");
  if (!form) { return; }
  var yuan = function (fen) { return "¥" + (fen / 100).toFixed(2); };
  var kind = function () {
    var chosen = form.querySelector("[name=kind]:checked");
    return chosen ? chosen.value : "permille";
  };
  var preview = function () {
    var k = kind();
    var zheInput = form.querySelector("[name=zhe]");
    var zhe = zheInput ? parseFloat(zheInput.value) : NaN;
    form.querySelectorAll("[data-kind-field]").forEach(function (el) {
      el.hidden = el.getAttribute("data-kind-field") !== k;
    });
    form.querySelectorAll("[data-sku-row]").forEach(function (row) {
      var base = parseInt(row.getAttribute("data-price"), 10);
      var out = row.querySelector("[data-preview]");
      var chosen = row.querySelector("[name=skus]").checked;
      var fen = NaN;
      if (k === "permille" && zhe > 0 && zhe < 10) {
        fen = Math.min(base, Math.floor((base * Math.round(zhe * 100) + 500) / 1000));
      } else if (k === "price") {
        var typed = parseFloat(row.querySelector("[data-sku-price]").value);
        if (typed > 0) { fen = Math.round(typed * 100); }
      }
      row.classList.toggle("chosen", chosen);
      if (isNaN(fen)) { out.textContent = "—"; return; }
      var ratio = (fen / base) * 10;
      var format = form.getAttribute("data-preview-format") || "{price} ({zhe})";
      out.textContent = format.replace("{price}", yuan(fen)).replace("{zhe}", ratio.toFixed(1).replace(/\.0$/, ""));
      out.classList.toggle("error", fen >= base);
    });
  };
  var filter = form.querySelector("[data-sku-filter]");
  if (filter) {
    filter.addEventListener("input", function () {
      var q = filter.value.trim().toLowerCase();
      form.querySelectorAll("tbody[data-product-title]").forEach(function (group) {
        group.hidden = q !== "" && group.getAttribute("data-product-title").toLowerCase().indexOf(q) === -1;
      });
    });
  }
  form.addEventListener("input", preview);
  form.addEventListener("change", preview);
  preview();
})();
