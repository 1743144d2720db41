// Mail entry's keyboard shortcuts, so a clerk keys a paper form without the mouse:
// Ctrl+Enter finishes (the button marked data-shortcut="finish"), Alt+S saves, Alt+N / Alt+P
// move to the next / previous section's first input. On the comparison screen, typing in an
// "other" box picks its "other" choice. Loaded as a file: the Content-Security-Policy
// forbids inline scripts and event-handler attributes.
(function () {
  "use strict";

  function click(name) {
    var button = document.querySelector('button[data-shortcut="' + name + '"]:not([disabled])');
    if (button) button.click();
    return !!button;
  }

  function moveSection(step) {
    var sections = Array.prototype.slice.call(document.querySelectorAll("fieldset.section"));
    if (!sections.length) return;
    var current = sections.findIndex(function (s) { return s.contains(document.activeElement); });
    var next = sections[Math.min(Math.max(current + step, 0), sections.length - 1)];
    var input = next.querySelector("input:not([type=hidden]), select, textarea");
    if (input) input.focus();
  }

  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && (event.key === "Enter")) {
      if (click("finish")) event.preventDefault();
      return;
    }
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.code === "KeyS") { if (click("save")) event.preventDefault(); }
    else if (event.code === "KeyN") { event.preventDefault(); moveSection(1); }
    else if (event.code === "KeyP") { event.preventDefault(); moveSection(-1); }
  });

  document.addEventListener("input", function (event) {
    var target = event.target;
    var group = target && target.dataset && target.dataset.otherFor;
    if (!group) return;
    var radio = document.querySelector('input[name="' + group + '"][value="other"]');
    if (radio && target.value) radio.checked = true;
  });
})();
