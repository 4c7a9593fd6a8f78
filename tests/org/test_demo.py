"""The demo district: complete, the same on every run, and consistent with the rules."""

from __future__ import annotations

import itertools

import pytest

from gongjian.core import audit
from gongjian.org import demo, geo, selectors
from gongjian.org.models import Grid, LeaderAssignment, Role, Unit, UnitKind, User

pytestmark = pytest.mark.django_db


def _fingerprint():
    return (
        list(Unit.objects.order_by("depth", "order", "name").values_list("name", "kind", "division_code", "depth",
                                                                       "parent__name")),
        list(User.objects.order_by("username").values_list("username", "name", "unit__name")),
        list(Grid.objects.order_by("code").values_list("code", "name", "unit__name", "geometry")),
    )


def test_demo_loads_once_and_is_complete():
    assert demo.load(log=lambda *_: None) is True
    assert demo.load(log=lambda *_: None) is False
    district = Unit.objects.get(division_code=demo.DISTRICT_CODE)
    assert district.name == "山阳区" and district.kind == UnitKind.DISTRICT
    kinds = {k: Unit.objects.filter(kind=k).count() for k in UnitKind.values}
    assert kinds[UnitKind.STREET] == 10 and kinds[UnitKind.BUREAU] == 5 and kinds[UnitKind.COMMAND] == 1
    assert kinds[UnitKind.WORKGROUP] == 5
    assert set(Unit.objects.filter(kind=UnitKind.WORKGROUP).values_list("name", flat=True)) == {
        "垃圾围城整治组", "堆料围城整治组", "废品围城整治组", "冶炼围城整治组", "涂料围城整治组"}
    # One user per role at least, and everyone but the superuser in a unit.
    for role in Role.values:
        assert User.objects.filter(role_assignments__role=role).exists(), role
    assert User.objects.get(username="admin").check_password(demo.DEMO_PASSWORD)
    assert LeaderAssignment.objects.count() == len(demo.LEADER_ASSIGNMENTS)
    # Grids cover two streets.
    streets = {g.unit.parent.name for g in Grid.objects.select_related("unit__parent")}
    assert streets == {"百间房街道", "东方红街道"}
    assert audit.verify().ok


def test_demo_is_the_same_on_every_run():
    demo.load(log=lambda *_: None)
    first = _fingerprint()
    Grid.objects.all().delete()
    LeaderAssignment.objects.all().delete()
    User.objects.all().delete()
    for depth in range(4, -1, -1):
        Unit.objects.filter(depth=depth).delete()
    demo.load(log=lambda *_: None)
    assert _fingerprint() == first


def test_demo_grids_tile_without_overlap_and_lookup_finds_their_units():
    demo.load(log=lambda *_: None)
    grids = list(Grid.objects.select_related("unit"))
    shapes = {g.pk: geo.parse_polygon(g.geometry) for g in grids}
    for a, b in itertools.combinations(grids, 2):
        assert not geo.interiors_overlap(shapes[a.pk], shapes[b.pk]), (a.code, b.code)
    for g in grids:
        c = shapes[g.pk].representative_point()
        found = selectors.locate_grid(c.x, c.y)
        assert found == g and found.unit == g.unit


def test_demo_scopes_are_what_the_login_list_says():
    demo.load(log=lambda *_: None)
    bjf = User.objects.get(username="bjf_jingban")
    dfh = User.objects.get(username="dfh_jingban")
    names = set(selectors.units_visible(bjf).values_list("name", flat=True))
    assert "百间房街道" in names and "墙南社区" in names and "东方红街道" not in names
    assert "百间房街道" not in set(selectors.units_visible(dfh).values_list("name", flat=True))
    juzhang = set(selectors.units_visible(User.objects.get(username="juzhang")).values_list("name", flat=True))
    assert {"区城市管理局", "焦东街道", "太行街道"} <= juzhang and "百间房街道" not in juzhang
    assert User.objects.get(username="quzhang").scope_paths() is None
