// Issuance run page (templates/batch/run.html): while the run is running, refresh the progress
// bar and the counts from progress.json every few seconds, without a reload. Progressive
// enhancement: without JavaScript the page has a refresh link. Screen readers hear a short
// announcement only when the status changes or another quarter of the work is finished, not at
// every poll. When the run stops running, the page reloads once to show the next step.
(function () {
  "use strict";
  var source = document.getElementById("run-progress-source");
  if (!source || source.dataset.status !== "running" || !window.fetch) { return; }
  var bar = document.getElementById("run-progress");
  var counts = document.getElementById("run-counts");
  var announce = document.getElementById("run-announce");
  var status = document.getElementById("run-status");
  var refresh = document.getElementById("run-refresh");
  if (refresh) { refresh.hidden = true; }
  var lastQuarter = Math.floor(Number(bar.value) / 25);
  var delay = 2000;

  function show(progress) {
    bar.value = progress.percent;
    bar.textContent = progress.percent + "%";
    counts.textContent = progress.summary;
    var quarter = Math.floor(progress.percent / 25);
    if (quarter !== lastQuarter) {
      lastQuarter = quarter;
      announce.textContent = progress.summary;
    }
  }

  function poll() {
    fetch(source.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (progress) {
        show(progress);
        delay = 2000;
        if (progress.status === "running") {
          setTimeout(poll, delay);
        } else {
          status.textContent = progress.status_display;
          announce.textContent = progress.status_display + ": " + progress.summary;
          setTimeout(function () { window.location.reload(); }, 1500);
        }
      })
      .catch(function () {
        // Signed out or the server is away: poll more slowly and show the manual link again.
        if (refresh) { refresh.hidden = false; }
        delay = Math.min(delay * 2, 30000);
        setTimeout(poll, delay);
      });
  }
  setTimeout(poll, delay);
})();
