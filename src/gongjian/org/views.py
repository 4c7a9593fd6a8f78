from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from gongjian.core.errors import NotFound
from gongjian.core.scoping import get_visible
from gongjian.org import selectors
from gongjian.org.models import Unit
from gongjian.org.svg import grids_svg


def _visible_unit(user, pk) -> Unit:
    try:
        return get_visible(Unit.objects, user, pk=pk)
    except NotFound:
        raise Http404 from None


@login_required
def units(request):
    return render(request, "org/pages/units.html", {"roots": selectors.unit_tree(request.user)})


@login_required
def unit_detail(request, pk: int):
    unit = _visible_unit(request.user, pk)
    subtree_grids = list(selectors.grids_visible(request.user).filter(unit__path__startswith=unit.path)
                         .prefetch_related("workers"))
    context = {
        "unit": unit,
        "ancestors": Unit.objects.filter(pk__in=unit.ancestor_ids).order_by("depth"),
        "children": unit.children.order_by("order", "name"),
        "members": selectors.users_visible(request.user).filter(unit=unit),
        "leaders": selectors.leader_assignments_visible(request.user).filter(unit=unit),
        "grids": subtree_grids,
        "map_svg": grids_svg(subtree_grids),
    }
    return render(request, "org/pages/unit_detail.html", context)


@login_required
def grids(request):
    qs = list(selectors.grids_visible(request.user).prefetch_related("workers"))
    return render(request, "org/pages/grids.html", {"grids": qs, "map_svg": grids_svg(qs)})


@login_required
def locate(request):
    error = grid = None
    try:
        lng = float(request.GET.get("lng", ""))
        lat = float(request.GET.get("lat", ""))
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise ValueError
    except ValueError:
        error = _("请输入有效的经纬度(经度 -180~180，纬度 -90~90)")
    else:
        found = selectors.locate_grid(lng, lat)
        if found is not None and selectors.grids_visible(request.user).filter(pk=found.pk).exists():
            grid = found
    return render(request, "org/partials/locate_result.html", {"grid": grid, "error": error})
