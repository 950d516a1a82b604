/* Answers given while htmx fetches a questionnaire page again survive the swap.

   A question that others depend on (skip logic) asks the server for the page again when it
   changes, and htmx replaces #page with the server's rendering of the answers sent with
   that request. On a slow connection a respondent ticks another answer meanwhile; the
   fetched page would reset it, and the answer would be lost when the page is sent. So the
   answers are noted when the request leaves and before the swap; whatever changed in
   between is set again in the new page, and a change of a question with skip logic asks
   for the page once more. Without JavaScript none of this is needed: the page is sent
   whole. Kept by hand: htmx has no extension that keeps form state across a swap. */
(function () {
  "use strict";

  function answers(root) {
    var found = {};
    root.querySelectorAll("input, select, textarea").forEach(function (field) {
      if (!field.name || field.type === "hidden" || field.name.indexOf("nav:") === 0) {
        return;
      }
      var values = found[field.name] || (found[field.name] = []);
      if (field.type === "checkbox" || field.type === "radio") {
        if (field.checked) values.push(field.value);
      } else if (field.tagName === "SELECT") {
        Array.prototype.forEach.call(field.selectedOptions, function (option) {
          values.push(option.value);
        });
      } else {
        values.push(field.value);
      }
    });
    return found;
  }

  function same(one, other) {
    return (one || []).join("\u0000") === (other || []).join("\u0000");
  }

  function isPage(event) {
    var target = event.detail && event.detail.target;
    return target && target.id === "page";
  }

  var sentWith = new WeakMap(); // request -> the answers it carries
  var changed = null; // answers changed while the request that is swapped in was away

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (isPage(event) && event.detail.xhr) {
      sentWith.set(event.detail.xhr, answers(event.detail.target));
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var sent = isPage(event) && sentWith.get(event.detail.xhr);
    if (!sent) return;
    var now = answers(event.detail.target);
    changed = {};
    Object.keys(now).concat(Object.keys(sent)).forEach(function (name) {
      if (!same(now[name], sent[name])) changed[name] = now[name] || [];
    });
  });

  document.addEventListener("htmx:afterSettle", function () {
    var page = document.getElementById("page");
    var keep = changed;
    changed = null;
    if (!page || !keep) return;
    var again = null;
    Object.keys(keep).forEach(function (name) {
      page.querySelectorAll("[name]").forEach(function (field) {
        if (field.name !== name) return;
        var values = keep[name];
        if (field.type === "checkbox" || field.type === "radio") {
          field.checked = values.indexOf(field.value) !== -1;
        } else if (field.tagName === "SELECT") {
          Array.prototype.forEach.call(field.options, function (option) {
            option.selected = values.indexOf(option.value) !== -1;
          });
        } else {
          field.value = values.length ? values[0] : "";
        }
        var question = field.closest(".question");
        if (question && question.getAttribute("hx-target") === "#page") again = field;
      });
    });
    // The page shown must follow the answers now given: ask for it once more.
    if (again && window.htmx) window.htmx.trigger(again, "change");
  });
})();
