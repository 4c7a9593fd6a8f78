"""The 工作台 dashboard: figures per role, scoped to the reader, from aggregate queries only.

``dashboard_context(user, on)`` runs a fixed number of queries whatever the number of cases: counts
by status (from the trigger-kept ``CaseTally`` for district-wide readers), the deadline lights, the
30-day trend (today's new and closed are its last day), a progress table per unit and the reader's
to-dos. Every figure links to the ledger page with the filter that lists exactly those cases, where
the ledger's filters can express it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gongjian.ledger import flows, selectors
from gongjian.ledger.models import (
    DEADLINE_STATUSES,
    Campaign,
    CaseTally,
    ExtensionRequest,
    ExtensionStatus,
    Status,
)
from gongjian.org.models import LeaderAssignment, Role, Unit, UnitKind

TREND_DAYS = 30
PENDING_ROWS_SHOWN = 8

# The order a reader follows the loop in.
STATUS_ORDER = [Status.REPORTED, Status.REGISTERED, Status.ASSIGNED, Status.RETURNED, Status.RECTIFYING,
                Status.SUBMITTED, Status.CLOSED, Status.LONG_TERM, Status.REJECTED]

# Marked for the catalogue; the page translates them when it shows them.
LIGHT_TEXT = {"red": (gettext_noop("红灯"), gettext_noop("已超期")), "yellow": (gettext_noop("黄灯"), gettext_noop("临近期限")),
              "green": (gettext_noop("绿灯"), gettext_noop("期限内"))}

# Units that hold no cases of their own: left out of the progress table when they have none.
_NON_HOLDING_KINDS = {UnitKind.DISTRICT, UnitKind.COMMAND, UnitKind.WORKGROUP}


def ledger_url(**params) -> str:
    """The ledger page with a filter query string (parameter names as the ledger API parses them)."""
    try:
        base = reverse("ledger:list")
    except NoReverseMatch:
        base = "/ledger/"
    clean = {k: v for k, v in params.items() if v not in (None, "", [])}
    return f"{base}?{urlencode(clean, doseq=True)}" if clean else base


@dataclass
class Figure:
    key: str
    label: str
    n: int
    href: str
    note: str = ""


@dataclass
class UnitRow:
    unit: Unit | None
    label: str
    is_assigned: bool = False     # one of the reader's 分包 units
    total: int = 0
    closed: int = 0
    on_time: int = 0
    overdue: int = 0
    href: str = ""
    closed_href: str = ""
    overdue_href: str = ""

    @property
    def on_time_rate(self) -> float | None:
        """按期率: closed by the deadline over the cases that should be closed by now (closed + overdue)."""
        due = self.closed + self.overdue
        return None if due == 0 else round(100 * self.on_time / due, 1)


@dataclass
class Todo:
    key: str
    label: str
    hint: str
    count: int
    href: str
    cases: list = field(default_factory=list)
    capped: bool = False   # more than PENDING_COUNT_CAP: shown as "1000+"

    @property
    def shown_count(self) -> str:
        return f"{PENDING_COUNT_CAP}+" if self.capped else str(self.count)


def _day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min), tz)
    end = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min), tz)
    return start, end


def dashboard_context(user, on: dt.date, campaign: Campaign | None = None) -> dict:
    """Everything the dashboard shows for ``user`` on day ``on`` (optionally one campaign)."""
    qs = selectors.cases_visible(user)
    cid = campaign.pk if campaign else None
    if cid:
        qs = qs.filter(campaign_id=cid)
    everything = user.sees_everything
    if not everything:
        qs = _narrowed(user, qs)
    assigned_units = list(LeaderAssignment.objects.filter(leader=user).select_related("unit")
                          .order_by("unit__path")) if user.has_role(Role.LEADER) else []
    assigned_ids = {la.unit_id for la in assigned_units}

    first_day = on - dt.timedelta(days=TREND_DAYS - 1)
    figures = _district_figures(qs, cid, on, first_day) if everything else _scoped_figures(qs, on, first_day)
    raw, lights_raw, per_unit, reported, closed = figures

    by_status = [Figure(s.value, s.label, raw.get(s.value) or 0, ledger_url(campaign=cid, status=s.value))
                 for s in STATUS_ORDER]
    total = sum(f.n for f in by_status)
    open_n = sum(f.n for f in by_status if f.key not in (Status.CLOSED, Status.REJECTED))
    lights = [Figure(k, LIGHT_TEXT[k][0], lights_raw.get(k) or 0, ledger_url(campaign=cid, light=k),
                     LIGHT_TEXT[k][1]) for k in ("red", "yellow", "green")]

    # ---- 30-day trend; today's new and closed are its last day
    days = [first_day + dt.timedelta(days=i) for i in range(TREND_DAYS)]
    trend = {
        "days": [d.strftime("%m-%d") for d in days],
        "reported": [reported.get(d, 0) for d in days],
        "closed": [closed.get(d, 0) for d in days],
    }
    today = [
        Figure("new", _("今日新增"), trend["reported"][-1],
               ledger_url(campaign=cid, reported_from=on.isoformat(), reported_to=on.isoformat())),
        Figure("closed", _("今日销号"), trend["closed"][-1],
               ledger_url(campaign=cid, status=Status.CLOSED, closed_from=on.isoformat(), closed_to=on.isoformat())),
    ]

    return {
        "on": on,
        "campaign": campaign,
        "total": Figure("total", _("案件总数"), total, ledger_url(campaign=cid)),
        "open_count": open_n,
        "by_status": by_status,
        "lights": lights,
        "today": today,
        "trend": trend,
        "trend_totals": {"reported": sum(trend["reported"]), "closed": sum(trend["closed"])},
        "unit_rows": _unit_rows(user, per_unit, cid, everything, assigned_ids),
        "assigned_units": [la.unit for la in assigned_units],
        "todos": _todos(user, qs, cid, on, assigned_units),
    }


# ------------------------------------------------------------------ the figures


def _narrowed(user, qs):
    """The scoped cases again, as lists of unit ids the (unit, status) and reporting-unit indexes serve.

    ``visible_to`` says "responsible or reporting unit in the reader's subtrees" as joins on unit
    paths, which no index serves: every figure would read the whole table. This filter says the
    same with the subtrees' unit ids, so the database reads the reader's cases only; the scope
    filter stays, so the result is exactly ``cases_visible(user)``.
    """
    paths = user.scope_paths() or []
    in_scope = Q()
    for p in paths:
        in_scope |= Q(path__startswith=p)
    ids = list(Unit.objects.filter(in_scope).values_list("pk", flat=True)) if paths else []
    return qs.filter(Q(unit_id__in=ids) | Q(reporter_unit_id__in=ids))


def _blank() -> dict[str, int]:
    return {"total": 0, "closed": 0, "on_time": 0, "overdue": 0}


def _district_figures(qs, cid, on, first_day):
    """For readers who see the whole district: each figure from the tally or an index made for it."""
    tally = CaseTally.objects.filter(campaign_id=cid) if cid else CaseTally.objects.all()
    raw: dict[str, int] = {}
    per_unit: dict[int | None, dict[str, int]] = {}
    for r in tally.values("unit_key", "status").annotate(n=Sum("n")):
        raw[r["status"]] = raw.get(r["status"], 0) + r["n"]
        row = per_unit.setdefault(r["unit_key"] or None, _blank())
        row["total"] += r["n"]
        if r["status"] == Status.CLOSED:
            row["closed"] += r["n"]
    # Running cases only (the partial deadline index): the lights, and overdue per unit, in one pass.
    running = qs.filter(status__in=sorted(DEADLINE_STATUSES), deadline__isnull=False)
    lights = {"red": 0, "yellow": 0, "green": 0}
    for r in running.order_by().values("unit_id").annotate(
            red=Count("id", filter=Q(deadline__lt=on)),
            yellow=Count("id", filter=Q(deadline__gte=on, warn_on__lte=on)),
            green=Count("id", filter=Q(deadline__gte=on, warn_on__gt=on))):
        for k in lights:
            lights[k] += r[k]
        per_unit.setdefault(r["unit_id"], _blank())["overdue"] += r["red"]
    for r in qs.filter(closed_on_time=True, status=Status.CLOSED).order_by().values("unit_id").annotate(n=Count("id")):
        per_unit.setdefault(r["unit_id"], _blank())["on_time"] += r["n"]
    start, end = _day_bounds(first_day, on)
    tz = timezone.get_current_timezone()
    reported = {r["day"]: r["n"] for r in qs.filter(reported_at__gte=start, reported_at__lt=end).order_by()
                .annotate(day=TruncDate("reported_at", tzinfo=tz)).values("day").annotate(n=Count("id"))}
    closed = {r["day"]: r["n"] for r in qs.filter(closed_at__gte=start, closed_at__lt=end).order_by()
              .annotate(day=TruncDate("closed_at", tzinfo=tz)).values("day").annotate(n=Count("id"))}
    return raw, lights, per_unit, reported, closed


def _scoped_figures(qs, on, first_day):
    """For readers of part of the district: two passes over their cases, whatever their number.

    The scope (responsible unit or reporting unit in the reader's subtrees) is a join no index
    serves, so every figure but the trend comes from one GROUP BY (unit, status) with conditional
    counts, and the trend from a second one by (reported day, closed day).
    """
    red, yellow, green = (selectors.light_q(k, on) for k in ("red", "yellow", "green"))
    raw: dict[str, int] = {}
    lights = {"red": 0, "yellow": 0, "green": 0}
    per_unit: dict[int | None, dict[str, int]] = {}
    rows = qs.order_by().values("unit_id", "status").annotate(
        n=Count("id"), on_time=Count("id", filter=Q(closed_on_time=True, status=Status.CLOSED)),
        red=Count("id", filter=red), yellow=Count("id", filter=yellow), green=Count("id", filter=green))
    for r in rows:
        raw[r["status"]] = raw.get(r["status"], 0) + r["n"]
        for k in lights:
            lights[k] += r[k]
        row = per_unit.setdefault(r["unit_id"], _blank())
        row["total"] += r["n"]
        row["closed"] += r["n"] if r["status"] == Status.CLOSED else 0
        row["on_time"] += r["on_time"]
        row["overdue"] += r["red"]
    start, end = _day_bounds(first_day, on)
    tz = timezone.get_current_timezone()
    reported: dict[dt.date, int] = {}
    closed: dict[dt.date, int] = {}
    in_window = Q(reported_at__gte=start, reported_at__lt=end) | Q(closed_at__gte=start, closed_at__lt=end)
    for r in (qs.filter(in_window).order_by().annotate(rday=TruncDate("reported_at", tzinfo=tz),
                                                        cday=TruncDate("closed_at", tzinfo=tz))
              .values("rday", "cday").annotate(n=Count("id"))):
        if r["rday"] and first_day <= r["rday"] <= on:
            reported[r["rday"]] = reported.get(r["rday"], 0) + r["n"]
        if r["cday"] and first_day <= r["cday"] <= on:
            closed[r["cday"]] = closed.get(r["cday"], 0) + r["n"]
    return raw, lights, per_unit, reported, closed


# ------------------------------------------------------------------ the progress table


def _row_units(user, everything: bool, assigned_ids: set[int]) -> tuple[list[Unit], Unit | None]:
    """The units the table has a row for, and the unit whose own cases get a 本级 row (or None).

    District-wide readers: the units directly under the district. Others: the units they see
    (their own and their 分包 units); with only one, its children, so a street sees its communities.
    """
    if everything:
        return list(Unit.objects.filter(depth=1).order_by("order", "name")), None
    paths = user.scope_paths() or []
    roots = list(Unit.objects.filter(path__in=paths).order_by("depth", "order", "name"))
    if len(roots) == 1:
        children = list(Unit.objects.filter(parent=roots[0]).order_by("order", "name"))
        if children:
            return children, roots[0]
    return roots, None


def _unit_rows(user, per_unit, cid, everything, assigned_ids) -> list[UnitRow]:
    """Rows of the progress table, from per responsible unit figures rolled up to the row units."""
    rows_units, own = _row_units(user, everything, assigned_ids)
    paths = dict(Unit.objects.filter(pk__in=[u for u in per_unit if u]).values_list("pk", "path"))
    rows = [UnitRow(u, u.name, u.pk in assigned_ids) for u in rows_units]
    own_row = UnitRow(own, _("%(unit)s(本级)") % {"unit": own.name}, own.pk in assigned_ids) if own else None
    unassigned = UnitRow(None, _("未确定责任单位"))
    other = UnitRow(None, _("其他单位"))
    by_path = sorted(((r.unit.path, r) for r in rows), key=lambda pr: -len(pr[0]))
    for uid, figures in per_unit.items():
        if uid is None:
            target = unassigned
        else:
            path = paths.get(uid, "")
            target = next((r for p, r in by_path if path.startswith(p)), None)
            if target is None:
                target = own_row if own_row and path.startswith(own.path) else other
        for key, n in figures.items():
            setattr(target, key, getattr(target, key) + n)
    # The 本级 row has no ledger link: the ledger's unit filter always takes the whole subtree.
    for r in rows:
        r.href = ledger_url(campaign=cid, unit=r.unit.pk)
        r.closed_href = ledger_url(campaign=cid, unit=r.unit.pk, status=Status.CLOSED)
        r.overdue_href = ledger_url(campaign=cid, unit=r.unit.pk, light="red")
    shown = [r for r in rows if r.total or r.is_assigned or r.unit.kind not in _NON_HOLDING_KINDS]
    # Stable: 分包 units first, then units with cases, in the tree's order.
    shown.sort(key=lambda r: (not r.is_assigned, r.total == 0))
    return shown + [r for r in (own_row, other, unassigned) if r and r.total]


# ------------------------------------------------------------------ to-dos


# Above this many, a to-do count shows "1000+": counting every waiting case of a million costs more
# than the page (the ledger caps its counts the same way).
PENDING_COUNT_CAP = 1000

# The order each to-do list is read in, spelled so an index serves it: running cases by deadline
# (case_running_deadline_idx), waiting ones oldest first within their status (case_waiting_idx).
_BY_DEADLINE = ("deadline", "id")
_OLDEST_FIRST = ("reported_at", "id")


def _todo(key, label, hint, cases_qs, href, user=None, action=None, order=_OLDEST_FIRST) -> Todo:
    count = len(cases_qs.order_by().values_list("id", flat=True)[:PENDING_COUNT_CAP + 1])
    rows = list(cases_qs.select_related("unit", "category").order_by(*order)[:PENDING_ROWS_SHOWN]) if count else []
    if user is not None and action is not None:
        # The SQL mirrors flows' rules; the rows shown are checked against them exactly.
        rows = [c for c in rows if any(m.action == action for m in flows.available_moves(user, c))]
    return Todo(key, label, hint, count, href, rows, capped=count > PENDING_COUNT_CAP)


def _todos(user, qs, cid, on, assigned_units) -> list[Todo]:
    todos: list[Todo] = []
    if flows.is_dispatcher(user):
        todos.append(_todo("register", _("待立案"), _("群众、网格员和督查上报的问题，立案或不予立案"),
                           qs.filter(status=Status.REPORTED), ledger_url(campaign=cid, status=Status.REPORTED)))
        todos.append(_todo("assign", _("待交办"), _("已立案或被回退的案件，交办给责任单位"),
                           qs.filter(status__in=[Status.REGISTERED, Status.RETURNED]),
                           ledger_url(campaign=cid, status=[Status.REGISTERED, Status.RETURNED]),
                           order=("status", *_OLDEST_FIRST)))
        ext = ExtensionRequest.objects.visible_to(user).filter(status=ExtensionStatus.PENDING)
        if cid:
            ext = ext.filter(case__campaign_id=cid)
        todos.append(Todo("extension", _("待审批延期"), _("责任单位的延期申请"), ext.count(),
                          ledger_url(campaign=cid, status=[Status.ASSIGNED, Status.RECTIFYING]),
                          [e.case for e in ext.select_related("case", "case__unit", "case__category")
                           .order_by("requested_at")[:PENDING_ROWS_SHOWN]]))
    if user.has_role(Role.HANDLER) and user.unit_id:
        mine = qs.filter(unit__path__startswith=user.unit.path)
        todos.append(_todo("accept", _("待签收"), _("交办到本单位的案件，签收整改或回退"),
                           mine.filter(status=Status.ASSIGNED, deadline__isnull=False),
                           ledger_url(campaign=cid, unit=user.unit_id, status=Status.ASSIGNED), user, "accept",
                           _BY_DEADLINE))
        todos.append(_todo("submit", _("整改中"), _("整改完成后上传整改后照片并提交核查"),
                           mine.filter(status=Status.RECTIFYING, deadline__isnull=False),
                           ledger_url(campaign=cid, unit=user.unit_id, status=Status.RECTIFYING), user, "submit",
                           _BY_DEADLINE))
    if user.is_active and user.has_role(Role.INSPECTOR, Role.COMMANDER):
        waiting = qs.filter(status=Status.SUBMITTED).exclude(handler_id=user.pk)
        if user.unit_id:
            # Not the verifier's own unit or a unit above it; not under it either, unless district-wide.
            waiting = waiting.exclude(unit_id__in=[*user.unit.ancestor_ids, user.unit_id])
            if not user.sees_everything:
                waiting = waiting.exclude(unit__path__startswith=user.unit.path)
        todos.append(_todo("close", _("待核查"), _("责任单位已提交整改，现场核查后销号或返工"), waiting,
                           ledger_url(campaign=cid, status=Status.SUBMITTED), user, "close"))
    if assigned_units:
        q = Q()
        for la in assigned_units:
            q |= Q(unit__path__startswith=la.unit.path)
        names = _("、").join(la.unit.name for la in assigned_units)
        todos.append(_todo("leader_overdue", _("分包单位超期案件"), _("%(units)s的超期案件，督促整改") % {"units": names},
                           qs.filter(q).filter(selectors.light_q("red", on)),
                           ledger_url(campaign=cid, unit=assigned_units[0].unit_id if len(assigned_units) == 1
                                      else None, light="red"), order=_BY_DEADLINE))
    if user.has_role(Role.GRID_WORKER):
        todos.append(_todo("my_reports", _("我上报的(办理中)"), _("本人上报、尚未销号的问题"),
                           qs.filter(reported_by=user).exclude(status__in=[Status.CLOSED, Status.REJECTED]),
                           ledger_url(campaign=cid)))
    return todos
