"""Benchmark: point -> grid lookup with ``gongjian.org.geo.GridIndex``.

What it measures
----------------
* building a ``GridIndex`` over N grid polygons (default 5,000), and
* ``GridIndex.locate_indices`` over M random points (default 1,000,000), best of 3 runs,
  reported as points per second and checked against the target of 200,000 points/s.

For comparison it times the naive approach (a Python loop of ``polygon.contains(Point)`` over
every polygon, on unprepared polygons) for a small sample of points, and it checks correctness:
for a sample of random points, plus lattice nodes and edge vertices shared by several grids, the
index answer must equal brute force (the first polygon in order whose ``intersects`` is True, -1
when none).

The grids are a deterministic (seeded) jittered lattice of quadrilaterals over a district-sized
area around lng 113.2, lat 35.2. Neighbouring cells share their edges exactly (same vertices),
so the polygons do not overlap; every edge carries a few extra wiggled vertices so each polygon
has ~16-24 vertices, like real grid boundaries. About 5% of the points fall outside all grids.

No Django or database is needed. Run from the repository root:

    .venv/bin/python benchmarks/grid_lookup.py
    .venv/bin/python benchmarks/grid_lookup.py --polygons 2000 --points 200000 --seed 7

It is a benchmark, not a test: it always exits 0 and prints PASS/FAIL for the target.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Point, Polygon

try:
    from gongjian.org.geo import GridIndex
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from gongjian.org.geo import GridIndex

CENTRE_LNG, CENTRE_LAT = 113.2, 35.2
WIDTH_DEG, HEIGHT_DEG = 0.60, 0.45  # roughly 55 km x 50 km: a district
TARGET_POINTS_PER_S = 200_000
OUTSIDE_FRACTION = 0.05
NODE_JITTER = 0.2  # of a cell, interior lattice nodes
EDGE_WIGGLE = 0.06  # of an edge's length, perpendicular offset of the extra vertices


def log(msg: str) -> None:
    print(msg, flush=True)


def lattice_shape(n: int) -> tuple[int, int]:
    """Columns x rows with cols * rows >= n and cells roughly square on the ground."""
    aspect = (WIDTH_DEG * math.cos(math.radians(CENTRE_LAT))) / HEIGHT_DEG
    rows = max(1, round(math.sqrt(n / aspect)))
    cols = math.ceil(n / rows)
    return cols, rows


def build_grids(n: int, rng: np.random.Generator) -> list[Polygon]:
    """N non-overlapping polygons: cells of a jittered lattice, row by row, with shared edges."""
    cols, rows = lattice_shape(n)
    x0, y0 = CENTRE_LNG - WIDTH_DEG / 2, CENTRE_LAT - HEIGHT_DEG / 2
    dx, dy = WIDTH_DEG / cols, HEIGHT_DEG / rows

    # Nodes (cols+1) x (rows+1); interior ones jittered, boundary ones slide along the boundary.
    ii, jj = np.meshgrid(np.arange(cols + 1), np.arange(rows + 1), indexing="ij")
    nx = x0 + ii * dx
    ny = y0 + jj * dy
    jx = rng.uniform(-NODE_JITTER, NODE_JITTER, nx.shape) * dx
    jy = rng.uniform(-NODE_JITTER, NODE_JITTER, ny.shape) * dy
    jx[0, :] = jx[cols, :] = 0.0
    jy[:, 0] = jy[:, rows] = 0.0
    nodes_x, nodes_y = nx + jx, ny + jy

    def edge(a: tuple[int, int], b: tuple[int, int], on_boundary: bool) -> list[tuple[float, float]]:
        """Vertices from node a to node b inclusive, with 3-5 extra vertices in between."""
        ax, ay = nodes_x[a], nodes_y[a]
        bx, by = nodes_x[b], nodes_y[b]
        k = int(rng.integers(3, 6))
        # Spread the extra vertices out: sorted uniforms on evenly spaced slots.
        t = (np.arange(k) + rng.uniform(0.2, 0.8, k)) / k
        length = math.hypot(bx - ax, by - ay)
        px, py = -(by - ay) / length, (bx - ax) / length  # unit normal
        off = np.zeros(k) if on_boundary else rng.uniform(-EDGE_WIGGLE, EDGE_WIGGLE, k) * length
        off *= np.sin(np.pi * t)  # taper towards the nodes so edges meeting there cannot cross
        pts = [(float(ax), float(ay))]
        pts += [(float(ax + tt * (bx - ax) + o * px), float(ay + tt * (by - ay) + o * py))
                for tt, o in zip(t, off, strict=True)]
        pts.append((float(bx), float(by)))
        return pts

    # horizontal[i][j]: node (i, j) -> (i+1, j); vertical[i][j]: node (i, j) -> (i, j+1)
    horizontal = [[edge((i, j), (i + 1, j), j in (0, rows)) for j in range(rows + 1)]
                  for i in range(cols)]
    vertical = [[edge((i, j), (i, j + 1), i in (0, cols)) for j in range(rows)]
                for i in range(cols + 1)]

    polygons = []
    for j in range(rows):
        for i in range(cols):
            if len(polygons) == n:
                break
            ring = (horizontal[i][j][:-1]  # bottom, left to right
                    + vertical[i + 1][j][:-1]  # right, upwards
                    + horizontal[i][j + 1][::-1][:-1]  # top, right to left
                    + vertical[i][j][::-1][:-1])  # left, downwards
            polygons.append(Polygon(ring))
    return polygons


def check_grids(polygons: list[Polygon]) -> None:
    geoms = np.asarray(polygons, dtype=object)
    valid = shapely.is_valid(geoms)
    assert valid.all(), f"{(~valid).sum()} invalid polygons, first: {np.flatnonzero(~valid)[:5]}"
    # Interiors must not overlap: relate pattern T******** between any two candidates.
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    keep = a < b
    overlapping = shapely.relate_pattern(geoms[a[keep]], geoms[b[keep]], "T********")
    assert not overlapping.any(), f"{overlapping.sum()} overlapping pairs"
    counts = shapely.get_num_coordinates(geoms) - 1  # the ring repeats its first vertex
    log(f"  {len(polygons):,} polygons valid and non-overlapping; vertices per polygon "
        f"min {counts.min()}, mean {counts.mean():.1f}, max {counts.max()}")


def random_points(m: int, polygons: list[Polygon], rng: np.random.Generator):
    """M points, uniform over the grids' bounding box grown so ~5% of them fall outside."""
    min_x, min_y, max_x, max_y = shapely.total_bounds(np.asarray(polygons, dtype=object))
    w, h = max_x - min_x, max_y - min_y
    covered = float(shapely.area(np.asarray(polygons, dtype=object)).sum())
    wanted = covered / (1 - OUTSIDE_FRACTION)
    # (w + 2e)(h + 2e) = wanted  ->  4e^2 + 2(w + h)e + (wh - wanted) = 0
    c = w * h - wanted
    e = max(0.0, (-(2 * (w + h)) + math.sqrt(4 * (w + h) ** 2 - 16 * c)) / 8)
    lngs = rng.uniform(min_x - e, max_x + e, m)
    lats = rng.uniform(min_y - e, max_y + e, m)
    return lngs, lats


