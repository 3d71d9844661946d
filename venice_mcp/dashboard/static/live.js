// Live refresh: every few seconds fetch the server-rendered "live" fragment and swap it in, so
// the numbers move without a reload. Everything in it was escaped on the server.
(function () {
  "use strict";
  var main = document.getElementById("live");
  if (!main || !window.fetch) return;
  var url = main.getAttribute("data-live");
  var every = 1000 * (parseInt(main.getAttribute("data-every"), 10) || 5);
  var busy = false;
  function tick() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.status === 401 || r.status === 403) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) { if (typeof html === "string") main.innerHTML = html; })
      .catch(function () { /* the server is restarting: try again at the next tick */ })
      .then(function () { busy = false; });
  }
  setInterval(tick, every);
  document.addEventListener("visibilitychange", tick);
})();
