// The web chat widget: posts each message to the turn endpoint and shows the replies in a
// live region (screen readers announce them). No inline script: the page's CSP forbids it.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    var form = document.getElementById("chat-form");
    if (!form) { return; }
    var input = document.getElementById("chat-text");
    var log = document.getElementById("chat-log");
    var links = document.getElementById("chat-links");
    var statusLink = document.getElementById("chat-status");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;

    function add(text, who) {
      var item = document.createElement("li");
      item.className = "bubble " + who;
      item.textContent = text;
      log.appendChild(item);
      log.scrollTop = log.scrollHeight;
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) { return; }
      add(text, "me");
      input.value = "";
      form.querySelector("button").disabled = true;
      fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json"},
        body: JSON.stringify({text: text})
      }).then(function (response) {
        return response.json().then(function (data) { return {ok: response.ok, data: data}; });
      }).then(function (result) {
        if (!result.ok) { add(result.data.error || "Sorry, something went wrong.", "bot error"); return; }
        result.data.messages.forEach(function (message) { add(message, "bot"); });
        if (result.data.needs_account) { links.hidden = false; }
        if (result.data.status_url) {
          links.hidden = false;
          statusLink.href = result.data.status_url;
          statusLink.hidden = false;
          document.getElementById("chat-login").hidden = true;
          document.getElementById("chat-signup").hidden = true;
        }
      }).catch(function () {
        add("Sorry, the message did not go through; please try again.", "bot error");
      }).finally(function () {
        form.querySelector("button").disabled = false;
        input.focus();
      });
    });
    input.focus();
  });
})();
