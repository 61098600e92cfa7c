"""Draw the web app's icons (frontend/static/frontend/icon-*.png) from the favicon's design: four
amber squares on the header's navy. Run once when the design changes; the PNGs are committed.

    python scripts/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

STATIC = Path(__file__).resolve().parents[1] / "frontend" / "static" / "frontend"
NAVY = (20, 33, 61, 255)  # --c-header
AMBER = (255, 191, 71, 255)  # --c-focus, the favicon's squares
SIZES = (192, 512)
SUPERSAMPLE = 4


def draw_icon(size: int, *, maskable: bool) -> Image.Image:
    """A rounded tile ("any" purpose), or a full-bleed square whose mark stays inside the central
    circle of 40 % radius that every mask keeps ("maskable")."""
    side = size * SUPERSAMPLE
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle([0, 0, side, side], fill=NAVY)
        mark = 0.5 * side
    else:
        draw.rounded_rectangle([0, 0, side - 1, side - 1], radius=int(0.18 * side), fill=NAVY)
        mark = 0.62 * side
    # The favicon's 14-unit mark: two 6-unit squares and a 2-unit gap on each axis.
    cell, gap = mark * 6 / 14, mark * 2 / 14
    width = max(1, round(mark * 1.6 / 14))
    origin = (side - mark) / 2
    for column in (0, 1):
        for row in (0, 1):
            x, y = origin + column * (cell + gap), origin + row * (cell + gap)
            draw.rectangle([x, y, x + cell, y + cell], outline=AMBER, width=width)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    for size in SIZES:
        draw_icon(size, maskable=False).save(STATIC / f"icon-{size}.png", optimize=True)
        draw_icon(size, maskable=True).save(STATIC / f"icon-maskable-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
