// The score trend per unit over the last weeks (ECharts), from the JSON the page embeds.
(function () {
  // Text in the reader's language from the catalogue script (/jsi18n/); Chinese if it did not load.
  var gettext = window.gettext || function (s) { return s; };
  var el = document.getElementById("rank-trend");
  var data = document.getElementById("rank-trend-data");
  if (!el || !data || !window.echarts) return;
  var trend = JSON.parse(data.textContent);
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { type: "scroll", top: 0 },
    grid: { left: 40, right: 16, top: 64, bottom: 30, containLabel: true },
    xAxis: { type: "category", data: trend.weeks },
    yAxis: { type: "value", scale: true, name: gettext("得分") },
    series: trend.series.map(function (s) {
      return { name: s.name, type: "line", data: s.data, connectNulls: false, symbolSize: 6 };
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
