// Issuance run page: refresh the progress bar from progress.json while the run is running.
(function () {
  "use strict";
  var source = document.getElementById("run-progress-source");
  if (!source || !source.dataset.running) { return; }
  var bar = document.getElementById("run-progress");
  var counts = document.getElementById("run-counts");
  function poll() {
    fetch(source.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (p) {
        bar.value = p.percent;
        bar.textContent = p.percent + "%";
        counts.textContent = p.done + " / " + p.planned + " (" + p.failed + " ✕, " + p.pending + " …)";
        if (p.status === "running") { setTimeout(poll, 2000); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2000);
})();
