// Cadastre as an installable web app: registers the service worker (frontend/templates/frontend/sw.js),
// which caches the app shell and shows the offline page when the network is down.
// Loaded by base.html with data-service-worker (its URL) and data-scope. Every page works without it.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!("serviceWorker" in navigator) || !script || !script.dataset.serviceWorker) {
    return;
  }
  var url = script.dataset.serviceWorker;
  var scope = script.dataset.scope || "/";
  window.addEventListener("load", function () {
    navigator.serviceWorker.register(url, { scope: scope }).catch(function (error) {
      // An unsupported or refused registration changes nothing for the page itself.
      if (window.console) {
        window.console.warn("Cadastre: service worker not registered:", error);
      }
    });
  });
})();
