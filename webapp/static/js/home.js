// The home page's charts (ECharts, served locally): the unit's key figures over eight quarters
// and its lower units compared.  The data comes from the page (#home-chart-data, JSON); a click
// on a quarter or a unit opens the statistics table behind it.  The current quarter is live
// (not yet reviewed): drawn hollow and labelled.
(function () {
  "use strict";
  var found = window.hqrCharts.source("trend-chart", "home-chart-data");
  if (!found) { return; }
  var trendHolder = found.holder;
  var data = found.data;
  var GROUPS = {
    rates: ["filing_rate", "satisfaction"],
    counts: ["registered_n", "completed_n", "filed_n"],
    areas: ["registered_a", "completed_a", "filed_a"],
    accidents: ["accidents"]
  };
  var byKey = {};
  data.series.forEach(function (s) { byKey[s.key] = s; });
  var quarters = data.quarters;
  var liveIndex = quarters.length - 1;

  function axisLabel(q) {
    return q.label.replace(/^\d{2}(\d{2})年/, "$1年") + (q.source === "live" ? "\n（实时）" : "");
  }

  function trendOption(group) {
    var keys = GROUPS[group];
    var unit = byKey[keys[0]].unit;
    return {
      tooltip: {
        trigger: "axis",
        valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + " " + unit; }
      },
      legend: { top: 0 },
      grid: { left: 50, right: 20, top: 36, bottom: 44 },
      xAxis: { type: "category", data: quarters.map(axisLabel), axisLabel: { interval: 0, fontSize: 11 } },
      yAxis: { type: "value", name: unit, min: unit === "%" ? function (v) { return Math.max(0, Math.floor((v.min - 5) / 10) * 10); } : 0,
               // 备案率 may pass 100 % (projects completed in an earlier quarter filed in this one)
               max: unit === "%" ? function (v) { return Math.ceil(Math.max(100, v.max) / 10) * 10; } : null },
      series: keys.map(function (key) {
        return {
          name: byKey[key].label,
          type: group === "rates" ? "line" : "bar",
          connectNulls: false,
          symbolSize: 8,
          label: { show: group === "rates", position: "top", fontSize: 10 },
          data: quarters.map(function (q, i) {
            var value = q.values[key];
            var point = { value: value === null ? null : value };
            if (i === liveIndex) {
              point.itemStyle = { opacity: 0.55, borderType: "dashed" };
            }
            return point;
          }),
          markArea: key === keys[0] ? {
            silent: true,
            itemStyle: { color: "rgba(255, 193, 7, 0.12)" },
            label: { show: true, position: "insideTop", color: "#b02a37", fontSize: 11, formatter: "实时" },
            data: [[{ xAxis: axisLabel(quarters[liveIndex]) }, { xAxis: axisLabel(quarters[liveIndex]) }]]
          } : undefined
        };
      })
    };
  }

  var trend = echarts.init(trendHolder);
  var group = "rates";
  trend.setOption(trendOption(group));
  trend.on("click", function (params) {
    var q = quarters[params.dataIndex];
    if (q && q.url) { window.location.href = q.url; }
  });
  trend.getZr().on("click", function (event) {
    // A click anywhere in a quarter's column (not only on a point) opens its table.
    if (event.target) { return; } // a point or bar: handled above
    var point = [event.offsetX, event.offsetY];
    if (!trend.containPixel("grid", point)) { return; }
    var q = quarters[Math.round(trend.convertFromPixel({ seriesIndex: 0 }, point)[0])];
    if (q && q.url) { window.location.href = q.url; }
  });
  trendHolder.setAttribute("data-rendered", "1");

  var buttons = document.querySelectorAll("#trend-groups [data-group]");
  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      buttons.forEach(function (b) { b.classList.toggle("active", b === button); });
      group = button.getAttribute("data-group");
      trend.setOption(trendOption(group), true);
    });
  });

  var unitsHolder = document.getElementById("units-chart");
  var select = document.getElementById("units-metric");
  var units = data.units || [];
  var compare = null;
  function unitsOption(key) {
    var s = byKey[key];
    return {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + " " + s.unit; } },
      grid: { left: 50, right: 20, top: 24, bottom: 60 },
      xAxis: { type: "category", data: units.map(function (u) { return u.name; }),
               axisLabel: { interval: 0, rotate: units.length > 8 ? 35 : 0, fontSize: 11 } },
      yAxis: { type: "value", name: s.unit },
      series: [{
        name: s.label, type: "bar", barMaxWidth: 28,
        label: { show: units.length <= 12, position: "top", fontSize: 10 },
        data: units.map(function (u) { return u.values[key]; })
      }]
    };
  }
  if (unitsHolder && units.length) {
    compare = echarts.init(unitsHolder);
    compare.setOption(unitsOption(select ? select.value : "registered_n"));
    compare.on("click", function (params) {
      var u = units[params.dataIndex];
      if (u && u.url) { window.location.href = u.url; }
    });
    if (select) {
      select.addEventListener("change", function () { compare.setOption(unitsOption(select.value), true); });
    }
    unitsHolder.setAttribute("data-rendered", "1");
  }
  window.addEventListener("resize", function () {
    trend.resize();
    if (compare) { compare.resize(); }
  });
})();
