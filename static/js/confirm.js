// Forms marked data-confirm="question" ask before they submit. A listener in a static file,
// not an onsubmit attribute: the Content-Security-Policy allows no inline script.
document.addEventListener("submit", function (event) {
  "use strict";
  var form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
