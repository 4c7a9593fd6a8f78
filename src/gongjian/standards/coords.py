"""Map coordinates: WGS-84 <-> GCJ-02 (the offset Chinese map tiles such as Gaode/Amap use).

Positions are stored in WGS-84 (what phones and GPS give; Tianditu's CGCS2000 is the same for
display). They are converted only to be drawn on a GCJ-02 base map, and a point picked on such a
map is converted back with the iterative inverse (the one-step inverse is off by up to ~5 m).

The forward transform is the public algorithm (Krasovsky 1940 ellipsoid constants); outside the
box lng 72.004-137.8347, lat 0.8293-55.8271 no offset is applied. Everything here is (lng, lat),
GeoJSON order.
"""

from __future__ import annotations

import math

A = 6378245.0
EE = 0.00669342162296594323

# The box outside which positions are left as they are (bounds inclusive).
MIN_LNG, MAX_LNG = 72.004, 137.8347
MIN_LAT, MAX_LAT = 0.8293, 55.8271

# The inverse stops when a step moves the estimate less than this (degrees).
INVERSE_TOLERANCE = 1e-10
INVERSE_MAX_STEPS = 30


def _check(lng: float, lat: float) -> tuple[float, float]:
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError):
        raise ValueError(f"坐标应为数字：({lng!r}, {lat!r}) / coordinates must be numbers") from None
    if not (math.isfinite(lng) and math.isfinite(lat)) or not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise ValueError(f"坐标超出范围：经度 {lng}，纬度 {lat} / coordinates out of range")
    return lng, lat


def out_of_china(lng: float, lat: float) -> bool:
    """True where no offset applies."""
    return not (MIN_LNG <= lng <= MAX_LNG and MIN_LAT <= lat <= MAX_LAT)


def _offset(lng: float, lat: float) -> tuple[float, float]:
    """The GCJ-02 offset (dLng, dLat) in degrees at a WGS-84 position inside the box."""
    x, y = lng - 105.0, lat - 35.0
    pi = math.pi
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
             + (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
             + (20.0 * math.sin(y * pi) + 40.0 * math.sin(y / 3.0 * pi)) * 2.0 / 3.0
             + (160.0 * math.sin(y / 12.0 * pi) + 320.0 * math.sin(y * pi / 30.0)) * 2.0 / 3.0)
    d_lng = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
             + (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
             + (20.0 * math.sin(x * pi) + 40.0 * math.sin(x / 3.0 * pi)) * 2.0 / 3.0
             + (150.0 * math.sin(x / 12.0 * pi) + 300.0 * math.sin(x / 30.0 * pi)) * 2.0 / 3.0)
    rad_lat = lat / 180.0 * pi
    m = 1 - EE * math.sin(rad_lat) ** 2
    d_lat = (d_lat * 180.0) / ((A * (1 - EE)) / (m * math.sqrt(m)) * pi)
    d_lng = (d_lng * 180.0) / (A / math.sqrt(m) * math.cos(rad_lat) * pi)
    return d_lng, d_lat


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """A WGS-84 position as drawn on a GCJ-02 map; unchanged outside China's box."""
    lng, lat = _check(lng, lat)
    if out_of_china(lng, lat):
        return lng, lat
    d_lng, d_lat = _offset(lng, lat)
    return lng + d_lng, lat + d_lat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """The WGS-84 position that GCJ-02 shows at (lng, lat), by iteration (error far below 1e-6 degree)."""
    lng, lat = _check(lng, lat)
    if out_of_china(lng, lat):
        return lng, lat
    w_lng, w_lat = lng, lat
    for _ in range(INVERSE_MAX_STEPS):
        g_lng, g_lat = wgs84_to_gcj02(w_lng, w_lat)
        step_lng, step_lat = g_lng - lng, g_lat - lat
        w_lng, w_lat = w_lng - step_lng, w_lat - step_lat
        if abs(step_lng) < INVERSE_TOLERANCE and abs(step_lat) < INVERSE_TOLERANCE:
            break
    return w_lng, w_lat
