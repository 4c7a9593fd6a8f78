"""Grid polygons: validating GeoJSON and finding the grid a point falls in.

Pure shapely/numpy; nothing here touches the database. Coordinates are WGS-84 (lng, lat).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.validation import explain_validity

from gongjian.core.errors import Invalid

# Metres per degree of latitude (mean); longitude scales with cos(latitude).
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LNG_EQUATOR = 111_320.0


def _check_positions(geojson: dict, field: str) -> dict:
    """Check the coordinate structure before shapely sees it; return a 2-D copy.

    Every position must be two (or three: the altitude is dropped) finite numbers, and every ring
    must have at least three distinct points. Errors say which ring and point.
    """
    polygons = [geojson["coordinates"]] if geojson["type"] == "Polygon" else geojson["coordinates"]
    if not isinstance(polygons, list):
        raise Invalid("网格范围的坐标格式有误：coordinates 应为数组 / malformed coordinates", field=field)
    if not polygons or polygons == [[]]:
        raise Invalid("网格范围为空 / empty geometry", field=field)
    clean = []
    for pi, rings in enumerate(polygons, 1):
        if not isinstance(rings, list) or not rings:
            raise Invalid(f"网格范围的坐标格式有误：第 {pi} 个面没有边界环 / malformed coordinates", field=field)
        clean_rings = []
        for ri, ring in enumerate(rings, 1):
            where = f"第 {pi} 个面第 {ri} 个环" if len(polygons) > 1 else f"第 {ri} 个环"
            if not isinstance(ring, list):
                raise Invalid(f"网格范围的坐标格式有误：{where}不是点的数组 / malformed coordinates",
                              field=field)
            points = []
            for qi, pos in enumerate(ring, 1):
                ok = (isinstance(pos, list | tuple) and len(pos) in (2, 3)
                      and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pos))
                if not ok:
                    raise Invalid(f"网格范围的坐标格式有误：{where}第 {qi} 个点应为[经度, 纬度]两个数字，"
                                  f"收到 {str(pos)[:40]} / malformed coordinates", field=field)
                if not all(math.isfinite(v) for v in pos):
                    raise Invalid(f"网格范围包含非数值坐标：{where}第 {qi} 个点 / non-finite coordinate",
                                  field=field)
                points.append([float(pos[0]), float(pos[1])])
            if len({tuple(p) for p in points}) < 3:
                raise Invalid(f"网格边界点数太少：{where}至少需要 3 个不同的点 / too few points", field=field)
            if points[0] != points[-1]:
                points.append(points[0])  # GeoJSON rings are closed; accept an open one and close it
            clean_rings.append(points)
        clean.append(clean_rings)
    if geojson["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": clean[0]}
    return {"type": "MultiPolygon", "coordinates": clean}


def parse_polygon(geojson, *, field: str = "geometry") -> Polygon | MultiPolygon:
    """Turn a GeoJSON Polygon/MultiPolygon (or a Feature holding one) into a valid shapely geometry.

    Raises Invalid with a message that says what is wrong and where.
    """
    if isinstance(geojson, dict) and geojson.get("type") == "Feature":
        geojson = geojson.get("geometry")
    if not isinstance(geojson, dict) or "type" not in geojson or "coordinates" not in geojson:
        raise Invalid("网格范围不是有效的 GeoJSON：需要包含 type 和 coordinates / not a GeoJSON geometry",
                      field=field)
    if geojson["type"] not in ("Polygon", "MultiPolygon"):
        raise Invalid(f"网格范围必须是面(Polygon 或 MultiPolygon)，收到 {geojson['type']!s:.30} / "
                      "must be a Polygon or MultiPolygon", field=field)
    geojson = _check_positions(geojson, field)
    try:
        geom = shape(geojson)
    except Exception as exc:  # shapely raises several kinds for malformed coordinates
        raise Invalid(f"网格范围的坐标格式有误：{exc!s:.120} / malformed coordinates", field=field) from None
    if geom.is_empty:
        raise Invalid("网格范围为空 / empty geometry", field=field)
    min_x, min_y, max_x, max_y = geom.bounds
    if min_x < -180 or max_x > 180 or min_y < -90 or max_y > 90:
        raise Invalid("坐标超出经纬度范围(经度 -180~180，纬度 -90~90)；请确认顺序为[经度, 纬度] / "
                      "coordinates out of range; order is [lng, lat]", field=field)
    if area_m2(geom.convex_hull) < 0.01:  # under 1 dm²: points on one line, up to rounding
        raise Invalid("网格面积为零(各点在一条直线上) / polygon has no area", field=field)
    if not geom.is_valid:
        reason = explain_validity(geom)
        where = reason[reason.index("[") :] if "[" in reason else ""
        if reason.startswith("Self-intersection"):
            raise Invalid(f"网格边界自相交，位置 {where} / polygon self-intersects at {where}", field=field)
        if reason.startswith("Ring Self-intersection"):
            raise Invalid(f"网格边界环自相交，位置 {where} / ring self-intersects at {where}", field=field)
        raise Invalid(f"网格范围无效：{reason} / invalid polygon: {reason}", field=field)
    return geom


def area_m2(geom) -> float:
    """Approximate area in square metres (local equirectangular scaling; fine at grid size)."""
    lat = geom.centroid.y
    return geom.area * M_PER_DEG_LAT * M_PER_DEG_LNG_EQUATOR * math.cos(math.radians(lat))


# Overlaps smaller than this are digitising noise (a shared edge drawn twice), not real overlaps.
OVERLAP_TOLERANCE_M2 = 1.0


def interiors_overlap(a, b, tolerance_m2: float = OVERLAP_TOLERANCE_M2) -> bool:
    """True when the interiors share more than ``tolerance_m2`` of area.

    Grids that only touch along an edge or at a corner do not overlap, and neither do grids whose
    shared edge differs by floating-point noise.
    """
    if not a.relate_pattern(b, "T********"):
        return False
    return area_m2(a.intersection(b)) > tolerance_m2


def normalised_geojson(geom) -> dict:
    return mapping(geom)


class GridIndex:
    """Point -> grid lookup over many polygons (STRtree + vectorised point-in-polygon).

    ``keys`` are whatever identifies the polygons (grid ids). A point on a shared edge belongs to
    the first polygon in the order given, so the answer is deterministic.
    """

    def __init__(self, keys: Sequence, geometries: Iterable):
        self.keys = list(keys)  # kept as Python objects: ints, strings, UUIDs alike
        self.geoms = np.asarray(list(geometries), dtype=object)
        if len(self.keys) != len(self.geoms):
            raise ValueError("keys and geometries differ in length")
        self.tree = shapely.STRtree(self.geoms)

    def __len__(self) -> int:
        return len(self.keys)

    def locate_indices(self, lngs, lats) -> np.ndarray:
        """Index into ``keys`` for each point, -1 where no polygon holds it."""
        lngs = np.atleast_1d(np.asarray(lngs, dtype=float))
        lats = np.atleast_1d(np.asarray(lats, dtype=float))
        out = np.full(lngs.shape[0], -1, dtype=np.int64)
        if len(self.keys) == 0 or lngs.size == 0:
            return out
        points = shapely.points(lngs, lats)
        # The tree narrows each point to the polygons whose boxes hold it, then tests "intersects"
        # exactly (so a point on an edge counts).
        pt_idx, poly_idx = self.tree.query(points, predicate="intersects")
        if pt_idx.size == 0:
            return out
        # First polygon (lowest index) per point.
        order = np.lexsort((poly_idx, pt_idx))
        pt_sorted = pt_idx[order]
        first = np.ones(pt_sorted.size, dtype=bool)
        first[1:] = pt_sorted[1:] != pt_sorted[:-1]
        out[pt_sorted[first]] = poly_idx[order][first]
        return out

    def locate_many(self, lngs, lats) -> list:
        idx = self.locate_indices(lngs, lats)
        return [None if i < 0 else self.keys[i] for i in idx]

    def locate(self, lng: float, lat: float):
        return self.locate_many([lng], [lat])[0]
