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
      var position = 0; // several fields of one name (a ranking) take the values in order
      page.querySelectorAll("[name]").forEach(function (field) {
        if (field.name !== name) return;
        var values = keep[name];
        if (field.type === "checkbox" || field.type === "radio") {
          field.checked = values.indexOf(field.value) !== -1;
        } else if (field.tagName === "SELECT" && field.multiple) {
          Array.prototype.forEach.call(field.options, function (option) {
            option.selected = values.indexOf(option.value) !== -1;
          });
        } else {
          field.value = position < values.length ? values[position] : "";
          position += 1;
        }
        var question = field.closest(".question");
        if (question && question.getAttribute("hx-target") === "#page") again = field;
      });
    });
    syncSliders(page);
    // The page shown must follow the answers now given: ask for it once more.
    if (again && window.htmx) window.htmx.trigger(again, "change");
  });

  /* Typing is saved when the page is left, too. A text question saves itself a second
     after the last key (`input delay:1s`), and a page that goes away (the browser's Back,
     another address, a closed tab) takes that waiting save with it; a phone may also put
     the tab away for good without leaving the page. So the answers a question's own save
     has not yet carried are sent when the page is hidden, by a beacon (the browser sends
     it after the page is gone) to the question's address: the whole form as htmx would
     send it, CSRF token included, which saves the page's answers as they are on screen
     and leaves the draft at its page. Without JavaScript nothing is saved before a button
     is pressed, as before. */
  var edits = new WeakMap(); // question -> how often its answer changed
  var unsaved = new Set(); // questions changed since their last completed save
  var saving = new WeakMap(); // request -> [question, its edits when the request left]

  function changedAnswer(event) {
    var question = event.target.closest && event.target.closest(".question[hx-post]");
    if (!question) return;
    edits.set(question, (edits.get(question) || 0) + 1);
    unsaved.add(question);
  }
  // Noted before htmx sees the change (capture), so the save it sends for it counts.
  document.addEventListener("input", changedAnswer, true);
  document.addEventListener("change", changedAnswer, true);

  document.addEventListener("htmx:beforeRequest", function (event) {
    var question = event.detail.elt;
    if (unsaved.has(question) && event.detail.xhr) {
      saving.set(event.detail.xhr, [question, edits.get(question)]);
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var sent = event.detail.xhr && saving.get(event.detail.xhr);
    // Saved, unless the answer changed again while the request was away.
    if (sent && event.detail.successful && edits.get(sent[0]) === sent[1]) {
      unsaved.delete(sent[0]);
    }
  });

  function saveUnsaved() {
    var first = null;
    unsaved.forEach(function (question) {
      if (!question.isConnected) unsaved.delete(question); // a page swapped away
      else first = first || question;
    });
    var form = first && first.closest("form");
    if (!form || !navigator.sendBeacon) return;
    var address = first.getAttribute("hx-post");
    if (navigator.sendBeacon(address, new URLSearchParams(new FormData(form)))) {
      unsaved.clear();
    }
  }
  window.addEventListener("pagehide", saveUnsaved);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") saveUnsaved();
  });

  /* A number question with a range (`<input type=number data-range>`) gets a slider
     beside its field. The field stays: it shows the value, takes typing and the
     keyboard, and is what the form sends; the slider is a second way for a pointer or a
     finger, hidden from screen readers (the field already is the question). Until the
     slider or the field is used the field stays empty: no answer is given by default. */
  function enhanceRanges(root) {
    root.querySelectorAll("input[data-range]").forEach(function (field) {
      if (field.dataset.slider) return;
      field.dataset.slider = "1";
      var slider = document.createElement("input");
      slider.type = "range";
      slider.min = field.min;
      slider.max = field.max;
      slider.step = field.step;
      slider.tabIndex = -1;
      slider.setAttribute("aria-hidden", "true");
      if (field.value !== "") slider.value = field.value;
      slider.addEventListener("input", function () {
        field.value = slider.value;
      });
      field.addEventListener("input", function () {
        if (field.value !== "" && field.checkValidity()) slider.value = field.value;
      });
      var box = document.createElement("div");
      box.className = "range-slider";
      field.parentNode.insertBefore(box, field);
      box.appendChild(slider);
      box.appendChild(field);
    });
  }

  function syncSliders(root) {
    root.querySelectorAll(".range-slider").forEach(function (box) {
      var slider = box.querySelector("input[type=range]");
      var field = box.querySelector("input[data-range]");
      if (slider && field && field.value !== "") slider.value = field.value;
    });
  }

  document.addEventListener("htmx:load", function (event) {
    enhanceRanges(event.detail.elt);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      enhanceRanges(document);
    });
  } else {
    enhanceRanges(document);
  }
})();
