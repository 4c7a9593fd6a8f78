"""Organisation services: the rules they enforce, the bad input they refuse, and scoping."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from gongjian.core.errors import Conflict, Forbidden, Invalid
from gongjian.core.models import AuditEvent
from gongjian.org import selectors, services
from gongjian.org.models import Grid, Role, Unit, UnitKind, User
from tests.factories import make_grid, make_unit, make_user, square

pytestmark = pytest.mark.django_db


def _unchanged(fn, *args, **kwargs):
    """Run a call that must fail, and prove it wrote nothing (no rows, no audit event)."""
    counts = (Unit.objects.count(), User.objects.count(), Grid.objects.count(), AuditEvent.objects.count())
    paths = list(Unit.objects.order_by("pk").values_list("pk", "path", "parent_id"))
    with pytest.raises((Invalid, Conflict, Forbidden)) as info:
        fn(*args, **kwargs)
    assert counts == (Unit.objects.count(), User.objects.count(), Grid.objects.count(),
                      AuditEvent.objects.count())
    assert paths == list(Unit.objects.order_by("pk").values_list("pk", "path", "parent_id"))
    return info.value


# ------------------------------------------------------------------ unit tree


def test_unit_paths_follow_the_tree(district):
    d = district
    assert d.root.path == f"/{d.root.pk}/" and d.root.depth == 0
    assert d.community_a.path == f"/{d.root.pk}/{d.street_a.pk}/{d.community_a.pk}/"
    assert d.community_a.depth == 2
    assert set(d.street_a.subtree()) == {d.street_a, d.community_a}


def test_move_rewrites_the_subtree(district):
    d = district
    village = make_unit("甲一村", UnitKind.VILLAGE, d.street_a)
    services.unit_move(actor=d["admin"], unit=village, parent=d.street_b, reason="区划调整")
    village.refresh_from_db()
    assert village.parent == d.street_b
    assert village.path == f"{d.street_b.path}{village.pk}/"
    # A whole street moved under another district carries its communities along.
    other = make_unit("另一区", UnitKind.DISTRICT)
    services.unit_move(actor=None, unit=d.street_a, parent=other)
    d.community_a.refresh_from_db()
    assert d.community_a.path == f"/{other.pk}/{d.street_a.pk}/{d.community_a.pk}/"
    assert d.community_a.depth == 2
    ev = AuditEvent.objects.filter(action="unit.move").first()
    assert ev.reason == "区划调整" and ev.actor_id == d["admin"].pk


def test_unit_under_its_own_descendant_is_refused(district):
    d = district
    err = _unchanged(services.unit_move, actor=None, unit=d.street_a, parent=d.community_a)
    assert "下级" in err.message and err.field == "parent"
    err = _unchanged(services.unit_move, actor=None, unit=d.street_a, parent=d.street_a)
    assert err.field == "parent"


def test_kind_rules(district):
    d = district
    err = _unchanged(services.unit_create, actor=None, name="错挂的区", kind=UnitKind.DISTRICT, parent=d.community_a)
    assert "不能设在" in err.message
    err = _unchanged(services.unit_create, actor=None, name="孤立社区", kind=UnitKind.COMMUNITY, parent=None)
    assert "必须有上级单位" in err.message
    err = _unchanged(services.unit_create, actor=None, name="怪单位", kind="galaxy", parent=d.root)
    assert err.field == "kind"


def test_duplicate_names_and_codes(district):
    d = district
    err = _unchanged(services.unit_create, actor=None, name="甲街道", kind=UnitKind.STREET, parent=d.root)
    assert err.field == "name"
    make_unit("甲一社区", UnitKind.COMMUNITY, d.street_b)  # same name under another parent is fine
    err = _unchanged(services.unit_create, actor=None, name="新街道", kind=UnitKind.STREET, parent=d.root,
                     division_code="410899000000")
    assert "已被" in err.message
    err = _unchanged(services.unit_create, actor=None, name="新街道", kind=UnitKind.STREET, parent=d.root,
                     division_code="41089900")
    assert "12位" in err.message


def test_unknown_parent_is_a_clear_error(district):
    with pytest.raises(Invalid) as info:
        services.unit_by_ref("不存在的街道")
    assert "找不到单位" in info.value.message
    assert services.unit_by_ref("410899000000") == district.root
    assert services.unit_by_ref(str(district.street_a.pk)) == district.street_a


def test_only_admins_manage_units(district):
    d = district
    for role in ("commander", "inspector", "handler_a", "grid_worker_a", "leader", "viewer_a"):
        err = _unchanged(services.unit_create, actor=d[role], name="越权", kind=UnitKind.STREET, parent=d.root)
        assert isinstance(err, Forbidden)
    services.unit_create(actor=d["admin"], name="新街道", kind=UnitKind.STREET, parent=d.root)


# ------------------------------------------------------------------ people


def test_user_without_unit_is_refused(district):
    err = _unchanged(services.user_create, actor=None, username="nobody", password="x-Strong-pass-1",
                     unit=None, roles=[Role.HANDLER])
    assert "必须属于一个单位" in err.message and err.field == "unit"
    # The database refuses it too, whatever path a write takes.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="sneaky", is_superuser=False, unit=None)


def test_user_rules(district):
    d = district
    err = _unchanged(services.user_create, actor=None, username="t_admin", password="x-Strong-pass-1",
                     unit=d.root)
    assert isinstance(err, Conflict)
    err = _unchanged(services.user_create, actor=None, username="weak", password="123", unit=d.root)
    assert "密码" in err.message and err.field == "password"
    err = _unchanged(services.user_create, actor=None, username="r", password="x-Strong-pass-1", unit=d.root,
                     roles=["emperor"])
    assert err.field == "roles"


def test_user_update_roles_and_password_are_audited(district):
    d = district
    u = d["handler_a"]
    services.user_update(actor=d["admin"], user=u, roles=[Role.HANDLER, Role.INSPECTOR], title="副主任")
    u = User.objects.get(pk=u.pk)
    assert u.role_codes == {Role.HANDLER, Role.INSPECTOR}
    services.user_set_password(actor=u, user=u, password="another-Strong-9")
    assert User.objects.get(pk=u.pk).check_password("another-Strong-9")
    ev = AuditEvent.objects.filter(action="user.set_password").get()
    assert "pbkdf2" not in ev.after and "md5" not in ev.after and ev.after == ""
    with pytest.raises(Forbidden):
        services.user_set_password(actor=d["handler_b"], user=u, password="third-Strong-99")


def test_leader_assignment_needs_a_leader(district):
    d = district
    err = _unchanged(services.leader_assign, actor=None, leader=d["handler_a"], unit=d.street_b)
    assert "领导" in err.message
    err = _unchanged(services.leader_assign, actor=None, leader=d["bureau_leader"], unit=d.street_b)
    assert isinstance(err, Conflict)


# ------------------------------------------------------------------ scoping


@pytest.mark.parametrize(
    ("who", "sees", "hidden"),
    [
        ("admin", {"root", "street_a", "street_b", "community_a", "bureau"}, set()),
        ("commander", {"root", "street_a", "street_b", "community_b"}, set()),
        ("inspector", {"street_a", "street_b"}, set()),
        ("leader", {"street_a", "street_b", "bureau"}, set()),
        ("handler_a", {"street_a", "community_a"}, {"root", "street_b", "community_b", "bureau", "command"}),
        ("handler_b", {"street_b", "community_b"}, {"street_a", "community_a", "root"}),
        ("grid_worker_a", {"community_a"}, {"street_a", "street_b"}),
        ("viewer_a", {"street_a", "community_a"}, {"street_b"}),
        # A bureau leader sees the bureau plus the street they 分包, nothing else.
        ("bureau_leader", {"bureau", "street_b", "community_b"}, {"street_a", "community_a", "root"}),
    ],
)
def test_visible_units(district, who, sees, hidden):
    d = district
    visible = set(selectors.units_visible(d[who]))
    for name in sees:
        assert getattr(d, name) in visible, f"{who} should see {name}"
    for name in hidden:
        assert getattr(d, name) not in visible, f"{who} must not see {name}"


def test_a_handler_at_district_level_does_not_see_everything(district):
    d = district
    clerk = make_user(d.root, Role.HANDLER)
    assert clerk.scope_paths() == [d.root.path]  # the district's subtree, which is everything in it
    plain = make_user(d.bureau, Role.INSPECTOR)  # a bureau inspector is not district-level
    assert set(selectors.units_visible(plain)) == {d.bureau}


def test_inactive_and_anonymous_users_see_nothing(district):
    from django.contrib.auth.models import AnonymousUser

    d = district
    services.user_update(actor=None, user=d["commander"], is_active=False)
    assert not selectors.units_visible(User.objects.get(pk=d["commander"].pk)).exists()
    assert not selectors.units_visible(AnonymousUser()).exists()


def test_grids_and_users_are_scoped(district):
    d = district
    assert list(selectors.grids_visible(d["handler_a"])) == [d.grid_a]
    assert set(selectors.users_visible(d["handler_b"])) == {d["handler_b"]}


# ------------------------------------------------------------------ grids


def test_grid_lookup_finds_the_responsible_unit(district):
    d = district
    assert selectors.locate_grid(113.205, 35.205) == d.grid_a
    assert selectors.locate_grid(113.205, 35.205).unit == d.community_a
    assert selectors.locate_grid(113.215, 35.205) == d.grid_b
    assert selectors.locate_grid(113.5, 35.5) is None
    assert selectors.locate_grids([113.205, 113.215, 100.0], [35.205, 35.205, 10.0]) == \
        [d.grid_a.pk, d.grid_b.pk, None]


def test_grid_index_follows_changes(district):
    d = district
    new = make_grid(d.community_a, 113.30, 35.30)
    assert selectors.locate_grid(113.305, 35.305) == new
    services.grid_update(actor=None, grid=new, geometry=square(113.40, 35.40))
    assert selectors.locate_grid(113.305, 35.305) is None
    assert selectors.locate_grid(113.405, 35.405) == new
    services.grid_delete(actor=None, grid=new)
    assert selectors.locate_grid(113.405, 35.405) is None


def test_overlapping_grid_is_refused_touching_is_fine(district):
    d = district
    err = _unchanged(services.grid_create, actor=None, code="X1", name="重叠", unit=d.community_a,
                     geometry=square(113.205, 35.205))
    assert d.grid_a.code in err.message and isinstance(err, Conflict)
    make_grid(d.community_a, 113.20, 35.21)  # shares an edge with grid_a


def test_bad_grid_polygons_are_refused(district):
    d = district
    bow_tie = {"type": "Polygon", "coordinates": [[[113.5, 35.5], [113.51, 35.51], [113.51, 35.5],
                                                   [113.5, 35.51], [113.5, 35.5]]]}
    err = _unchanged(services.grid_create, actor=None, code="B1", name="自相交", unit=d.community_a,
                     geometry=bow_tie)
    assert "自相交" in err.message and err.field == "geometry"
    err = _unchanged(services.grid_create, actor=None, code="B2", name="坏", unit=d.community_a,
                     geometry={"type": "Point", "coordinates": [113.5, 35.5]})
    assert "Polygon" in err.message
    err = _unchanged(services.grid_create, actor=None, code="B3", name="坏", unit=d.community_a,
                     geometry="not json at all")
    assert "GeoJSON" in err.message
    err = _unchanged(services.grid_create, actor=None, code=d.grid_a.code, name="重码", unit=d.community_a,
                     geometry=square(113.6, 35.6))
    assert "已存在" in err.message


def test_grid_workers_must_be_grid_workers(district):
    d = district
    err = _unchanged(services.grid_create, actor=None, code="W1", name="网格", unit=d.community_a,
                     geometry=square(113.7, 35.7), workers=[d["handler_a"]])
    assert err.field == "workers"


def test_commanders_may_manage_grids_handlers_may_not(district):
    d = district
    services.grid_create(actor=d["commander"], code="C1", name="指挥部划的", unit=d.community_b,
                         geometry=square(113.8, 35.8))
    _unchanged(services.grid_create, actor=d["handler_a"], code="C2", name="越权", unit=d.community_a,
               geometry=square(113.9, 35.9))


# ------------------------------------------------------------------ tokens


def test_tokens_are_stored_hashed_and_revocable(district):
    d = district
    token, plain = services.token_create(actor=d["handler_a"], user=d["handler_a"], name="手机")
    assert plain.startswith("gj_") and plain not in token.digest and len(token.digest) == 64
    assert not type(token).objects.filter(digest__contains=plain).exists()
    assert services.token_authenticate(plain) == d["handler_a"]
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert services.token_authenticate(plain[:-1] + ("A" if plain[-1] != "A" else "B")) is None
    services.token_revoke(actor=d["handler_a"], token=token)
    assert services.token_authenticate(plain) is None
    with pytest.raises(Conflict):
        services.token_revoke(actor=d["handler_a"], token=token)


def test_token_of_an_inactive_user_stops_working(district):
    d = district
    _token, plain = services.token_create(actor=None, user=d["handler_b"], name="设备")
    services.user_update(actor=None, user=d["handler_b"], is_active=False)
    assert services.token_authenticate(plain) is None


def test_nobody_issues_tokens_for_others_but_admins(district):
    d = district
    with pytest.raises(Forbidden):
        services.token_create(actor=d["handler_a"], user=d["handler_b"], name="冒充")
    services.token_create(actor=d["admin"], user=d["handler_b"], name="管理员代发")
