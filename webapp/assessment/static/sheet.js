// Live totals of a score sheet: every tick asks the server (POST /api/v1/assessment/sheets/<id>/score),
// so the page shows exactly the computation that is saved.
(function () {
  "use strict";
  var form = document.querySelector("[data-sheet-form]");
  if (!form) { return; }
  var url = form.getAttribute("data-score-url");
  var tier = form.getAttribute("data-tier");
  var token = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var timer = null;
  var seq = 0;

  function fmt(v) { return String(parseFloat(v)); }

  function judgments() {
    var out = {};
    form.querySelectorAll("tr[data-item]").forEach(function (row) {
      var ids = [];
      row.querySelectorAll("input[data-judge]").forEach(function (box) { if (box.checked) { ids.push(box.value); } });
      out[row.getAttribute("data-item")] = row.getAttribute("data-kind") === "deduction" ? { unmet: ids } : { met: ids };
    });
    return out;
  }

  function show(selector, value) {
    var el = form.querySelector(selector);
    if (el) { el.textContent = fmt(value); }
  }

  function refresh() {
    var mine = ++seq;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(tier ? { judgments: judgments(), tier: tier } : { judgments: judgments() })
    }).then(function (resp) {
      if (!resp.ok) { throw new Error(resp.status); }
      return resp.json();
    }).then(function (data) {
      if (mine !== seq) { return; }
      Object.keys(data.items).forEach(function (id) { show('[data-item-score="' + CSS.escape(id) + '"]', data.items[id]); });
      Object.keys(data.sections).forEach(function (name) { show('[data-section-score="' + CSS.escape(name) + '"]', data.sections[name]); });
      show("#sheet-total", data.total);
      var scaling = form.querySelector("#sheet-scaling");
      if (scaling) { scaling.textContent = data.scaling || ""; }
      form.setAttribute("data-computed", data.total);
    }).catch(function () {
      var total = form.querySelector("#sheet-total");
      if (total) { total.textContent = "计算失败，请刷新"; }
    });
  }

  form.addEventListener("change", function (event) {
    if (event.target.matches("input[data-judge]")) {
      clearTimeout(timer);
      timer = setTimeout(refresh, 120);
    }
  });
  refresh();
})();
