// Cadastre: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // A form with data-busy-label disables its submit button while the request runs, so a
  // large upload is not sent twice by an impatient second click.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.busyLabel) {
      return;
    }
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.dataset.idleLabel = button.textContent;
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      button.textContent = form.dataset.busyLabel;
    }
  });

  // Coming back with the browser's Back button restores the page as it was: re-enable it.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("button[aria-busy=true]").forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.textContent = button.dataset.idleLabel || button.textContent;
    });
  });
})();
