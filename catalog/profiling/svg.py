"""Small inline SVG charts drawn server-side (no JavaScript, no external library)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


def bars(counts: Sequence[float], *, width: int = 160, height: int = 36, label: str = "") -> str:
    """A histogram as a row of bars."""
    if not counts:
        return ""
    top = max(counts) or 1
    step = width / len(counts)
    rects = "".join(
        f'<rect x="{i * step:.1f}" y="{height - h:.1f}" width="{max(step - 1, 1):.1f}" height="{h:.1f}"/>'
        for i, h in ((i, c / top * height) for i, c in enumerate(counts))
    )
    return (
        f'<svg class="spark" role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" fill="currentColor">{rects}</svg>'
    )


def compare_bars(
    labels: Sequence[str], reference: Sequence[float], current: Sequence[float], *, title: str, width: int = 420
) -> str:
    """Two distributions side by side (shares per bin or category): previous grey, current blue."""
    if not labels:
        return ""
    height, bottom, left = 150, 34, 30
    plot_h = height - bottom - 10
    top = max([*reference, *current, 0.0001])
    step = (width - left - 5) / len(labels)
    bar = max(step / 2 - 1, 1)
    parts = [
        f'<svg class="drift-plot" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-size="9" font-family="sans-serif">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{10 + plot_h}" x2="{width - 5}" y2="{10 + plot_h}" stroke="#888"/>',
        f'<text x="0" y="14">{top:.0%}</text>',
    ]
    for i, (name, ref, cur) in enumerate(zip(labels, reference, current, strict=True)):
        x = left + i * step
        ref_h, cur_h = ref / top * plot_h, cur / top * plot_h
        parts.append(
            f'<rect x="{x:.1f}" y="{10 + plot_h - ref_h:.1f}" width="{bar:.1f}" height="{ref_h:.1f}" fill="#9aa5b1">'
            f"<title>previous {escape(name)}: {ref:.1%}</title></rect>"
        )
        parts.append(
            f'<rect x="{x + bar + 1:.1f}" y="{10 + plot_h - cur_h:.1f}" width="{bar:.1f}" height="{cur_h:.1f}" '
            f'fill="#1f6feb"><title>current {escape(name)}: {cur:.1%}</title></rect>'
        )
        if len(labels) <= 12 or i % max(1, len(labels) // 6) == 0:
            short = name if len(name) <= 10 else name[:9] + "…"
            parts.append(f'<text x="{x:.1f}" y="{height - bottom + 14}">{escape(short)}</text>')
    parts.append(
        f'<rect x="{left}" y="{height - 12}" width="8" height="8" fill="#9aa5b1"/>'
        f'<text x="{left + 11}" y="{height - 4}">previous</text>'
        f'<rect x="{left + 70}" y="{height - 12}" width="8" height="8" fill="#1f6feb"/>'
        f'<text x="{left + 81}" y="{height - 4}">current</text></svg>'
    )
    return "".join(parts)