def brute_force(polygons_arr: np.ndarray, lng: float, lat: float) -> int:
    """First polygon in order whose ``intersects`` holds (boundary included), -1 if none."""
    hits = np.flatnonzero(shapely.intersects(polygons_arr, Point(lng, lat)))
    return int(hits[0]) if hits.size else -1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--polygons", type=int, default=5000, help="number of grid polygons (5000)")
    parser.add_argument("--points", type=int, default=1_000_000, help="number of points (1000000)")
    parser.add_argument("--seed", type=int, default=20240601, help="RNG seed")
    parser.add_argument("--baseline-points", type=int, default=200,
                        help="points for the naive Python-loop baseline (200)")
    parser.add_argument("--check-points", type=int, default=2000,
                        help="random points checked against brute force (2000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of locate_indices (3)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)

    log(f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), numpy {np.__version__}, "
        f"python {sys.version.split()[0]}")
    log(f"building {args.polygons:,} grid polygons (seed {args.seed}) ...")
    t = time.perf_counter()
    polygons = build_grids(args.polygons, rng)
    log(f"  built in {time.perf_counter() - t:.2f} s; checking validity and overlaps ...")
    check_grids(polygons)

    log(f"generating {args.points:,} random points ...")
    lngs, lats = random_points(args.points, polygons, rng)

    # The naive baseline uses its own unprepared copies: GridIndex prepares the geometries it is
    # given in place, which would quietly speed the baseline up.
    plain = list(shapely.from_wkb(shapely.to_wkb(np.asarray(polygons, dtype=object))))

    log("building GridIndex ...")
    t = time.perf_counter()
    index = GridIndex(range(len(polygons)), polygons)
    build_s = time.perf_counter() - t
    log(f"  GridIndex built in {build_s:.3f} s")

    log(f"timing locate_indices over {args.points:,} points (best of {args.repeat}) ...")
    runs = []
    result = None
    for r in range(args.repeat):
        t = time.perf_counter()
        result = index.locate_indices(lngs, lats)
        runs.append(time.perf_counter() - t)
        log(f"  run {r + 1}: {runs[-1]:.3f} s")
    best = min(runs)
    index_rate = args.points / best
    outside = float((result < 0).mean())

    n_base = min(args.baseline_points, args.points)
    log(f"timing naive baseline: Python loop of polygon.contains(Point) over {len(plain):,} "
        f"polygons for {n_base} points ...")
    t = time.perf_counter()
    base_answers = []
    for x, y in zip(lngs[:n_base], lats[:n_base], strict=True):
        p = Point(x, y)
        found = -1
        for k, poly in enumerate(plain):
            if poly.contains(p):
                found = k
                break
        base_answers.append(found)
    base_s = time.perf_counter() - t
    base_rate = n_base / base_s if base_s > 0 else float("inf")
    base_agree = sum(int(a == b) for a, b in zip(base_answers, result[:n_base], strict=True))

    log("checking correctness against brute force ...")
    n_check = min(args.check_points, args.points)
    check_idx = rng.choice(args.points, n_check, replace=False)
    check_lng = list(lngs[check_idx])
    check_lat = list(lats[check_idx])
    # Plus vertices shared by 2-4 grids (lattice nodes, edge vertices): where the tie-break matters.
    coords = shapely.get_coordinates(np.asarray(polygons, dtype=object))
    shared = coords[rng.choice(len(coords), min(500, len(coords)), replace=False)]
    n_random = len(check_lng)
    check_lng += list(shared[:, 0])
    check_lat += list(shared[:, 1])
    got = index.locate_indices(check_lng, check_lat)
    arr = np.asarray(plain, dtype=object)
    want = np.array([brute_force(arr, x, y) for x, y in zip(check_lng, check_lat, strict=True)])
    agree_random = int((got[:n_random] == want[:n_random]).sum())
    agree_shared = int((got[n_random:] == want[n_random:]).sum())

    print()
    print(f"polygons:                   {len(polygons):,}")
    print(f"points:                     {args.points:,} ({outside:.1%} outside all grids)")
    print(f"GridIndex build:            {build_s:.3f} s")
    print(f"locate_indices:             best {best:.3f} s of {', '.join(f'{r:.3f}' for r in runs)} s"
          f"  ->  {index_rate:,.0f} points/s")
    print(f"naive baseline:             {base_s:.3f} s for {n_base} points  ->  {base_rate:,.1f} points/s"
          f"  (agrees with index on {base_agree}/{n_base})")
    print(f"speed-up (index/baseline):  {index_rate / base_rate:,.0f}x")
    print(f"correctness vs brute force: random points {agree_random}/{n_random} agree; "
          f"shared vertices {agree_shared}/{len(shared)} agree")
    verdict = "PASS" if index_rate >= TARGET_POINTS_PER_S else "FAIL"
    print(f"target >= {TARGET_POINTS_PER_S:,} points/s: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
