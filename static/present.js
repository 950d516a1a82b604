/* Presentation mode of the results (templates/results/present.html): the keys a
   presenter's clicker sends turn the pages. The links do the same without JavaScript;
   this only follows them. Ignored while a form field has the focus. */
(function () {
  "use strict";

  var KEYS = {
    ArrowRight: "next", ArrowDown: "next", PageDown: "next", " ": "next",
    ArrowLeft: "prev", ArrowUp: "prev", PageUp: "prev", Escape: "end"
  };

  document.addEventListener("keydown", function (event) {
    var where = KEYS[event.key];
    var present = document.querySelector(".present");
    if (!where || !present || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest && event.target.closest("input, select, textarea")) return;
    var link = present.querySelector(where === "end" ? "a.present-end" : "a[rel=" + where + "]");
    if (link) {
      event.preventDefault();
      link.click();
    }
  });
})();
