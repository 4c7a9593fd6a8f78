// 挂图作战: grid polygons and case points (coloured by deadline light) on a Leaflet map.
(function () {
  // Text in the reader's language from the catalogue script (/jsi18n/); Chinese if it did not load.
  var gettext = window.gettext || function (s) { return s; };
  var interpolate = window.interpolate || function (fmt, obj) {
    return fmt.replace(/%\((\w+)\)s/g, function (m, k) { return obj[k]; });
  };
  var el = document.getElementById("gj-map");
  if (!el || !window.L) return;
  var form = document.getElementById("map-filters");
  var statusLine = document.getElementById("map-status-line");
  var base = el.dataset.base;
  // Names come from the database: always set as text, never as HTML.
  function text(s) { var span = document.createElement("span"); span.textContent = s; return span; }
  var map = L.map(el, { zoomSnap: 0.5, preferCanvas: false });
  map.attributionControl.setPrefix("Leaflet");
  map.setView([35.22, 113.24], 12);

  if (base === "tianditu") {
    var key = el.dataset.tiandituKey;
    ["vec", "cva"].forEach(function (layer) {
      L.tileLayer("https://t{s}.tianditu.gov.cn/" + layer + "_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0" +
        "&LAYER=" + layer + "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=" +
        encodeURIComponent(key), { subdomains: "01234567", maxZoom: 18, attribution: gettext("天地图") }).addTo(map);
    });
  } else if (base === "gaode") {
    L.tileLayer("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
      { subdomains: "1234", maxZoom: 18, attribution: gettext("高德地图") }).addTo(map);
  }

  var gridLayer = L.geoJSON(null, {
    style: { color: "#57606a", weight: 1, fillColor: "#8c959f", fillOpacity: 0.18 },
    onEachFeature: function (f, layer) { layer.bindTooltip(text(f.properties.name + "(" + f.properties.unit + ")")); }
  }).addTo(map);
  var caseLayer = L.layerGroup().addTo(map);
  var fitted = false;

  function popup(c) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = c.serial;
    box.appendChild(title);
    box.appendChild(document.createElement("br"));
    box.appendChild(document.createTextNode(c.title));
    var facts = document.createElement("div");
    facts.textContent = c.status_label + " · " + c.light_label + (c.unit ? " · " + c.unit : "");
    box.appendChild(facts);
    var a = document.createElement("a");
    a.href = c.url;
    a.className = "gj-case-link";
    a.textContent = gettext("查看案件");
    box.appendChild(a);
    return box;
  }

  // The same points as a list of links: markers cannot be reached by keyboard.
  var LIST_MAX = 200;
  function renderList(cases) {
    var list = document.getElementById("map-list");
    var more = document.getElementById("map-list-more");
    if (!list) return;
    list.textContent = "";
    cases.slice(0, LIST_MAX).forEach(function (c) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = c.url;
      a.textContent = c.serial;
      li.appendChild(a);
      li.appendChild(document.createTextNode(" " + c.title + " · " + c.status_label + " · " + c.light_label +
        (c.unit ? " · " + c.unit : "")));
      list.appendChild(li);
    });
    more.hidden = cases.length <= LIST_MAX;
    more.textContent = interpolate(gettext("列表只列出前 %(n)s 个点位，请用筛选缩小范围"), {n: LIST_MAX}, true);
  }

  function fit() {
    var b = L.latLngBounds([]);
    if (gridLayer.getLayers().length) b.extend(gridLayer.getBounds());
    caseLayer.eachLayer(function (m) { b.extend(m.getLatLng()); });
    if (b.isValid()) { map.fitBounds(b, { padding: [20, 20], maxZoom: 16, animate: false }); fitted = true; }
  }

  function query() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (v, k) { if (v) params.append(k, v); });
    return params.toString();
  }

  function loadCases() {
    var qs = query();
    statusLine.textContent = gettext("正在加载点位……");
    statusLine.classList.remove("error");
    history.replaceState(null, "", qs ? "?" + qs : location.pathname);
    fetch(el.dataset.casesUrl + (qs ? "?" + qs : ""), { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        caseLayer.clearLayers();
        if (!res.ok) {
          renderList([]);
          statusLine.textContent = (res.body.error && res.body.error.message) || gettext("加载失败");
          statusLine.classList.add("error");
          return;
        }
        res.body.cases.forEach(function (c) {
          L.circleMarker([c.lat, c.lng], {
            radius: 8, color: "#fff", weight: 2, fillColor: c.colour, fillOpacity: 0.95,
            className: "gj-case gj-light-" + (c.light || "none")
          }).bindPopup(popup(c)).bindTooltip(text(c.serial + " " + c.light_label)).addTo(caseLayer);
        });
        renderList(res.body.cases);
        statusLine.textContent = res.body.message;
        if (res.body.capped) statusLine.classList.add("error");
        el.dataset.count = String(res.body.count);
        if (!fitted) fit();
      })
      .catch(function () { statusLine.textContent = gettext("点位加载失败，请稍后重试"); statusLine.classList.add("error"); });
  }

  fetch(el.dataset.gridsUrl, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (fc) { gridLayer.addData(fc); if (!fitted && gridLayer.getLayers().length) fit(); })
    .finally(loadCases);

  form.addEventListener("change", loadCases);
  form.addEventListener("submit", function (e) { e.preventDefault(); loadCases(); });
})();
