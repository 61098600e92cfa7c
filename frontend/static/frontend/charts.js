// Cadastre charts: Chart.js (from the npm registry, served by the app: frontend/vendor/) drawn from
// an accessible data table. Every chart is a table first; the picture is an enhancement.
//
// Usage, in a template (load the scripts with {% load charts_ui %}{% chart_scripts %} in the
// page's {% block scripts %}):
//
//   <figure class="chart" data-chart='{"type": "bar", "label": "Projects"}'>
//     <figcaption>Projects per stage</figcaption>
//     <table class="chart__data">
//       <thead><tr><th scope="col">Stage</th><th scope="col">Projects</th></tr></thead>
//       <tbody><tr><th scope="row">Exploration</th><td data-value="3">3</td></tr> ...</tbody>
//     </table>
//   </figure>
//
// * The first column holds the labels (x axis); every further column is one series, named by its
//   header. A cell's number is its data-value attribute, else its text.
// * data-chart is JSON: "type" (bar, line, pie, doughnut; default bar), optional "label" (the
//   y-axis title), "stacked" (bar), "horizontal" (bar), "height" (CSS pixels, default 240),
//   "options" (merged into Chart.js options). Instead of a table it may carry "data"
//   ({"labels": [...], "datasets": [{"label": ..., "data": [...]}]}): the table is then built
//   from it, so nothing is shown only as a picture.
// * The canvas is role="img" with a text summary; the table moves into a "Show the data" disclosure.
//   Without Chart.js (or JavaScript) the table simply stays as it is.
(function () {
  "use strict";

  var PALETTE = ["#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0e7490", "#4d7c0f", "#475569"];

  function numberOf(cell) {
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent;
    var value = parseFloat(String(raw).replace(/[\s\u202f\u00a0,]/g, ""));
    return isNaN(value) ? null : value;
  }

  function dataFromTable(table) {
    var headers = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    var rows = table.querySelectorAll("tbody tr");
    var labels = [];
    var datasets = headers.slice(1).map(function (name) {
      return { label: name, data: [] };
    });
    Array.prototype.forEach.call(rows, function (row) {
      var cells = row.querySelectorAll("th, td");
      if (!cells.length) {
        return;
      }
      labels.push(cells[0].textContent.trim());
      datasets.forEach(function (dataset, index) {
        var cell = cells[index + 1];
        dataset.data.push(cell ? numberOf(cell) : null);
      });
    });
    return { labels: labels, datasets: datasets };
  }

  function tableFromData(data, caption) {
    var table = document.createElement("table");
    table.className = "chart__data";
    if (caption) {
      var cap = document.createElement("caption");
      cap.textContent = caption;
      table.appendChild(cap);
    }
    var head = table.createTHead().insertRow();
    [""].concat(data.datasets.map(function (d) { return d.label || ""; })).forEach(function (text) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = text;
      head.appendChild(th);
    });
    var body = table.createTBody();
    data.labels.forEach(function (label, rowIndex) {
      var row = body.insertRow();
      var th = document.createElement("th");
      th.scope = "row";
      th.textContent = label;
      row.appendChild(th);
      data.datasets.forEach(function (dataset) {
        var value = dataset.data[rowIndex];
        row.insertCell().textContent = value === null || value === undefined ? "" : String(value);
      });
    });
    return table;
  }

  function summary(title, data) {
    var parts = data.labels.map(function (label, index) {
      return label + ": " + data.datasets.map(function (d) {
        return (data.datasets.length > 1 ? d.label + " " : "") + d.data[index];
      }).join(", ");
    });
    return (title ? title + ". " : "") + parts.join("; ") + ".";
  }

  function merge(target, source) {
    Object.keys(source || {}).forEach(function (key) {
      var value = source[key];
      if (value && typeof value === "object" && !Array.isArray(value)) {
        target[key] = merge(target[key] && typeof target[key] === "object" ? target[key] : {}, value);
      } else {
        target[key] = value;
      }
    });
    return target;
  }

  function render(element) {
    var config;
    try {
      config = JSON.parse(element.getAttribute("data-chart") || "{}");
    } catch (error) {
      window.console && window.console.warn("Cadastre chart: data-chart is not JSON", element);
      return;
    }
    var caption = element.querySelector("figcaption");
    var title = config.title || (caption ? caption.textContent.trim() : "");
    var table = element.querySelector("table");
    var data = config.data || (table ? dataFromTable(table) : null);
    if (!data || !data.labels || !data.labels.length) {
      return;
    }
    if (!table) {
      table = tableFromData(data, title);
      element.appendChild(table);
    }
    if (typeof window.Chart !== "function") {
      return; // no Chart.js: the table is the chart
    }
    var type = config.type || "bar";
    var circular = type === "pie" || type === "doughnut";
    data.datasets.forEach(function (dataset, index) {
      var colours = circular ? data.labels.map(function (_, i) { return PALETTE[i % PALETTE.length]; }) : PALETTE[index % PALETTE.length];
      dataset.backgroundColor = dataset.backgroundColor || colours;
      dataset.borderColor = dataset.borderColor || colours;
    });

    var box = document.createElement("div");
    box.className = "chart__canvas";
    box.style.height = (config.height || 240) + "px";
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", summary(title, data));
    canvas.textContent = summary(title, data);
    box.appendChild(canvas);

    var details = document.createElement("details");
    details.className = "chart__table";
    var toggle = document.createElement("summary");
    toggle.textContent = "Show the data";
    details.appendChild(toggle);
    table.parentNode.insertBefore(box, table);
    table.parentNode.insertBefore(details, table);
    details.appendChild(table);

    var styles = window.getComputedStyle(element);
    var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: reduceMotion ? false : { duration: 300 },
      indexAxis: config.horizontal ? "y" : "x",
      plugins: {
        legend: { display: circular || data.datasets.length > 1 },
        tooltip: { enabled: true },
      },
      color: styles.color,
      font: { family: styles.fontFamily },
    };
    if (!circular) {
      var valueAxis = config.horizontal ? "x" : "y";
      var labelAxis = config.horizontal ? "y" : "x";
      options.scales = {};
      options.scales[valueAxis] = {
        beginAtZero: true,
        stacked: !!config.stacked,
        ticks: { color: styles.color, precision: 0 },
        title: { display: !!config.label, text: config.label || "", color: styles.color },
      };
      options.scales[labelAxis] = { stacked: !!config.stacked, ticks: { color: styles.color } };
    }
    element.chart = new window.Chart(canvas, {
      type: type,
      data: data,
      options: merge(options, config.options),
    });
    element.classList.add("chart--drawn");
  }

  function renderAll(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-chart]"), function (element) {
      if (!element.hasAttribute("data-chart-ready")) {
        element.setAttribute("data-chart-ready", "");
        render(element);
      }
    });
  }

  window.CadastreCharts = { render: render, renderAll: renderAll };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { renderAll(document); });
  } else {
    renderAll(document);
  }
})();
