// Keyboard-first review: the queue and the item page. No framework, no network but our own.
(function () {
  "use strict";

  function typing(event) {
    var t = event.target;
    if (!t) return false;
    if (t.tagName === "INPUT") return t.type !== "radio" && t.type !== "checkbox";  // keys still work on a tier
    return t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable;
  }
  function submit(id) {
    var form = document.getElementById(id);
    if (form) { form.requestSubmit ? form.requestSubmit() : form.submit(); return true; }
    return false;
  }
  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // --- the queue -------------------------------------------------------------------------
  var table = document.getElementById("queue-table");
  var rows = table ? Array.prototype.slice.call(table.querySelectorAll("tbody tr")) : [];
  var selected = -1;
  function select(i) {
    if (!rows.length) return;
    selected = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r, n) { r.classList.toggle("selected", n === selected); });
    rows[selected].focus();
  }

  // --- the item page -----------------------------------------------------------------------
  var item = document.getElementById("review-item");
  var held = item && item.dataset.held === "1";

  if (item && held) {
    // Renew the lease while the page is open: a third of the lease, so two misses are fine.
    var every = Math.max(10, parseInt(item.dataset.leaseSeconds, 10) / 3) * 1000;
    var timer = setInterval(function () {
      fetch(item.dataset.renewUrl, {method: "POST", headers: {"X-CSRFToken": csrf()}, credentials: "same-origin"})
        .then(function (response) { return response.json().then(function (body) { return [response.ok, body]; }); })
        .then(function (result) {
          var until = document.getElementById("lease-until");
          if (result[0] && until) {
            until.textContent = new Date(result[1].expires_at).toLocaleTimeString();
          } else if (!result[0]) {
            clearInterval(timer);
            var bar = document.getElementById("claim-bar");
            if (bar) { bar.innerHTML = "<strong class=\"error\"></strong>"; bar.firstChild.textContent = result[1].error; }
            document.querySelectorAll("#decide button").forEach(function (b) { b.disabled = true; });
          }
        })
        .catch(function () { /* offline for a moment: the next tick tries again */ });
    }, every);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey && event.key === "Enter") {
      var form = event.target.form || document.getElementById("override-form");
      if (form && form.id === "override-form") { event.preventDefault(); form.requestSubmit(); }
      return;
    }
    if (event.key === "Escape") {
      if (typing(event)) { event.target.blur(); return; }
      if (!submit("release-form") && item) { var back = document.getElementById("back-link"); if (back) window.location = back.href; }
      return;
    }
    if (typing(event) || event.altKey || event.ctrlKey || event.metaKey) return;
    var key = event.key;

    if (table || document.getElementById("next-form")) {
      if (key === "n") { event.preventDefault(); submit("next-form"); return; }
      if (key === "j") { event.preventDefault(); select(selected + 1); return; }
      if (key === "k") { event.preventDefault(); select(selected - 1); return; }
      if (key === "/") { event.preventDefault(); var f = document.querySelector("#filters select, #filters input"); if (f) f.focus(); return; }
      if (key === "Enter" && selected >= 0) {
        event.preventDefault();
        var open = rows[selected].querySelector("form");
        if (open) open.requestSubmit();
        return;
      }
    }
    if (!item) return;
    if (key === "c") { event.preventDefault(); submit("confirm-form") || submit("claim-form"); return; }
    if (key === "s") { event.preventDefault(); submit("skip-form"); return; }
    if (key === "a") { event.preventDefault(); var agree = document.getElementById("agree-button"); if (agree) agree.click(); return; }
    if (key === "d") {
      event.preventDefault();
      var note = document.getElementById("second-note");
      if (note && !note.value) { note.focus(); note.placeholder = "say why, then press d again (or Enter)"; return; }
      var disagree = document.getElementById("disagree-button"); if (disagree) disagree.click();
      return;
    }
    if (key === "o") {
      event.preventDefault();
      var first = document.querySelector("#override-form input[name=final_tier]:not([disabled])");
      if (first) first.focus();
      return;
    }
    if (key === "r" || key === "R") {
      // Each press picks the next reason (Shift+R the previous one), without opening the list.
      event.preventDefault();
      var reason = document.getElementById("reason");
      if (reason) {
        var n = reason.options.length, step = key === "r" ? 1 : n - 1;
        reason.selectedIndex = (Math.max(reason.selectedIndex, 0) + step) % n || (key === "r" ? 1 : n - 1);
        reason.dispatchEvent(new Event("change"));
      }
      return;
    }
    if (key === "t") { event.preventDefault(); var note = document.getElementById("note"); if (note) note.focus(); return; }
    if (key === "1" || key === "2" || key === "3") {
      var radios = document.querySelectorAll("#override-form input[name=final_tier]");
      var radio = radios[parseInt(key, 10) - 1];
      if (radio && !radio.disabled) { event.preventDefault(); radio.checked = true; radio.focus(); }
    }
  });
})();
