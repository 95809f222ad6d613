// Lead dashboard: plot exactly the numbers the server embedded in #dashboard-data.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  const config = { displayModeBar: false, responsive: true };
  const layout = (extra) => Object.assign({
    margin: { l: 48, r: 12, t: 8, b: 48 }, height: 260, font: { size: 12 },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
  }, extra || {});
  // A chart with data-link opens the items behind a clicked point: the link as it is, or with
  // the point's x (a member's name) appended when data-link-point="x".
  const plot = (id, traces, extra) => {
    const el = document.getElementById(id);
    if (!el) return;
    Plotly.newPlot(el, traces, layout(extra), config);
    if (el.dataset.link) {
      el.on("plotly_click", (event) => {
        const point = event.points && event.points[0];
        const tail = el.dataset.linkPoint === "x" && point ? encodeURIComponent(point.x) : "";
        window.location.href = el.dataset.link + tail;
      });
    }
  };

  const trend = data.agreement_trend || [];
  plot("chart-agreement", [{
    type: "scatter", mode: "lines+markers", name: "α",
    x: trend.map((t) => t.at), y: trend.map((t) => t.alpha),
  }], {
    yaxis: { range: [Math.min(0, ...trend.map((t) => t.alpha)) - 0.05, 1.02], title: "Krippendorff's α" },
    shapes: [0.6, 0.8].map((y) => ({ type: "line", xref: "paper", x0: 0, x1: 1, y0: y, y1: y, line: { dash: "dot", color: y < 0.7 ? "#b42318" : "#17794a" } })),
  });

  if (data.gold && data.gold.members) {
    const names = Object.keys(data.gold.members).sort();
    const overall = names.map((n) => data.gold.members[n].overall);
    plot("chart-gold", [{
      type: "bar", x: names, y: overall.map((o) => o.accuracy),
      error_y: { type: "data", symmetric: false, array: overall.map((o) => o.high - o.accuracy), arrayminus: overall.map((o) => o.accuracy - o.low) },
      text: overall.map((o) => `${o.correct}/${o.n}`), textposition: "auto",
    }], { yaxis: { range: [0, 1], title: "accuracy (95% interval)" } });
  }

  const m = data.metrics;
  if (m) {
    const days = m.throughput.per_day;
    plot("chart-throughput", [{ type: "bar", x: days.map((d) => d.day), y: days.map((d) => d.labels) }], { yaxis: { title: "labels" } });
    const queues = Object.keys(m.time_by_queue);
    plot("chart-time", ["median_s", "p90_s"].map((key) => ({
      type: "bar", name: key === "median_s" ? "median" : "p90", x: queues, y: queues.map((q) => m.time_by_queue[q][key]),
    })), { barmode: "group", yaxis: { title: "seconds" } });
    const pareto = m.review && m.review.pareto;
    if (pareto) {
      const rows = pareto.tag || pareto.error_tags || Object.values(pareto)[0] || [];
      plot("chart-pareto", [
        { type: "bar", name: "count", x: rows.map((r) => r.key), y: rows.map((r) => r.count) },
        { type: "scatter", mode: "lines+markers", name: "cumulative", yaxis: "y2", x: rows.map((r) => r.key), y: rows.map((r) => r.cumulative) },
      ], { yaxis2: { overlaying: "y", side: "right", range: [0, 1] } });
    }
  }
})();
