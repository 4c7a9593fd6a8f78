"""Reads on the ledger, always scoped: the filterable ledger, counts, the deadline light."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q

from gongjian.ledger.models import DEADLINE_STATUSES, Campaign, Case, Category, Status
from gongjian.org.models import Unit

LIGHTS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}

# Serials sort by (year, number): as text, 〔2026〕10000 would come before 〔2026〕9999.
# The last key breaks ties in the same direction as the sort.
ORDERINGS = {
    "reported": ("reported_at", "id"), "-reported": ("-reported_at", "-id"),
    "deadline": ("deadline", "id"), "-deadline": ("-deadline", "-id"),
    "serial": ("campaign_id", "year", "number"), "-serial": ("-campaign_id", "-year", "-number"),
    "status": ("status", "id"), "unit": ("unit__name", "id"),
}


def cases_visible(user):
    return Case.objects.visible_to(user)


def light_q(light: str, on: dt.date) -> Q:
    """Deadline light in SQL: red when overdue; yellow from the 80 % day; green before it.

    Green is under 80 % of the allowed working time used (``warn_on`` is the day that mark is
    reached, worked out in working days when the case is assigned).
    """
    running = Q(status__in=DEADLINE_STATUSES, deadline__isnull=False)
    if light == "red":
        return running & Q(deadline__lt=on)
    if light == "yellow":
        return running & Q(deadline__gte=on, warn_on__lte=on)
    if light == "green":
        return running & Q(deadline__gte=on, warn_on__gt=on)
    raise ValueError(light)


def light_of(case: Case, on: dt.date) -> str | None:
    if case.status not in DEADLINE_STATUSES or case.deadline is None:
        return None
    if case.deadline < on:
        return "red"
    if case.warn_on and case.warn_on <= on:
        return "yellow"
    return "green"


@dataclass
class LedgerFilter:
    campaign: int | None = None
    unit: int | None = None          # the unit and its whole subtree
    status: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    category: int | None = None      # the category and its children
    light: str | None = None
    deadline_from: dt.date | None = None
    deadline_to: dt.date | None = None
    reported_from: dt.date | None = None
    reported_to: dt.date | None = None
    q: str = ""
    order: str = "-reported"


def ledger(user, f: LedgerFilter, *, on: dt.date):
    qs = cases_visible(user)
    if f.campaign:
        qs = qs.filter(campaign_id=f.campaign)
    if f.unit:
        unit = Unit.objects.visible_to(user).filter(pk=f.unit).first()
        qs = qs.filter(unit__path__startswith=unit.path) if unit else qs.none()
    if f.status:
        qs = qs.filter(status__in=f.status)
    if f.source:
        qs = qs.filter(source__in=f.source)
    if f.category:
        qs = qs.filter(Q(category_id=f.category) | Q(category__parent_id=f.category))
    if f.light:
        qs = qs.filter(light_q(f.light, on))
    if f.deadline_from:
        qs = qs.filter(deadline__gte=f.deadline_from)
    if f.deadline_to:
        qs = qs.filter(deadline__lte=f.deadline_to)
    if f.reported_from:
        qs = qs.filter(reported_at__date__gte=f.reported_from)
    if f.reported_to:
        qs = qs.filter(reported_at__date__lte=f.reported_to)
    if f.q.strip():
        for word in f.q.split()[:5]:
            qs = qs.filter(Q(title__icontains=word) | Q(serial__icontains=word) | Q(address__icontains=word)
                           | Q(description__icontains=word))
    return qs.order_by(*ORDERINGS.get(f.order, ORDERINGS["-reported"]))


def counts_by_status(qs) -> dict[str, int]:
    rows = qs.order_by().values("status").annotate(n=Count("id"))
    counts = {s: 0 for s in Status.values}
    counts.update({r["status"]: r["n"] for r in rows})
    return counts


def campaigns_visible(user):
    """Campaigns are district-wide: every signed-in person sees them."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Campaign.objects.none()
    return Campaign.objects.all()


def categories_of(campaign: Campaign):
    return Category.objects.filter(campaign=campaign).select_related("parent").order_by("parent_id", "order")
