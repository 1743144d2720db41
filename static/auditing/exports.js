// Live progress of export jobs: poll each unfinished job's status until it is done or failed.
(function () {
  "use strict";
  var rows = document.querySelectorAll("#jobs tr[data-job]");
  // Widths from data-percent: the Content-Security-Policy forbids inline style attributes.
  document.querySelectorAll(".progress .bar[data-percent]").forEach(function (bar) {
    bar.style.width = bar.dataset.percent + "%";
  });
  rows.forEach(function (row) {
    if (row.dataset.status === "done" || row.dataset.status === "failed") return;
    var timer = setInterval(function () {
      fetch(row.dataset.statusUrl, {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (job) {
          row.querySelector(".bar").style.width = job.percent + "%";
          row.querySelector(".label").textContent = job.status + " " + job.percent + "%";
          row.querySelector(".rows").textContent = job.rows_done + (job.rows_total !== null ? " / " + job.rows_total : "");
          if (job.status === "done" || job.status === "failed") {
            clearInterval(timer);
            row.dataset.status = job.status;
            var cell = row.querySelector(".file");
            if (job.download) {
              var link = document.createElement("a");
              link.href = job.download; link.textContent = "download";
              cell.textContent = ""; cell.appendChild(link);
            } else if (job.error) {
              cell.textContent = job.error;
            }
          }
        })
        .catch(function () { /* try again on the next tick */ });
    }, 1000);
  });
})();
