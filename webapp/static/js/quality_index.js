// The public portal's quality-index trend chart (ECharts, served locally).
(function () {
  "use strict";
  var found = window.hqrCharts.source("index-chart", "index-series");
  if (!found) { return; }
  var series = found.data;
  var chart = echarts.init(found.holder, null, { renderer: "svg" });
  var parts = series.length ? series[series.length - 1].parts : [];
  var lines = [{
    name: "质量指数", type: "line", data: series.map(function (s) { return s.value === null ? null : Number(s.value); }),
    symbolSize: 8, lineStyle: { width: 3 }, label: { show: true, position: "top" }
  }];
  parts.forEach(function (p, i) {
    lines.push({
      name: p.label + "得分", type: "line", lineStyle: { type: "dashed", width: 1 }, symbolSize: 4,
      data: series.map(function (s) { var q = s.parts[i]; return q && q.applicable ? Number(q.score) : null; })
    });
  });
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0, selected: parts.reduce(function (acc, p) { acc[p.label + "得分"] = false; return acc; }, {}) },
    grid: { left: 40, right: 20, top: 50, bottom: 30 },
    xAxis: { type: "category", data: series.map(function (s) { return s.period_label; }) },
    yAxis: { type: "value", min: 0, max: 100 },
    series: lines
  });
  found.holder.setAttribute("data-rendered", "1");
  window.addEventListener("resize", function () { chart.resize(); });
})();
