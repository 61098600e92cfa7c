// Task runs (frontend/_task_run.html): poll /api/tasks/<id>/ while a run is queued or running and
// update its state, progress bar, message and reason in place. Included once per run fragment;
// runs once per page.
(function () {
  "use strict";
  if (window.cadastreTaskRuns) return;
  window.cadastreTaskRuns = true;

  var LABELS = { queued: "Queued", running: "Running", done: "Done", failed: "Failed" };
  var STATUS = { done: "status--ok", failed: "status--bad", queued: "status--info", running: "status--info" };
  var ACTIVE = { queued: true, running: true };

  function part(root, name) {
    return root.querySelector("[data-task-run-" + name + "]");
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function stamp(iso) {
    var d = new Date(iso);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }

  function renderTimes(times, run) {
    var parts = [["Queued", run.queued_at], ["started", run.started_at], ["finished", run.finished_at]];
    times.textContent = "";
    var first = true;
    parts.forEach(function (entry) {
      if (!entry[1]) return;
      if (!first) times.appendChild(document.createTextNode(", "));
      first = false;
      times.appendChild(document.createTextNode(entry[0] + " "));
      var time = document.createElement("time");
      time.setAttribute("datetime", entry[1]);
      time.textContent = stamp(entry[1]);
      times.appendChild(time);
    });
    times.appendChild(document.createTextNode((run.attempts > 1 ? " (" + run.attempts + " attempts)" : "") + "."));
  }

  function render(root, run) {
    var state = run.state;
    root.setAttribute("data-state", state);
    root.className = root.className.replace(/task-run--\w+/, "task-run--" + state);
    var label = LABELS[state] || state;
    part(root, "state").textContent = label;
    var status = part(root, "status");
    status.classList.remove("status--ok", "status--bad", "status--info");
    status.classList.add(STATUS[state] || "status--info");
    var bar = part(root, "progress");
    bar.value = run.progress;
    bar.textContent = run.progress + "%";
    bar.setAttribute("aria-valuenow", String(run.progress));
    bar.setAttribute("aria-valuetext", run.progress + "% " + label.toLowerCase());
    part(root, "percent").textContent = run.progress + "%";
    part(root, "message").textContent = run.message;
    var error = part(root, "error");
    part(root, "reason").textContent = run.error;
    error.hidden = state !== "failed";
    renderTimes(part(root, "times"), run);
  }

  function poll(root, delay) {
    var url = root.getAttribute("data-task-run-url");
    window.setTimeout(function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (run) {
          render(root, run);
          if (ACTIVE[run.state]) {
            poll(root, run.state === "running" ? 1500 : Math.min(delay * 1.5, 10000));
          } else if (root.hasAttribute("data-reload-when-finished")) {
            window.location.reload();
          }
        })
        .catch(function () {
          poll(root, Math.min(delay * 2, 30000)); // server briefly unreachable: keep trying, slower
        });
    }, delay);
  }

  function start() {
    var roots = document.querySelectorAll("[data-task-run]");
    for (var i = 0; i < roots.length; i++) {
      if (ACTIVE[roots[i].getAttribute("data-state")]) poll(roots[i], 1000);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
