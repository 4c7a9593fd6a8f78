"""Reads in the organisation domain, always through ``visible_to``."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from django.db.models import Count, Max

from gongjian.org.geo import GridIndex, parse_polygon
from gongjian.org.models import Grid, LeaderAssignment, Unit, User

_index_lock = threading.Lock()
_index_cache: dict = {"signature": None, "index": None}


def _grid_signature():
    agg = Grid.objects.aggregate(n=Count("id"), changed=Max("updated_at"), top=Max("id"))
    return agg["n"], agg["changed"], agg["top"]


def grid_index() -> GridIndex:
    """The point -> grid index over all grids, rebuilt when any grid changes."""
    signature = _grid_signature()
    with _index_lock:
        if _index_cache["signature"] != signature or _index_cache["index"] is None:
            rows = list(Grid.objects.order_by("code").values_list("pk", "geometry"))
            _index_cache["index"] = GridIndex([pk for pk, _ in rows],
                                              [parse_polygon(g) for _, g in rows])
            _index_cache["signature"] = signature
        return _index_cache["index"]


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
