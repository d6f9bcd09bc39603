/* The booking centre's selection: count, highlight, select-all and the batch limit (data-limit on #select-form). */
(function () {
  var form = document.getElementById("select-form");
  if (!form) return;
  var limit = parseInt(form.dataset.limit, 10);
  var all = document.getElementById("select-all"), count = document.getElementById("sel-count");
  var msg = document.getElementById("limit-msg"), btn = document.getElementById("book-btn");
  var picks = Array.prototype.slice.call(form.querySelectorAll("input.pick"));
  var tooMany = form.dataset.limitMessage;
  function update() {
    var n = picks.filter(function (p) { return p.checked; }).length;
    count.textContent = n;
    picks.forEach(function (p) { p.closest("tr").classList.toggle("selected", p.checked); });
    all.checked = n > 0 && n === picks.length;
    if (n > limit) {
      msg.textContent = tooMany.replace("%(n)s", n).replace("%(extra)s", n - limit);
      msg.hidden = false;
    } else { msg.hidden = true; }
    btn.disabled = n === 0 || n > limit;
  }
  all.addEventListener("change", function () { picks.forEach(function (p) { p.checked = all.checked; }); update(); });
  picks.forEach(function (p) { p.addEventListener("change", update); });
  update();
})();
