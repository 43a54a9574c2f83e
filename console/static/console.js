// The queue's keyboard flow. j/k move the selection, a accepts the top suggestion, e opens the
// allocation editor, o puts the payment on account, x ticks it for bulk accept, / focuses the
// search. After an action the list is re-rendered without the resolved row; the selection stays
// at the same position, which is the next exception (auto-advance).
(function () {
  "use strict";
  let index = 0;

  function rows() { return Array.from(document.querySelectorAll("#queue-list tr.qrow")); }

  function select(i) {
    const all = rows();
    all.forEach(function (r) { r.classList.remove("selected"); r.removeAttribute("aria-selected"); });
    if (all.length === 0) {
      const detail = document.getElementById("detail");
      if (detail) { detail.innerHTML = "<p>The queue is empty.</p>"; }
      return;
    }
    index = Math.max(0, Math.min(i, all.length - 1));
    document.getElementById("detail").dataset.ready = "";
    const row = all[index];
    row.classList.add("selected");
    row.setAttribute("aria-selected", "true");
    row.scrollIntoView({ block: "nearest" });
    htmx.ajax("GET", "/queue/" + row.dataset.exceptionId, { target: "#detail", swap: "innerHTML" });
  }

  function typing(target) {
    return target instanceof HTMLElement &&
      (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  }

  // The detail pane still shows the previous exception until the next one has loaded: a key
  // pressed then must not act on it.
  function detailIsCurrent() {
    const row = rows()[index];
    const detail = document.getElementById("detail");
    return row !== undefined && detail !== null && detail.dataset.ready === row.dataset.exceptionId;
  }

  function press(key) {
    if (!detailIsCurrent()) { return null; }
    const button = document.querySelector('#detail [data-key="' + key + '"]');
    if (button) { button.click(); }
    return button;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (typing(event.target)) {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    switch (event.key) {
      case "j": select(index + 1); break;
      case "k": select(index - 1); break;
      case "a": press("a"); break;
      case "o": press("o"); break;
      case "m": press("m"); break;
      case "e": {
        const edit = document.querySelector("#detail #edit");
        if (edit) { edit.open = true; const first = edit.querySelector("input[name=invoice_id]"); if (first) { first.focus(); } }
        break;
      }
      case "x": {
        const row = rows()[index];
        const box = row && row.querySelector("input[type=checkbox]");
        if (box) { box.checked = !box.checked; }
        break;
      }
      case "/": {
        const search = document.getElementById("f-q");
        if (search) { search.focus(); }
        break;
      }
      default: return;
    }
    event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    const row = event.target instanceof Element && event.target.closest("tr.qrow");
    if (row && !(event.target instanceof HTMLInputElement) && !(event.target instanceof HTMLAnchorElement)) {
      select(rows().indexOf(row));
    }
  });

  // A re-rendered list (an action or a filter): keep the position, so the next row comes up.
  document.addEventListener("htmx:afterSettle", function (event) {
    const target = event.detail.target;
    if (target && target.id === "queue-list") { select(index); }
    // htmx has bound the new buttons only once settled: from then on a key may press them.
    if (target && target.id === "detail") {
      const shown = target.querySelector("article.exception");
      target.dataset.ready = shown ? shown.dataset.exceptionId : "";
    }
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    const bar = document.getElementById("progress");
    if (bar && event.detail.lengthComputable) {
      bar.value = Math.round(event.detail.loaded / event.detail.total * 100);
      bar.textContent = bar.value + "%";
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    // Refusals (4xx) are swapped in too: the server retargets them to the messages area.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "[45]..", swap: true, error: true },
    ];
    if (rows().length > 0) { select(0); }
  });
})();
