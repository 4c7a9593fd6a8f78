// 工作台: the 30-day trend (reported vs closed per day) drawn with ECharts from the page's JSON.
(function () {
  // Text in the reader's language from the catalogue script (/jsi18n/); Chinese if it did not load.
  var gettext = window.gettext || function (s) { return s; };
  var el = document.getElementById("dash-trend");
  var data = document.getElementById("dash-trend-data");
  if (!el || !data || !window.echarts) return;
  var trend = JSON.parse(data.textContent);
  var chart = echarts.init(el, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    color: ["#0550ae", "#1a7f37"],
    aria: { enabled: true },
    tooltip: { trigger: "axis" },
    legend: { data: [gettext("上报"), gettext("销号")], top: 0 },
    grid: { left: 36, right: 12, top: 32, bottom: 28 },
    xAxis: { type: "category", data: trend.days, axisLabel: { hideOverlap: true } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: gettext("上报"), type: "bar", data: trend.reported, barGap: "10%" },
      { name: gettext("销号"), type: "bar", data: trend.closed, itemStyle: { decal: { symbol: "rect", dashArrayX: [1, 0],
        dashArrayY: [3, 3], rotation: -Math.PI / 4, color: "rgba(255,255,255,0.6)" } } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
