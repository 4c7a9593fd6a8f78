"""Reads in the organisation domain, always through ``visible_to``."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Max

from gongjian.core.cache import TableCache
from gongjian.org.geo import GridIndex, parse_polygon
from gongjian.org.models import Grid, LeaderAssignment, Unit, User


def _grid_signature():
    agg = Grid.objects.aggregate(n=Count("id"), changed=Max("updated_at"), top=Max("id"))
    return agg["n"], agg["changed"], agg["top"]


def _build_index() -> tuple[GridIndex, dict[int, int]]:
    rows = list(Grid.objects.order_by("code").values_list("pk", "geometry", "unit_id"))
    return GridIndex([pk for pk, _, _ in rows], [parse_polygon(g) for _, g, _ in rows]), {pk: u for pk, _, u in rows}


_index_cache = TableCache("grid_index", build=_build_index, signature=_grid_signature, models=[Grid])


def grid_index() -> GridIndex:
    """The point -> grid index over all grids (a per-process copy, see ``core.cache``)."""
    return _index_cache.get()[0]


def _leader_signature():
    agg = LeaderAssignment.objects.aggregate(n=Count("id"), top=Max("id"))
    return agg["n"], agg["top"]


def _build_leaders() -> dict[int, int]:
    first: dict[int, int] = {}
    for unit_id, leader_id in LeaderAssignment.objects.order_by("id").values_list("unit_id", "leader_id"):
        first.setdefault(unit_id, leader_id)
    return first


_leader_cache = TableCache("unit_leaders", build=_build_leaders, signature=_leader_signature,
                           models=[LeaderAssignment])


def responsible_leader_id(unit: Unit | None) -> int | None:
    """The 分包 leader (user id) of the unit or its nearest ancestor that has one: the first assigned."""
    if unit is None:
        return None
    leaders = _leader_cache.get()
    for uid in (unit.pk, *reversed(unit.ancestor_ids)):
        if uid in leaders:
            return leaders[uid]
    return None


def locate_grid_unit(lng: float, lat: float) -> tuple[int | None, int | None]:
    """(grid id, its responsible unit's id) for a WGS-84 point, or (None, None)."""
    index, units = _index_cache.get()
    pk = index.locate(lng, lat)
    return (None, None) if pk is None else (pk, units[pk])


def locate_grid(lng: float, lat: float) -> Grid | None:
    """The grid holding a WGS-84 point (and so its responsible unit), or None."""
    pk = grid_index().locate(lng, lat)
    return None if pk is None else Grid.objects.select_related("unit").get(pk=pk)


def locate_grids(lngs, lats) -> list[int | None]:
    """Grid ids for many points at once (vectorised)."""
    return grid_index().locate_many(lngs, lats)


def units_visible(user):
    return Unit.objects.visible_to(user)


def users_visible(user):
    return User.objects.visible_to(user).select_related("unit").prefetch_related("role_assignments")


def grids_visible(user):
    return Grid.objects.visible_to(user).select_related("unit")


def leader_assignments_visible(user):
    return LeaderAssignment.objects.visible_to(user).select_related("leader", "unit")


@dataclass
class TreeNode:
    unit: Unit
    children: list[TreeNode] = field(default_factory=list)
    member_count: int = 0
    grid_count: int = 0


def unit_tree(user) -> list[TreeNode]:
    """The units a user can see, as a forest (roots are the tops of their scope)."""
    units = list(
        units_visible(user).annotate(n_members=Count("members", distinct=True),
                                     n_grids=Count("grids", distinct=True))
        .order_by("depth", "order", "name")
    )
    nodes = {u.pk: TreeNode(u, member_count=u.n_members, grid_count=u.n_grids) for u in units}
    roots = []
    for u in units:
        node = nodes[u.pk]
        if u.parent_id in nodes:
            nodes[u.parent_id].children.append(node)
        else:
            roots.append(node)
    return roots
