"""The metrics plot of a project's model timeline, drawn server-side as inline SVG (no script, no CDN)."""

from __future__ import annotations

from typing import Any

from projects.selectors import MetricSeries, metric_misses_target

PLOT_COLOURS = ("#1d4ed8", "#b45309", "#047857", "#7c3aed")
PLOT_W, PLOT_H, PLOT_PAD = 640, 220, 40


def metrics_plot(series: list[MetricSeries]) -> dict[str, Any] | None:
    """Geometry of the plot: one line per metric (the project's ML-metric KPIs first, four at most)
    over the versions' creation times, each KPI's target dashed, the points that miss it marked.
    ``None`` when no version has a metric."""
    lines = [s for s in series if s.points][: len(PLOT_COLOURS)]
    if not lines:
        return None
    times = [p[0].timestamp() for s in lines for p in s.points]
    values = [p[1] for s in lines for p in s.points] + [s.kpi.target for s in lines if s.kpi]
    t0, t1 = min(times), max(times)
    v0, v1 = min(values), max(values)
    if v1 == v0:
        v0, v1 = v0 - 0.5, v1 + 0.5
    margin = (v1 - v0) * 0.08
    v0, v1 = v0 - margin, v1 + margin

    def x(t: float) -> float:
        if t1 == t0:
            return PLOT_W / 2
        return round(PLOT_PAD + (t - t0) / (t1 - t0) * (PLOT_W - 2 * PLOT_PAD), 1)

    def y(v: float) -> float:
        return round(PLOT_H - PLOT_PAD - (v - v0) / (v1 - v0) * (PLOT_H - 2 * PLOT_PAD), 1)

    drawn = []
    for colour, line in zip(PLOT_COLOURS, lines, strict=False):
        points = [
            {
                "x": x(at.timestamp()),
                "y": y(value),
                "value": value,
                "label": label,
                "misses": line.kpi is not None and metric_misses_target(line.kpi, value),
            }
            for at, value, label in line.points
        ]
        drawn.append(
            {
                "key": line.key,
                "kpi": line.kpi,
                "colour": colour,
                "path": " ".join(f"{p['x']},{p['y']}" for p in points),
                "points": points,
                "target_y": y(line.kpi.target) if line.kpi else None,
            }
        )
    return {
        "width": PLOT_W,
        "height": PLOT_H,
        "left": PLOT_PAD,
        "right": PLOT_W - PLOT_PAD,
        "bottom": PLOT_H - PLOT_PAD,
        "label_y": PLOT_H - PLOT_PAD + 18,
        "lines": drawn,
        "ticks": [{"y": y(v), "value": v} for v in (v0 + (v1 - v0) * i / 4 for i in range(5))],
        "first": min(p[0] for s in lines for p in s.points),
        "last": max(p[0] for s in lines for p in s.points),
    }
