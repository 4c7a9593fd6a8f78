"""gongjian.org.geo: GeoJSON validation, overlap, area and the point -> grid index. No database."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from gongjian.core.errors import Invalid
from gongjian.org.geo import GridIndex, area_m2, interiors_overlap, parse_polygon

LNG, LAT = 113.2, 35.2


def square(x0: float, y0: float, size: float = 0.01) -> list[list[float]]:
    return [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]


def polygon_json(*rings) -> dict:
    return {"type": "Polygon", "coordinates": list(rings)}


def assert_invalid(geojson, *fragments: str) -> Invalid:
    with pytest.raises(Invalid) as info:
        parse_polygon(geojson)
    err = info.value
    assert err.field == "geometry"
    for fragment in fragments:
        assert fragment in err.message, err.message
    return err


# ---------------------------------------------------------------- parse_polygon: accepted


def test_parse_polygon_accepts_polygon():
    geom = parse_polygon(polygon_json(square(LNG, LAT)))
    assert isinstance(geom, Polygon)
    assert geom.is_valid
    assert geom.bounds == pytest.approx((LNG, LAT, LNG + 0.01, LAT + 0.01))


def test_parse_polygon_accepts_polygon_with_hole():
    outer = square(LNG, LAT, 0.03)
    hole = square(LNG + 0.01, LAT + 0.01, 0.01)
    geom = parse_polygon(polygon_json(outer, hole))
    assert len(geom.interiors) == 1
    assert geom.area == pytest.approx(0.03**2 - 0.01**2)


def test_parse_polygon_accepts_multipolygon():
    geojson = {"type": "MultiPolygon",
               "coordinates": [[square(LNG, LAT)], [square(LNG + 0.02, LAT)]]}
    geom = parse_polygon(geojson)
    assert isinstance(geom, MultiPolygon)
    assert len(geom.geoms) == 2


def test_parse_polygon_accepts_feature_holding_a_polygon():
    feature = {"type": "Feature", "properties": {"name": "网格一"},
               "geometry": polygon_json(square(LNG, LAT))}
    geom = parse_polygon(feature)
    assert isinstance(geom, Polygon)
    assert geom.equals(box(LNG, LAT, LNG + 0.01, LAT + 0.01))


def test_parse_polygon_uses_the_field_name_given():
    with pytest.raises(Invalid) as info:
        parse_polygon({"type": "Point", "coordinates": [LNG, LAT]}, field="boundary")
    assert info.value.field == "boundary"


# ---------------------------------------------------------------- parse_polygon: rejected


@pytest.mark.parametrize("geojson", [
    "not a dict",
    None,
    [[LNG, LAT]],
    {"type": "Polygon"},  # no coordinates
    {"coordinates": [square(LNG, LAT)]},  # no type
    {"type": "Feature", "geometry": None},
    {"type": "Feature"},
], ids=["string", "none", "list", "no-coordinates", "no-type", "feature-null-geometry",
        "feature-no-geometry"])
def test_parse_polygon_rejects_non_geojson(geojson):
    assert_invalid(geojson, "GeoJSON", "type", "coordinates")


@pytest.mark.parametrize("geojson", [
    {"type": "Point", "coordinates": [LNG, LAT]},
    {"type": "LineString", "coordinates": [[LNG, LAT], [LNG + 0.01, LAT + 0.01]]},
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [LNG, LAT]}},
], ids=["point", "linestring", "feature-point"])
def test_parse_polygon_rejects_non_polygons(geojson):
    err = assert_invalid(geojson, "必须是面", "must be a Polygon or MultiPolygon")
    assert geojson.get("geometry", geojson)["type"] in err.message


def test_parse_polygon_rejects_bow_tie_and_says_where():
    # (0,0) -> (1,1) -> (1,0) -> (0,1): the two diagonals cross at (0.5, 0.5).
    bow_tie = polygon_json([[LNG, LAT], [LNG + 1, LAT + 1], [LNG + 1, LAT], [LNG, LAT + 1], [LNG, LAT]])
    err = assert_invalid(bow_tie, "自相交", "self-intersects")
    assert "113.7" in err.message and "35.7" in err.message  # the crossing point


def test_parse_polygon_rejects_latitude_out_of_range():
    ring = [[LNG, 95.0], [LNG + 0.01, 95.0], [LNG + 0.01, 95.01], [LNG, 95.01], [LNG, 95.0]]
    assert_invalid(polygon_json(ring), "超出经纬度范围", "out of range")


def test_parse_polygon_rejects_swapped_lat_lng():
    swapped = [[lat, lng] for lng, lat in square(LNG, LAT)]  # [35.2, 113.2]: "latitude" 113.2
    assert_invalid(polygon_json(swapped), "超出经纬度范围", "[经度, 纬度]", "order is [lng, lat]")


def test_parse_polygon_rejects_longitude_out_of_range():
    assert_invalid(polygon_json(square(179.995, LAT)), "超出经纬度范围")


def test_parse_polygon_rejects_too_few_distinct_points():
    # Four coordinates (a closed ring to shapely) but only two distinct points.
    ring = [[LNG, LAT], [LNG + 0.01, LAT + 0.01], [LNG + 0.01, LAT + 0.01], [LNG, LAT]]
    assert_invalid(polygon_json(ring), "点数太少", "too few points")
    ring = [[LNG, LAT], [LNG + 0.01, LAT + 0.01], [LNG, LAT]]
    assert_invalid(polygon_json(ring), "点数太少", "too few points")


def test_parse_polygon_rejects_two_point_ring():
    assert_invalid(polygon_json([[LNG, LAT], [LNG + 0.01, LAT + 0.01]]), "点数太少", "第 1 个环")


def test_parse_polygon_rejects_empty_polygon():
    assert_invalid(polygon_json(), "为空", "empty")


@pytest.mark.parametrize("ring", [
    [[LNG, LAT], [LNG + 0.01, LAT], [LNG + 0.02, LAT], [LNG, LAT]],  # collinear
    [[LNG, LAT], [LNG + 0.01, LAT + 0.01], [LNG + 0.02, LAT + 0.02], [LNG + 0.01, LAT + 0.01],
     [LNG, LAT]],  # out and back along a line
], ids=["collinear", "out-and-back"])
def test_parse_polygon_rejects_zero_area_polygon(ring):
    # All points on one line: say so, rather than GEOS's "self-intersection".
    assert_invalid(polygon_json(ring), "面积为零")


def test_parse_polygon_zero_area_message_says_zero_area():
    ring = [[LNG, LAT], [LNG + 0.01, LAT], [LNG + 0.02, LAT], [LNG, LAT]]
    assert_invalid(polygon_json(ring), "面积为零")


@pytest.mark.parametrize("bad", ["abc", None, [1, 2], {"x": 1}], ids=["string", "none", "list", "dict"])
def test_parse_polygon_rejects_non_numeric_coordinates(bad):
    ring = square(LNG, LAT)
    ring[1] = [bad, LAT]
    assert_invalid(polygon_json(ring), "坐标格式有误", "malformed coordinates")


def test_parse_polygon_rejects_coordinates_that_are_not_a_list():
    assert_invalid(polygon_json("abc"), "坐标格式有误")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("position", [0, 2], ids=["first-vertex", "middle-vertex"])
def test_parse_polygon_rejects_nan(position):
    ring = square(LNG, LAT)
    ring[position] = [math.nan, LAT]
    if position == 0:
        ring[-1] = [math.nan, LAT]
    assert_invalid(polygon_json(ring))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_parse_polygon_nan_message_says_non_numeric():
    ring = square(LNG, LAT)
    ring[2] = [math.nan, LAT]
    assert_invalid(polygon_json(ring), "非数值")


@pytest.mark.parametrize("value", [math.inf, -math.inf])
def test_parse_polygon_rejects_infinity(value):
    ring = square(LNG, LAT)
    ring[2] = [value, LAT + 0.01]
    assert_invalid(polygon_json(ring), "非数值", "non-finite")


# ---------------------------------------------------------------- interiors_overlap


def test_overlapping_squares_overlap():
    assert interiors_overlap(box(0, 0, 2, 2), box(1, 1, 3, 3))


def test_squares_sharing_an_edge_do_not_overlap():
    assert not interiors_overlap(box(0, 0, 1, 1), box(1, 0, 2, 1))
    # also when the shared edge is only partly shared
    assert not interiors_overlap(box(0, 0, 1, 1), box(1, 0.5, 2, 1.5))


def test_squares_sharing_a_corner_do_not_overlap():
    assert not interiors_overlap(box(0, 0, 1, 1), box(1, 1, 2, 2))


def test_square_inside_another_overlaps_both_ways():
    outer, inner = box(0, 0, 3, 3), box(1, 1, 2, 2)
    assert interiors_overlap(outer, inner)
    assert interiors_overlap(inner, outer)


def test_separate_squares_do_not_overlap():
    assert not interiors_overlap(box(0, 0, 1, 1), box(2, 2, 3, 3))


def test_square_in_a_hole_does_not_overlap_the_ring_around_it():
    donut = Polygon(box(0, 0, 3, 3).exterior.coords, [box(1, 1, 2, 2).exterior.coords])
    assert not interiors_overlap(donut, box(1, 1, 2, 2))
    assert interiors_overlap(donut, box(0.5, 0.5, 2, 2))


# ---------------------------------------------------------------- area_m2


def test_area_of_a_small_square_at_the_district_latitude():
    # By hand: 0.01° of latitude = 0.01 * 110574 = 1105.74 m; 0.01° of longitude at the centre,
    # lat 35.205°, = 0.01 * 111320 * cos(35.205°) = 1113.2 * 0.817094 ≈ 909.59 m;
    # area ≈ 1105.74 * 909.59 ≈ 1,005,770 m².
    expected = 1_005_770
    geom = parse_polygon(polygon_json(square(113.2, 35.2)))
    assert area_m2(geom) == pytest.approx(expected, rel=0.01)


def test_area_shrinks_with_latitude():
    at_equator = area_m2(box(113.2, 0, 113.21, 0.01))
    at_60 = area_m2(box(113.2, 60, 113.21, 60.01))
    assert at_equator == pytest.approx(0.01 * 110574 * 0.01 * 111320, rel=1e-4)
    assert at_60 / at_equator == pytest.approx(0.5, rel=0.01)


# ---------------------------------------------------------------- GridIndex

A = box(0, 0, 1, 1)
B = box(1, 0, 2, 1)  # shares the edge x = 1 with A


def test_point_inside_and_outside():
    index = GridIndex([10, 20], [A, B])
    assert len(index) == 2
    assert index.locate(0.5, 0.5) == 10
    assert index.locate(1.5, 0.5) == 20
    assert index.locate(5, 5) is None
    assert index.locate(-0.5, 0.5) is None
    assert list(index.locate_indices([0.5, 1.5, 5.0], [0.5, 0.5, 5.0])) == [0, 1, -1]


@pytest.mark.parametrize(("keys", "geoms", "expected"), [
    (["a", "b"], [A, B], "a"),
    (["b", "a"], [B, A], "b"),
])
def test_point_on_shared_edge_goes_to_lowest_index(keys, geoms, expected):
    index = GridIndex(keys, geoms)
    assert index.locate(1, 0.5) == expected  # on the edge
    assert index.locate(1, 0) == expected  # a vertex of both
    assert index.locate(1, 1) == expected


def test_shared_corner_goes_to_lowest_index_whatever_the_tree_order():
    # A 6 x 6 block of unit squares, indexed in many shuffled orders: the STRtree's internal
    # order differs from the given order, but every interior node touches four squares and must
    # go to the lowest index among them.
    cells = {(i, j): box(i, j, i + 1, j + 1) for i in range(6) for j in range(6)}
    rng = random.Random(7)
    for _ in range(20):
        order = list(cells)
        rng.shuffle(order)
        position = {cell: n for n, cell in enumerate(order)}
        index = GridIndex([f"{i}-{j}" for i, j in order], [cells[c] for c in order])
        nodes = [(i, j) for i in range(1, 6) for j in range(1, 6)]
        got = index.locate_indices([float(i) for i, _ in nodes], [float(j) for _, j in nodes])
        for (i, j), idx in zip(nodes, got, strict=True):
            around = [(i - 1, j - 1), (i, j - 1), (i - 1, j), (i, j)]
            assert idx == min(position[c] for c in around)
        # and mid-edge points shared by two squares
        i, j = min([(2, 2), (3, 2)], key=position.__getitem__)
        assert index.locate(3, 2.5) == f"{i}-{j}"


def test_point_on_outer_boundary_belongs_to_the_polygon():
    index = GridIndex([1, 2], [A, B])
    assert index.locate(0, 0.5) == 1  # left edge of A
    assert index.locate(0.5, 1) == 1  # top edge of A
    assert index.locate(2, 0.5) == 2  # right edge of B
    assert index.locate(2, 1) == 2  # corner of B
    assert index.locate(2 + 1e-9, 0.5) is None


def test_many_points_at_once_equal_single_lookups():
    polys = [box(i, j, i + 1, j + 1) for i in range(4) for j in range(3)]
    index = GridIndex([100 + n for n in range(len(polys))], polys)
    rng = np.random.default_rng(3)
    lngs = np.concatenate([rng.uniform(-1, 5, 300), np.arange(-1, 6, 0.5)])
    lats = np.concatenate([rng.uniform(-1, 4, 300), np.full(14, 1.0)])
    many = index.locate_many(lngs, lats)
    assert many == [index.locate(x, y) for x, y in zip(lngs, lats, strict=True)]
    assert any(k is None for k in many) and any(k is not None for k in many)
    # lists work as well as arrays
    assert index.locate_many(list(lngs), list(lats)) == many


def test_no_points():
    index = GridIndex([1], [A])
    assert index.locate_indices([], []).shape == (0,)
    assert index.locate_many([], []) == []


def test_empty_index_returns_minus_one():
    index = GridIndex([], [])
    assert len(index) == 0
    got = index.locate_indices([0.5, 1.5, 113.2], [0.5, 0.5, 35.2])
    assert got.tolist() == [-1, -1, -1]
    assert index.locate_many([0.5], [0.5]) == [None]
    assert index.locate(0.5, 0.5) is None


def test_polygon_with_hole():
    donut = Polygon(box(0, 0, 3, 3).exterior.coords, [box(1, 1, 2, 2).exterior.coords])
    index = GridIndex(["donut"], [donut])
    assert index.locate(0.5, 0.5) == "donut"
    assert index.locate(1.5, 1.5) is None  # in the hole
    assert index.locate(1, 1.5) == "donut"  # on the hole's edge: still the donut's boundary

    # An island grid filling the hole takes the points inside it.
    island = box(1, 1, 2, 2)
    index = GridIndex(["donut", "island"], [donut, island])
    assert index.locate(1.5, 1.5) == "island"
    assert index.locate(1, 1.5) == "donut"  # shared edge: lowest index


def test_multipolygon_grid():
    multi = MultiPolygon([box(0, 0, 1, 1), box(5, 5, 6, 6)])
    index = GridIndex([7], [multi])
    assert index.locate_many([0.5, 5.5, 3], [0.5, 5.5, 3]) == [7, 7, None]


def test_keys_come_back_as_python_ints():
    index = GridIndex([11, 12], [A, B])
    got = index.locate_many([0.5, 1.5, 9], [0.5, 0.5, 9])
    assert got == [11, 12, None]
    assert all(type(k) is int for k in got[:2])
    assert type(index.locate(0.5, 0.5)) is int


def test_keys_come_back_as_python_strings():
    index = GridIndex(["G-001", "网格二"], [A, B])
    got = index.locate_many([0.5, 1.5], [0.5, 0.5])
    assert got == ["G-001", "网格二"]
    assert all(type(k) is str for k in got)


def test_keys_and_geometries_must_match_in_length():
    with pytest.raises(ValueError):
        GridIndex([1, 2], [A])


def test_index_accepts_parsed_geojson_at_district_coordinates():
    geoms = [parse_polygon(polygon_json(square(LNG + 0.01 * i, LAT))) for i in range(3)]
    index = GridIndex([1, 2, 3], geoms)
    assert index.locate(LNG + 0.015, LAT + 0.005) == 2
    assert index.locate(LNG - 0.005, LAT + 0.005) is None


# ---------------------------------------------------------------- property: index == brute force

GRID = 10  # rectangles live on a 10 x 10 integer lattice so they share edges and corners


def _to_lng(v: float) -> float:
    return LNG + v * 0.001


def _to_lat(v: float) -> float:
    return LAT + v * 0.001


rectangles = st.lists(
    st.tuples(st.integers(0, GRID - 1), st.integers(0, GRID - 1), st.integers(1, 5), st.integers(1, 5)),
    min_size=1, max_size=8,
)
# Lattice points, half-lattice points (edges, corners) and arbitrary floats, in and around the area.
coordinate = st.one_of(
    st.integers(-2, 2 * GRID + 2).map(lambda v: v / 2),
    st.floats(-1, GRID + 1, allow_nan=False, allow_infinity=False),
)
points = st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(rects=rectangles, pts=points)
def test_locate_many_agrees_with_brute_force(rects, pts):
    # Keep rectangles whose interiors do not overlap any kept before (touching is fine).
    kept: list[tuple[float, float, float, float]] = []
    for x, y, w, h in rects:
        x1, y1 = min(x + w, GRID), min(y + h, GRID)
        if any(x < kx1 and kx0 < x1 and y < ky1 and ky0 < y1 for kx0, ky0, kx1, ky1 in kept):
            continue
        kept.append((x, y, x1, y1))
    bounds = [(_to_lng(x0), _to_lat(y0), _to_lng(x1), _to_lat(y1)) for x0, y0, x1, y1 in kept]
    polys = [box(*b) for b in bounds]
    for a, b in itertools.combinations(polys, 2):
        assert not interiors_overlap(a, b)
    keys = [1000 + n for n in range(len(polys))]
    index = GridIndex(keys, polys)

    lngs = [_to_lng(x) for x, _ in pts]
    lats = [_to_lat(y) for _, y in pts]
    expected = []
    for lng, lat in zip(lngs, lats, strict=True):
        hit = next((keys[n] for n, (x0, y0, x1, y1) in enumerate(bounds)
                    if x0 <= lng <= x1 and y0 <= lat <= y1), None)
        expected.append(hit)
    assert index.locate_many(lngs, lats) == expected
