// The 台账 page: "select all" for bulk assign, the selected count, and reloading the table after it.
(function () {
  // Text in the reader's language from the catalogue script (/jsi18n/); Chinese if it did not load.
  var gettext = window.gettext || function (s) { return s; };
  var interpolate = window.interpolate || function (fmt, obj) {
    return fmt.replace(/%\((\w+)\)s/g, function (m, k) { return obj[k]; });
  };
  function selected() {
    return document.querySelectorAll('#bulk-form input[name="cases"]:checked').length;
  }
  function showCount() {
    var n = selected();
    document.querySelectorAll(".js-selected").forEach(function (el) { el.textContent = n ? interpolate(gettext("(%(n)s 件)"), {n: n}, true) : ""; });
  }
  document.addEventListener("change", function (e) {
    if (e.target && e.target.id === "pick-all") {
      document.querySelectorAll('#bulk-form input[name="cases"]').forEach(function (box) { box.checked = e.target.checked; });
    }
    if (e.target && e.target.closest && e.target.closest("#bulk-form")) showCount();
  });
  // Filters that are empty are left out of the request (and so of the address pushed to history).
  document.addEventListener("htmx:configRequest", function (e) {
    if (!e.detail.elt || e.detail.elt.id !== "ledger-filter") return;
    var params = e.detail.parameters;
    var keys = [];
    if (params.forEach) { params.forEach(function (v, k) { if (v === "") keys.push(k); }); }
    else { Object.keys(params).forEach(function (k) { if (params[k] === "") keys.push(k); }); }
    keys.forEach(function (k) { if (params.delete) params.delete(k); else delete params[k]; });
  });
  document.addEventListener("ledger:changed", function () {
    if (window.htmx) window.htmx.ajax("GET", window.location.href, { target: "#ledger-results" });
  });
})();
