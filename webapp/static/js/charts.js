// What the pages' charts (ECharts, served locally) share.  Loaded after ECharts, before the
// page's own chart script.
(function () {
  "use strict";
  window.hqrCharts = {
    // A chart's holder element and the parsed JSON of its data element, or null when either is
    // missing from the page or ECharts is not loaded (the page then shows its data table only).
    source: function (holderId, dataId) {
      var holder = document.getElementById(holderId);
      var data = document.getElementById(dataId);
      if (!holder || !data || typeof echarts === "undefined") { return null; }
      return { holder: holder, data: JSON.parse(data.textContent) };
    }
  };
})();
