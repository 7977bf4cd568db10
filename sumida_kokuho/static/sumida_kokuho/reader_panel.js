// Counter card reader page: refresh the panel while a check runs (every 2 s), else every 5 s.
// Progressive enhancement: without JavaScript the page still works by reloading it.
(function () {
  "use strict";
  var panel = document.getElementById("reader-panel");
  if (!panel) { return; }
  var url = panel.getAttribute("data-url");
  var last = "";
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        var delay = 5000;
        if (data) {
          if (data.html !== last) { panel.innerHTML = data.html; last = data.html; }
          if (data.verification && !data.verification.finished) { delay = 2000; }
        }
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, 2000);
})();
