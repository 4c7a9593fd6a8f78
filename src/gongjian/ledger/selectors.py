"""Reads on the ledger, always scoped: the filterable ledger, counts, the deadline light."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_noop

from gongjian.ledger.models import DEADLINE_STATUSES, Campaign, Case, CaseTally, Category, Status
from gongjian.org.models import Unit

LIGHTS = {"green": gettext_noop("绿灯"), "yellow": gettext_noop("黄灯"), "red": gettext_noop("红灯")}  # pages translate them

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
    # Spelled exactly as the partial index case_running_deadline_idx, so PostgreSQL uses it.
    running = Q(status__in=sorted(DEADLINE_STATUSES), deadline__isnull=False)
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
    closed_from: dt.date | None = None   # 销号日期 (site time)
    closed_to: dt.date | None = None
    q: str = ""
    order: str = ""                  # "" = newest first, or by deadline when filtering by light/deadline

    def effective_order(self) -> str:
        if self.order in ORDERINGS:
            return self.order
        # An overdue or due-soon list is read most urgent first (and the partial deadline index
        # serves that order directly).
        return "deadline" if self.light or self.deadline_from or self.deadline_to else "-reported"


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def ledger(user, f: LedgerFilter, *, on: dt.date):
    qs = cases_visible(user)
    if f.campaign:
        qs = qs.filter(campaign_id=f.campaign)
    if f.unit:
        subtree = _visible_subtree(user, f.unit)
        qs = qs.filter(unit_id__in=subtree) if subtree else qs.none()
    if f.status:
        qs = qs.filter(status__in=f.status)
    if f.source:
        qs = qs.filter(source__in=f.source)
    if f.category:
        # The category and its children as a list of ids: an OR through a join defeats the index.
        kin = Category.objects.filter(Q(pk=f.category) | Q(parent_id=f.category))
        if f.campaign:
            kin = kin.filter(campaign_id=f.campaign)
        qs = qs.filter(category_id__in=list(kin.values_list("pk", flat=True)) or [0])
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
    if f.closed_from:  # as a range of moments, so the closed_at index serves it
        qs = qs.filter(closed_at__gte=_local_midnight(f.closed_from))
    if f.closed_to:
        qs = qs.filter(closed_at__lt=_local_midnight(f.closed_to + dt.timedelta(days=1)))
    if f.q.strip():
        for word in f.q.split()[:5]:
            # Case folding only matters for Latin letters; for Chinese a plain LIKE is the same and cheaper.
            op = "icontains" if any("a" <= ch.lower() <= "z" for ch in word) else "contains"
            qs = qs.filter(Q(**{f"title__{op}": word}) | Q(**{f"serial__{op}": word})
                           | Q(**{f"address__{op}": word}) | Q(**{f"description__{op}": word}))
    return qs.order_by(*ORDERINGS[f.effective_order()])


def _visible_subtree(user, unit_id: int) -> list[int]:
    """Ids of the unit and every unit under it, [] when the user may not see the unit."""
    unit = Unit.objects.visible_to(user).filter(pk=unit_id).only("path").first()
    if unit is None:
        return []
    return list(Unit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True))


# Above this many matching cases a filter that the tally cannot answer reports "more than" instead
# of an exact figure: counting 200,000 rows costs more than the page itself (see benchmarks/ledger.py).
COUNT_CAP = 10_000


@dataclass
class LedgerCounts:
    by_status: dict[str, int]   # empty when the total is capped
    total: int                  # exact, or COUNT_CAP when ``exact`` is False (shown as "10,000+")
    exact: bool = True


# The filter fields the tally (campaign, unit, status) can answer on its own.
_TALLY_FIELDS = {"campaign", "unit", "status", "order"}


def _tally_answers(user, f: LedgerFilter) -> bool:
    if not user.sees_everything:
        return False  # scoped readers also see what their units reported: not in the tally
    defaults = LedgerFilter()
    return all(getattr(f, name) == getattr(defaults, name) for name in vars(defaults) if name not in _TALLY_FIELDS)


def ledger_counts(user, f: LedgerFilter, qs) -> LedgerCounts:
    """Total and counts by status of ``qs`` (which is ``ledger(user, f, ...)``), cheaply.

    Exact from the trigger-kept tally when the filter is only campaign, unit and status and the user
    sees the whole district (the dashboard's and the ledger's opening views); otherwise exact up to
    ``COUNT_CAP`` matches, and above that the total is reported as capped.
    """
    if _tally_answers(user, f):
        tally = CaseTally.objects.all()
        if f.campaign:
            tally = tally.filter(campaign_id=f.campaign)
        if f.unit:
            tally = tally.filter(unit_key__in=_visible_subtree(user, f.unit) or [-1])
        if f.status:
            tally = tally.filter(status__in=f.status)
        counts = {s: 0 for s in Status.values}
        counts.update({r["status"]: r["n"] for r in tally.values("status").annotate(n=Sum("n")) if r["n"]})
        return LedgerCounts(counts, sum(counts.values()))
    statuses = list(qs.order_by().values_list("status", flat=True)[:COUNT_CAP + 1])
    if len(statuses) > COUNT_CAP:
        return LedgerCounts({}, COUNT_CAP, exact=False)
    counts = {s: 0 for s in Status.values}
    for st in statuses:
        counts[st] += 1
    return LedgerCounts(counts, len(statuses))


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


def case_timeline(case: Case) -> list:
    """The case's audit events, oldest first, including the import that created it, if any.

    An import writes one event for the whole file (on the campaign, with the range of case ids it
    created), so the case's own events would otherwise begin at its first move.
    """
    from gongjian.core import audit
    from gongjian.core.models import AuditEvent

    events = audit.timeline(case)
    imports = AuditEvent.objects.filter(action="case.import", object_type=Campaign._meta.label_lower,
                                        object_id=str(case.campaign_id)).select_related("actor")
    for event in imports:
        try:
            first, last = json.loads(event.after or "{}").get("case_ids", [None, None])
        except (ValueError, TypeError):
            continue
        if first is not None and first <= case.pk <= last:
            return [event, *events]
    return events

