/* 上报 page: GPS position with a fallback of tapping the map (blank base with the grid polygons),
   and previews of the chosen photos. The form works without this script (type the position). */
(function () {
  "use strict";
  // Text in the reader's language from the catalogue script (/jsi18n/); Chinese if it did not load.
  var gettext = window.gettext || function (s) { return s; };
  var interpolate = window.interpolate || function (fmt, obj) {
    return fmt.replace(/%\((\w+)\)s/g, function (m, k) { return obj[k]; });
  };
  var lngInput = document.getElementById("r-lng");
  var latInput = document.getElementById("r-lat");
  var status = document.getElementById("r-geo-status");
  var mapBox = document.getElementById("r-map");
  if (!lngInput || !latInput) return;

  var map = null, marker = null;
  var grids = JSON.parse(document.getElementById("grids-data").textContent || "{}");

  function setPoint(lng, lat, how) {
    lngInput.value = lng.toFixed(6);
    latInput.value = lat.toFixed(6);
    status.textContent = interpolate(gettext("%(how)s：经度 %(lng)s，纬度 %(lat)s"),
      {how: how, lng: lng.toFixed(5), lat: lat.toFixed(5)}, true);
    if (map) {
      var ll = [lat, lng];
      if (marker) { marker.setLatLng(ll); } else {
        marker = L.circleMarker(ll, {radius: 9, color: "#b3261e", weight: 3, fillColor: "#fff", fillOpacity: 1}).addTo(map);
      }
      map.panTo(ll);
    }
  }

  if (window.L && mapBox) {
    map = L.map(mapBox, {zoomControl: true, attributionControl: false});
    var layer = L.geoJSON(grids, {
      style: {color: "#4e79a7", weight: 1, fillOpacity: 0.15},
      onEachFeature: function (f, l) { l.bindTooltip(f.properties.code + " " + f.properties.name + " · " + f.properties.unit); }
    }).addTo(map);
    if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), {padding: [10, 10]}); }
    else { map.setView([35.2, 113.2], 12); }
    map.on("click", function (e) { setPoint(e.latlng.lng, e.latlng.lat, gettext("已在地图上选点")); });
    var lng0 = parseFloat(lngInput.value), lat0 = parseFloat(latInput.value);
    if (!isNaN(lng0) && !isNaN(lat0)) setPoint(lng0, lat0, gettext("已选位置"));
  }

  function locate() {
    if (!navigator.geolocation) { status.textContent = gettext("此设备不支持定位，请在地图上点选位置。"); return; }
    status.textContent = gettext("正在定位…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPoint(pos.coords.longitude, pos.coords.latitude,
        interpolate(gettext("已定位(精度约 %(m)s 米)"), {m: Math.round(pos.coords.accuracy)}, true));
    }, function () {
      status.textContent = gettext("未能获取定位(可能未授权)，请在地图上点选位置。");
    }, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
  }
  document.getElementById("r-locate").addEventListener("click", locate);
  if (!lngInput.value) locate();

  // A phone camera takes one photo per input: "再拍一张" adds another input of the same name.
  var first = document.getElementById("r-photos");
  var previews = document.getElementById("r-previews");
  var more = document.getElementById("r-more-photos");
  var max = parseInt(first && first.dataset.max, 10) || 9;

  function inputs() { return document.querySelectorAll("input[name=photos]"); }
  function chosen() {
    var n = 0;
    Array.prototype.forEach.call(inputs(), function (i) { n += i.files ? i.files.length : 0; });
    return n;
  }
  function refresh() {
    if (!previews || !window.URL) return;
    previews.textContent = "";
    Array.prototype.forEach.call(inputs(), function (input) {
      Array.prototype.forEach.call(input.files || [], function (file) {
        var img = document.createElement("img");
        img.alt = interpolate(gettext("待上传照片 %(name)s"), {name: file.name}, true);
        img.src = URL.createObjectURL(file);
        previews.appendChild(img);
      });
    });
    if (more) more.hidden = chosen() === 0 || chosen() >= max;
  }
  if (first) {
    first.addEventListener("change", refresh);
    if (more) {
      more.addEventListener("click", function () {
        var input = document.createElement("input");
        input.type = "file"; input.name = "photos"; input.accept = "image/*";
        input.setAttribute("capture", "environment");
        // photos.js shrinks it like the first one
        if (first.hasAttribute("data-shrink")) input.setAttribute("data-shrink", first.getAttribute("data-shrink"));
        input.className = "big-file extra-photo";
        input.setAttribute("aria-label", interpolate(gettext("第 %(n)s 张现场照片"), {n: inputs().length + 1}, true));
        input.addEventListener("change", refresh);
        more.parentNode.insertBefore(input, more);
        input.click();
      });
    }
  }
})();
