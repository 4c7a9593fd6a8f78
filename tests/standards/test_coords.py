"""WGS-84 <-> GCJ-02 against the digest's worked example, the box edges and round trips."""

from __future__ import annotations

import math
import random

import pytest

from gongjian.standards import coords


def test_digest_example_wgs84_to_gcj02():
    # standards/workdays-and-coordinates.md: WGS-84 (39.911954, 116.377817) -> GCJ-02
    # (39.91334545536069, 116.38404722455657), given there as (lat, lng).
    lng, lat = coords.wgs84_to_gcj02(116.377817, 39.911954)
    assert lng == pytest.approx(116.38404722455657, abs=1e-12)
    assert lat == pytest.approx(39.91334545536069, abs=1e-12)


def test_digest_example_back_to_wgs84_within_a_millionth_of_a_degree():
    lng, lat = coords.gcj02_to_wgs84(116.38404722455657, 39.91334545536069)
    assert abs(lng - 116.377817) < 1e-9
    assert abs(lat - 39.911954) < 1e-9


def test_offset_in_the_demo_district_is_hundreds_of_metres_east_and_south():
    # Jiaozuo (焦作): GCJ-02 moves points roughly 580 m east and 60 m south.
    lng, lat = coords.wgs84_to_gcj02(113.24, 35.22)
    east_m = (lng - 113.24) * 111_320 * math.cos(math.radians(35.22))
    north_m = (lat - 35.22) * 110_574
    assert 400 < east_m < 800
    assert -150 < north_m < 0


@pytest.mark.parametrize("lng,lat", [
    (2.3522, 48.8566),      # Paris
    (-74.006, 40.7128),     # New York
    (72.0039, 30.0),        # just west of the box
    (137.8348, 35.0),       # just east
    (110.0, 0.8292),        # just south
    (120.0, 55.8272),       # just north
])
def test_outside_china_no_offset_either_way(lng, lat):
    assert coords.out_of_china(lng, lat)
    assert coords.wgs84_to_gcj02(lng, lat) == (lng, lat)
    assert coords.gcj02_to_wgs84(lng, lat) == (lng, lat)


@pytest.mark.parametrize("lng,lat", [(72.004, 30.0), (137.8347, 35.0), (110.0, 0.8293), (120.0, 55.8271)])
def test_box_edges_are_inside(lng, lat):
    assert not coords.out_of_china(lng, lat)
    assert coords.wgs84_to_gcj02(lng, lat) != (lng, lat)


def test_round_trips_across_china_stay_below_a_millionth_of_a_degree():
    rnd = random.Random(633)
    worst = 0.0
    for _ in range(2000):
        lng, lat = rnd.uniform(73.5, 135.0), rnd.uniform(18.0, 53.5)
        back = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(lng, lat))
        worst = max(worst, abs(back[0] - lng), abs(back[1] - lat))
    assert worst < 1e-6


def test_iterative_inverse_beats_the_one_step_inverse():
    # The one-step inverse (gcj - offset(gcj)) is off by metres; the iteration is not.
    wgs = (113.24, 35.22)
    gcj = coords.wgs84_to_gcj02(*wgs)
    d_lng, d_lat = coords._offset(*gcj)
    one_step = (gcj[0] - d_lng, gcj[1] - d_lat)
    iterated = coords.gcj02_to_wgs84(*gcj)
    assert max(abs(one_step[0] - wgs[0]), abs(one_step[1] - wgs[1])) > 1e-6
    assert max(abs(iterated[0] - wgs[0]), abs(iterated[1] - wgs[1])) < 1e-9


@pytest.mark.parametrize("lng,lat", [(float("nan"), 30.0), (116.0, float("inf")), (181.0, 30.0), (116.0, -91.0),
                                     ("东经116", 30.0), (None, 30.0)])
def test_bad_input_is_refused_with_a_message(lng, lat):
    with pytest.raises(ValueError, match="坐标"):
        coords.wgs84_to_gcj02(lng, lat)
    with pytest.raises(ValueError, match="坐标"):
        coords.gcj02_to_wgs84(lng, lat)
