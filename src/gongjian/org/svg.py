"""A small inline SVG of grid polygons (no map tiles needed; the full map comes with the web app)."""

from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac"]


def grids_svg(grids, width: int = 640) -> str:
    polys = []
    for g in grids:
        geom = g.geometry
        rings = geom["coordinates"] if geom["type"] == "Polygon" else [r for p in geom["coordinates"] for r in p]
        polys.append((g, rings))
    if not polys:
        return ""
    xs = [x for _, rings in polys for ring in rings for x, _y in ring]
    ys = [y for _, rings in polys for ring in rings for _x, y in ring]
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    kx = math.cos(math.radians((min_y + max_y) / 2))  # keep shapes true to the ground
    span_x = max((max_x - min_x) * kx, 1e-9)
    span_y = max(max_y - min_y, 1e-9)
    height = max(120, int(width * span_y / span_x))
    pad = 6

    def pt(x, y):
        px = pad + (x - min_x) * kx / span_x * (width - 2 * pad)
        py = pad + (max_y - y) / span_y * (height - 2 * pad)
        return f"{px:.1f},{py:.1f}"

    unit_colours: dict[int, str] = {}
    label = escape(_("网格分布图"))
    out = [f'<svg class="gridmap" viewBox="0 0 {width} {height}" role="img" aria-label="{label}">']
    for g, rings in polys:
        colour = unit_colours.setdefault(g.unit_id, PALETTE[len(unit_colours) % len(PALETTE)])
        d = " ".join("M" + " L".join(pt(x, y) for x, y in ring) + " Z" for ring in rings)
        out.append(f'<path d="{d}" fill="{colour}" fill-rule="evenodd"><title>{escape(g.code)} '
                   f'{escape(g.name)} · {escape(g.unit.name)}</title></path>')
    out.append("</svg>")
    return mark_safe("".join(out))
