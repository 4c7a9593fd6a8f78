/* Site shell: the phone menu button. Plain JavaScript, no framework.
   Loaded in <head> without defer so the "js" class is set before the first paint: without JavaScript
   the menu is simply always open. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function init() {
    var button = document.querySelector(".menu-toggle");
    if (!button) return;
    var menu = document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) return;

    function setOpen(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    }

    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    // Escape closes the open menu and gives the focus back to its button.
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        button.focus();
      }
    });
  }

  // On narrow screens a wide table scrolls inside its own box, never the whole page: each table in
  // <main> is wrapped once, also those htmx swaps in later.
  function wrapTables(root) {
    var tables = root.querySelectorAll ? root.querySelectorAll("main table") : [];
    if (root.matches && root.matches("main table")) tables = [root];
    Array.prototype.forEach.call(tables, function (table) {
      var parent = table.parentNode;
      if (parent.classList && parent.classList.contains("table-scroll")) return;
      var box = document.createElement("div");
      box.className = "table-scroll";
      parent.insertBefore(box, table);
      box.appendChild(table);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { wrapTables(document); });
  document.addEventListener("htmx:load", function (event) { wrapTables(event.target); });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
