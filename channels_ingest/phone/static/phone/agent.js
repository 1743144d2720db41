// The agent screen's keyboard shortcuts (Alt+Shift+key), so a caller's application is keyed
// without the mouse. Buttons say what they do with data-shortcut; the search field with
// data-shortcut-focus. Loaded as a file: the Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";
  var CLICK = { KeyN: "next", KeyP: "previous", KeyS: "save", Enter: "submit", NumpadEnter: "submit" };
  var FOCUS = { KeyF: "find" };

  document.addEventListener("keydown", function (event) {
    if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) return;
    var focusName = FOCUS[event.code];
    if (focusName) {
      var target = document.querySelector('[data-shortcut-focus="' + focusName + '"]');
      event.preventDefault();
      if (target) { target.focus(); } else { window.location.assign(document.body.dataset.findUrl || "/agent/"); }
      return;
    }
    var name = CLICK[event.code];
    if (!name) return;
    var button = document.querySelector('button[data-shortcut="' + name + '"]:not([disabled])');
    if (!button) return;
    event.preventDefault();
    // The form posts every answer on the page; the one being typed goes too.
    button.click();
  });

  // After htmx swaps a checked answer back in, keep the caret where the agent was.
  document.addEventListener("htmx:afterSwap", function (event) {
    var error = event.detail.target && event.detail.target.querySelector &&
      event.detail.target.querySelector('[aria-invalid="true"]');
    if (error && document.activeElement === document.body) error.focus();
  });
})();
