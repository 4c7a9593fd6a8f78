/* Charts of the air quality pages (ECharts), fed by json_script blocks; nothing runs without them. */
(function () {
  "use strict";
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function mount(id, option) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return;
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var rank = data("rank-data");
  if (rank && rank.units.length) {
    mount("rank-chart", {
      grid: { left: 8, right: 40, top: 10, bottom: 10, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", name: rank.percent ? "%" : "" },
      yAxis: { type: "category", inverse: true, data: rank.units },
      series: [{ type: "bar", name: rank.title, data: rank.values, itemStyle: { color: "#2f6fb2" },
                 label: { show: true, position: "right" } }]
    });
  }

  var st = data("station-data");
  if (st) {
    var maxAqi = Math.max.apply(null, st.aqi.filter(function (v) { return v !== null; }).concat([100]));
    var top = Math.min(500, Math.ceil(maxAqi / 50) * 50 + 50);
    var lower = 0;
    var bands = [];
    st.levels.forEach(function (l) {
      if (lower < top) {
        bands.push([{ yAxis: lower, itemStyle: { color: l[2], opacity: 0.18 }, name: l[1] }, { yAxis: Math.min(l[0], top) }]);
      }
      lower = l[0];
    });
    mount("aqi-chart", {
      grid: { left: 8, right: 16, top: 24, bottom: 48, containLabel: true },
      tooltip: { trigger: "axis" },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 8 }],
      xAxis: { type: "category", data: st.times },
      yAxis: { type: "value", name: "AQI", max: top },
      series: [{ type: "line", name: "AQI", data: st.aqi, showSymbol: false, connectNulls: false,
                 itemStyle: { color: "#1f2d3d" }, lineStyle: { width: 2, color: "#1f2d3d" },
                 markArea: { silent: true, label: { show: true, position: "insideTopRight", color: "#555" }, data: bands } }]
    });
    mount("conc-chart", {
      grid: { left: 8, right: 16, top: 56, bottom: 48, containLabel: true },
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 8 }],
      xAxis: { type: "category", data: st.times },
      yAxis: [{ type: "value", name: "µg/m³" }, { type: "value", name: "CO mg/m³", splitLine: { show: false } }],
      series: st.pollutants.map(function (p) {
        return { type: "line", name: p.name, data: p.values, showSymbol: false, yAxisIndex: p.name === "CO" ? 1 : 0 };
      })
    });
  }
})();
