"""The one chokepoint for reading unit data: ``Model.objects.visible_to(user)``.

A model that holds unit data uses ``ScopedQuerySet.as_manager()`` and names the field that leads
to its unit in ``scope_unit_field`` ("unit", "case__unit", or "" for Unit itself). A user's scope
is a list of unit-tree path prefixes (their unit's subtree plus the subtrees they 分包), or None
for everything (admins and district-level commanders, inspectors and leaders).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from gongjian.core.errors import NotFound


def scope_q(user, unit_field: str | tuple[str, ...]) -> Q | None:
    """A Q limiting rows to the user's scope, or None when the user sees everything.

    ``unit_field`` may name several paths to units: a row is visible when any of them is in scope
    (a case is seen by its responsible unit and by the unit that reported it).
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    paths = user.scope_paths()
    if paths is None:
        return None
    if not paths:
        return Q(pk__in=[])
    fields = unit_field if isinstance(unit_field, tuple) else (unit_field,)
    q = Q()
    for field in fields:
        lookup = f"{field}__path__startswith" if field else "path__startswith"
        for p in paths:
            q |= Q(**{lookup: p})
    return q


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user):
        unit_field = getattr(self.model, "scope_unit_field", "unit")
        q = scope_q(user, unit_field)
        return self if q is None else self.filter(q)


def get_visible(queryset, user, message: str = "记录不存在或无权查看", **lookup):
    """Fetch one row in the user's scope, or raise NotFound (404): never reveal it exists."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise NotFound(message) from None


def get_visible_or_404(queryset, user, **lookup):
    """``get_visible`` for pages: out of scope is the site's plain 404 page."""
    from django.http import Http404

    try:
        return get_visible(queryset, user, **lookup)
    except NotFound:
        raise Http404 from None
