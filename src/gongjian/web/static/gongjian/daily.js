// The overview's bar chart: totals of the last 14 days, one series per metric (the legend toggles them;
// only the first is shown at first, since their units differ).
(function () {
  function draw() {
    var el = document.getElementById("daily-chart");
    var data = document.getElementById("daily-chart-data");
    if (!el || !data || !window.echarts) return;
    var d = JSON.parse(data.textContent);
    var selected = {};
    d.series.forEach(function (s, i) { selected[s.name] = i === 0; });
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0, selected: selected, selectedMode: "single" },
      grid: { left: 48, right: 12, top: 40, bottom: 28 },
      xAxis: { type: "category", data: d.days },
      yAxis: { type: "value" },
      series: d.series.map(function (s) {
        return { name: s.name, type: "bar", data: s.data, itemStyle: { color: "#1f5f8b" } };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
