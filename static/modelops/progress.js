// Bar widths from data-percent: the Content-Security-Policy forbids inline style attributes.
(function () {
  "use strict";
  document.querySelectorAll(".progress .bar[data-percent]").forEach(function (bar) {
    bar.style.width = Math.max(0, Math.min(100, Number(bar.dataset.percent) || 0)) + "%";
  });
})();
