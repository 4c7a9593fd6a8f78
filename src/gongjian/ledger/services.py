"""Every write on the ledger: report, the moves of the loop, extensions, evidence, escalation."""

from __future__ import annotations

import datetime as dt
import math

from django.db import connections, router, transaction
from django.db.models.query import get_related_populators
from django.utils import timezone

from gongjian.core import audit, rows
from gongjian.core.errors import Conflict, Forbidden, Invalid, NotFound
from gongjian.ledger import flows, reminders
from gongjian.ledger.evidence import check_upload, store_evidence
from gongjian.ledger.models import (
    DEADLINE_STATUSES,
    Campaign,
    Case,
    CaseKind,
    Category,
    Comment,
    Escalation,
    EscalationLevel,
    EscalationRule,
    Evidence,
    EvidenceStage,
    ExtensionRequest,
    ExtensionStatus,
    Priority,
    Source,
    Status,
)
from gongjian.org.models import Role, Unit, User
from gongjian.org.permissions import require
from gongjian.org.selectors import locate_grid_unit, responsible_leader_id


def today() -> dt.date:
    return timezone.localdate()


def _calendar():
    from gongjian.core.calendar import work_calendar

    return work_calendar()


def _workday_call(fn, *args):
    from gongjian.standards.workdays import MissingYear

    try:
        return fn(*args)
    except MissingYear as exc:
        raise Invalid(f"{exc.year} 年的节假日安排尚未导入，无法计算工作日期限；请管理员先导入 / "
                      f"no holiday schedule for {exc.year}", field="deadline") from None


def deadline_after(start: dt.date, workdays: int) -> dt.date:
    return _workday_call(_calendar().add, start, workdays)


def warn_date(assigned_on: dt.date, deadline: dt.date) -> dt.date:
    """The day 80 % of the allowed working time is used up (yellow light from then on)."""
    cal = _calendar()
    allowed = _workday_call(cal.count, assigned_on, deadline)
    return _workday_call(cal.add, assigned_on, math.ceil(0.8 * allowed)) if allowed else assigned_on


# ------------------------------------------------------------------ campaigns


def _is_dispatcher(actor) -> bool:
    return actor is None or flows.is_dispatcher(actor)


@transaction.atomic
def campaign_create(*, actor, name: str, serial_prefix: str, command_unit: Unit, starts_on: dt.date,
                    ends_on: dt.date | None = None, description: str = "", targets: str = "",
                    categories: list[dict] | None = None, escalation: list[dict] | None = None) -> Campaign:
    """A campaign with its category tree ([{name, default_workdays, children: [...]}]) and ladder."""
    require(_is_dispatcher(actor), "新建专项行动")
    name = (name or "").strip()
    if not name:
        raise Invalid("专项行动名称不能为空 / name is required", field="name")
    if Campaign.objects.filter(name=name).exists():
        raise Conflict(f"已有名为“{name}”的专项行动 / campaign exists", field="name")
    serial_prefix = (serial_prefix or "").strip()
    if not serial_prefix:
        raise Invalid("编号前缀不能为空 / serial prefix is required", field="serial_prefix")
    clash = Campaign.objects.filter(serial_prefix=serial_prefix).first()
    if clash:  # case numbers (前缀〔年〕序号) must not collide across campaigns
        raise Conflict(f"编号前缀“{serial_prefix}”已被专项行动“{clash.name}”使用 / serial prefix in use",
                       field="serial_prefix")
    if ends_on and ends_on < starts_on:
        raise Invalid("结束日期不能早于开始日期 / ends before it starts", field="ends_on")
    campaign = Campaign.objects.create(name=name, serial_prefix=serial_prefix, command_unit=command_unit,
                                       starts_on=starts_on, ends_on=ends_on, description=description,
                                       targets=targets)

    def add_categories(items, parent=None):
        for i, item in enumerate(items or []):
            cat = Category.objects.create(campaign=campaign, parent=parent, name=item["name"], order=i,
                                          default_workdays=item.get("default_workdays", 5))
            add_categories(item.get("children"), cat)

    add_categories(categories)
    for rule in escalation or []:
        if rule["level"] not in EscalationLevel.values or rule["level"] == EscalationLevel.NONE:
            raise Invalid(f"督办等级 {rule['level']} 无效 / unknown level", field="escalation")
        EscalationRule.objects.create(campaign=campaign, level=rule["level"],
                                      overdue_workdays=rule["overdue_workdays"],
                                      notify_leader=rule.get("notify_leader", False))
    audit.record(actor=actor, action="campaign.create", obj=campaign,
                 after={"name": name, "serial_prefix": campaign.serial_prefix, "command_unit": command_unit.pk,
                        "categories": list(campaign.categories.values_list("name", flat=True)),
                        "escalation": list(campaign.escalation_rules.values("level", "overdue_workdays"))})
    return campaign


def _campaign_snapshot(c: Campaign) -> dict:
    return {"name": c.name, "serial_prefix": c.serial_prefix, "command_unit": c.command_unit_id,
            "starts_on": c.starts_on.isoformat() if c.starts_on else None,
            "ends_on": c.ends_on.isoformat() if c.ends_on else None, "description": c.description,
            "targets": c.targets, "is_active": c.is_active}


@transaction.atomic
def campaign_update(*, actor, campaign: Campaign, **changes) -> Campaign:
    """Change a campaign's name, dates, texts, command post or whether it is running. The serial prefix
    can change only while the campaign has no cases (their numbers are printed on documents)."""
    require(_is_dispatcher(actor), "修改专项行动")
    allowed = {"name", "serial_prefix", "command_unit", "starts_on", "ends_on", "description", "targets",
               "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise Invalid(f"不能修改字段：{'、'.join(sorted(unknown))} / cannot change these fields")
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    before = _campaign_snapshot(campaign)
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if not changes["name"]:
            raise Invalid("专项行动名称不能为空 / name is required", field="name")
        if Campaign.objects.filter(name=changes["name"]).exclude(pk=campaign.pk).exists():
            raise Conflict(f"已有名为“{changes['name']}”的专项行动 / campaign exists", field="name")
    if "serial_prefix" in changes:
        changes["serial_prefix"] = (changes["serial_prefix"] or "").strip()
        if changes["serial_prefix"] != campaign.serial_prefix:
            if not changes["serial_prefix"]:
                raise Invalid("编号前缀不能为空 / serial prefix is required", field="serial_prefix")
            if campaign.cases.exists():
                raise Conflict("专项行动已有案件，编号前缀不能再改 / the campaign has cases", field="serial_prefix")
            clash = Campaign.objects.filter(serial_prefix=changes["serial_prefix"]).exclude(pk=campaign.pk).first()
            if clash:
                raise Conflict(f"编号前缀“{changes['serial_prefix']}”已被专项行动“{clash.name}”使用 / "
                               "serial prefix in use", field="serial_prefix")
    starts_on = changes.get("starts_on", campaign.starts_on)
    ends_on = changes.get("ends_on", campaign.ends_on)
    if ends_on and starts_on and ends_on < starts_on:
        raise Invalid("结束日期不能早于开始日期 / ends before it starts", field="ends_on")
    for k, v in changes.items():
        setattr(campaign, k, v)
    campaign.save()
    audit.record(actor=actor, action="campaign.update", obj=campaign, before=before,
                 after=_campaign_snapshot(campaign))
    return campaign


def _category_snapshot(c: Category) -> dict:
    return {"campaign": c.campaign_id, "parent": c.parent_id, "name": c.name,
            "default_workdays": c.default_workdays, "order": c.order}


def _check_category(*, campaign: Campaign, parent: Category | None, name: str, default_workdays: int,
                    exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid("类别名称不能为空 / name is required", field="name")
    if parent is not None:
        if parent.campaign_id != campaign.pk:
            raise Invalid("上级类别必须属于同一专项行动 / parent is in another campaign", field="parent")
        node = parent
        while node is not None:  # no category under itself or its own subtree
            if exclude is not None and node.pk == exclude:
                raise Invalid("不能把类别放到它自己或它的下级之下 / cannot be its own ancestor", field="parent")
            node = node.parent
    if not 1 <= int(default_workdays) <= 365:
        raise Invalid("默认整改时限应为 1–365 个工作日 / default deadline out of range", field="default_workdays")
    same = Category.objects.filter(campaign=campaign, parent=parent, name=name).exclude(pk=exclude)
    if same.exists():
        raise Conflict(f"同一上级下已有类别“{name}” / category exists", field="name")
    return name


@transaction.atomic
def category_create(*, actor, campaign: Campaign, name: str, parent: Category | None = None,
                    default_workdays: int = 5, order: int = 0) -> Category:
    require(_is_dispatcher(actor), "新建问题类别")
    name = _check_category(campaign=campaign, parent=parent, name=name, default_workdays=default_workdays)
    category = Category.objects.create(campaign=campaign, parent=parent, name=name,
                                       default_workdays=default_workdays, order=order)
    audit.record(actor=actor, action="category.create", obj=category, after=_category_snapshot(category))
    return category


@transaction.atomic
def category_update(*, actor, category: Category, **changes) -> Category:
    """Rename, move within the campaign's tree, change the default deadline (new cases only) or order."""
    require(_is_dispatcher(actor), "修改问题类别")
    unknown = set(changes) - {"name", "parent", "default_workdays", "order"}
    if unknown:
        raise Invalid(f"不能修改字段：{'、'.join(sorted(unknown))} / cannot change these fields")
    category = Category.objects.select_for_update().get(pk=category.pk)
    before = _category_snapshot(category)
    merged = {"name": category.name, "parent": category.parent, "default_workdays": category.default_workdays,
              **changes}
    changes["name"] = _check_category(campaign=category.campaign, parent=merged["parent"], name=merged["name"],
                                      default_workdays=merged["default_workdays"], exclude=category.pk)
    for k, v in changes.items():
        setattr(category, k, v)
    category.save()
    audit.record(actor=actor, action="category.update", obj=category, before=before,
                 after=_category_snapshot(category))
    return category


@transaction.atomic
def category_delete(*, actor, category: Category) -> None:
    """Only a category nothing refers to: no cases, no sub-categories."""
    require(_is_dispatcher(actor), "删除问题类别")
    if category.cases.exists():
        raise Conflict(f"类别“{category.name}”下已有案件，不能删除 / the category has cases")
    if category.children.exists():
        raise Conflict(f"类别“{category.name}”下还有子类别，不能删除 / the category has sub-categories")
    audit.record(actor=actor, action="category.delete", obj=category, before=_category_snapshot(category))
    category.delete()


@transaction.atomic
def escalation_rule_set(*, actor, campaign: Campaign, level: int, overdue_workdays: int,
                        notify_leader: bool = False) -> EscalationRule:
    """Add a rung to a campaign's ladder or change the one at this level."""
    require(_is_dispatcher(actor), "设置督办升级规则")
    if level not in EscalationLevel.values or level == EscalationLevel.NONE:
        raise Invalid(f"督办等级 {level} 无效 / unknown level", field="level")
    if not 1 <= int(overdue_workdays) <= 365:
        raise Invalid("超期工作日数应为 1–365 / overdue working days out of range", field="overdue_workdays")
    rule = EscalationRule.objects.select_for_update().filter(campaign=campaign, level=level).first()
    before = None if rule is None else {"overdue_workdays": rule.overdue_workdays,
                                        "notify_leader": rule.notify_leader}
    rule = rule or EscalationRule(campaign=campaign, level=level)
    rule.overdue_workdays, rule.notify_leader = overdue_workdays, notify_leader
    rule.save()
    audit.record(actor=actor, action="escalation_rule.set", obj=rule, before=before,
                 after={"campaign": campaign.pk, "level": level, "overdue_workdays": overdue_workdays,
                        "notify_leader": notify_leader})
    return rule


@transaction.atomic
def escalation_rule_delete(*, actor, rule: EscalationRule) -> None:
    require(_is_dispatcher(actor), "删除督办升级规则")
    audit.record(actor=actor, action="escalation_rule.delete", obj=rule,
                 before={"campaign": rule.campaign_id, "level": rule.level,
                         "overdue_workdays": rule.overdue_workdays, "notify_leader": rule.notify_leader})
    rule.delete()


# ------------------------------------------------------------------ reporting


_NUMBERING_SQL: dict[str, tuple[list[str], str]] = {}


def _numbering_sql(connection) -> tuple[list[str], str]:
    built = _NUMBERING_SQL.get(connection.alias)
    if built is None:
        quote = connection.ops.quote_name
        fields = Unit._meta.concrete_fields
        lock = " FOR UPDATE OF c" if connection.features.has_select_for_update_of else ""
        sql = (f"SELECT {', '.join('u.' + quote(f.column) for f in fields)} FROM {quote(Campaign._meta.db_table)} c "
               f"LEFT JOIN {quote(Unit._meta.db_table)} u ON u.{quote('id')} = %s WHERE c.{quote('id')} = %s{lock}")
        built = _NUMBERING_SQL[connection.alias] = ([f.attname for f in fields], sql)
    return built


def _next_number(campaign: Campaign, year: int, unit_id: int | None = None) -> tuple[int, Unit | None]:
    """The next number in the campaign's year, with the campaign row locked (that serialises
    numbering), and the unit ``unit_id`` read in the same round trip (None when there is none)."""
    connection = connections[router.db_for_write(Case)]
    quote = connection.ops.quote_name
    attnames, lock_sql = _numbering_sql(connection)
    with connection.cursor() as cursor:  # two small statements, cheaper written than built by the ORM
        cursor.execute(lock_sql, [unit_id, campaign.pk])
        row = cursor.fetchone()
        if row is None:
            raise Campaign.DoesNotExist("the campaign row vanished")
        cursor.execute(f"SELECT MAX({quote('number')}) FROM {quote(Case._meta.db_table)} "
                       f"WHERE {quote('campaign_id')} = %s AND {quote('year')} = %s", [campaign.pk, year])
        top = cursor.fetchone()[0]
    unit = None if row[0] is None else Unit.from_db(connection.alias, attnames, row)
    return (top or 0) + 1, unit


def _responsible_leader(unit: Unit | None):
    """The 分包 leader of the unit or its nearest ancestor that has one (the first assigned)."""
    leader_id = responsible_leader_id(unit)
    return None if leader_id is None else User.objects.get(pk=leader_id)


@transaction.atomic
def case_report(*, actor, campaign: Campaign, category: Category, title: str, source: str, **optional) -> Case:
    """上报: a new case. The grid and responsible unit come from the point when not given.

    Planned tasks entered by the command post are registered at once. ``optional``: kind,
    description, address, lng and lat, unit, priority, reported_at (see ``_case_report``).
    """
    return _case_report(actor=actor, campaign=campaign, category=category, title=title, source=source, **optional)


def _case_report(*, actor, campaign: Campaign, category: Category, title: str, source: str,
                 kind: str = CaseKind.PROBLEM, description: str = "", address: str = "",
                 lng: float | None = None, lat: float | None = None, unit: Unit | None = None,
                 priority: str = Priority.NORMAL, reported_at: dt.datetime | None = None) -> Case:
    """``case_report`` inside the caller's transaction."""
    if actor is not None and not actor.is_active:
        raise Forbidden("账号已停用 / inactive account")
    title = (title or "").strip()
    if not title:
        raise Invalid("标题不能为空 / title is required", field="title")
    if len(title) > 200:
        raise Invalid("标题不能超过200字 / title too long", field="title")
    if category.campaign_id != campaign.pk:
        raise Invalid(f"类别“{category}”不属于专项行动“{campaign}” / category of another campaign",
                      field="category")
    if source not in Source.values:
        raise Invalid(f"来源“{source}”无效 / unknown source", field="source")
    if kind not in CaseKind.values:
        raise Invalid(f"类型“{kind}”无效 / unknown kind", field="kind")
    if priority not in Priority.values:
        raise Invalid(f"紧急程度“{priority}”无效 / unknown priority", field="priority")
    if (lng is None) != (lat is None):
        raise Invalid("经度和纬度必须同时填写 / give both lng and lat", field="lng")
    grid_id = grid_unit_id = None
    if lng is not None:
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise Invalid("坐标超出范围 / coordinates out of range", field="lng")
        grid_id, grid_unit_id = locate_grid_unit(lng, lat)
    if kind == CaseKind.TASK and not _is_dispatcher(actor):
        raise Forbidden("只有指挥部可以下达计划任务 / only the command post creates planned tasks")
    moment = reported_at or timezone.now()
    year = timezone.localtime(moment).year
    number, grid_unit = _next_number(campaign, year, grid_unit_id if unit is None else None)
    unit = unit or grid_unit
    case = Case(
        campaign=campaign, year=year, number=number, serial=f"{campaign.serial_prefix}〔{year}〕{number:04d}",
        kind=kind, source=source, category=category, title=title, description=description.strip(),
        address=address.strip(), lng=lng, lat=lat, grid_id=grid_id, unit=unit, priority=priority,
        status=Status.REPORTED, reported_by=actor, reporter_unit=getattr(actor, "unit", None),
        reported_at=moment, leader_id=responsible_leader_id(unit),
    )
    rows.insert(case)  # (no signals listen to cases: the INSERT without rebuilding it each time)
    reported = {"actor": actor, "action": "case.report", "obj": case, "after": case.snapshot()}
    if kind == CaseKind.TASK:  # (the new row is this transaction's alone: no lock to take, no savepoint)
        # the report's event after the register's UPDATE: the chain head is the last lock taken
        return _move(actor=actor, case=case, move=flows.MOVES["register"], audit_first=(reported,))
    audit.record(**reported)
    return case


# ------------------------------------------------------------------ the loop


def _case_for_update(pk):
    return (Case.objects.select_for_update(of=("self",)).select_related("unit", "campaign", "category")
            .filter(pk=pk))


class _CaseLoader:
    """``_case_for_update`` compiled once per connection (the SQL of a four-table join with every
    column is most of a move's own work when built anew each time); rows become objects exactly
    as the queryset would make them."""

    def __init__(self, connection):
        qs = _case_for_update(0)
        self.compiler = qs.query.get_compiler(connection=connection)
        self.sql, params = self.compiler.as_sql()
        if list(params) != [0]:
            raise RuntimeError("unexpected parameters in the case query")
        compiler = self.compiler
        klass_info, select = compiler.klass_info, compiler.select
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.span = (start, end)
        self.init_list = [f[0].target.attname for f in select[start:end]]
        self.populators = get_related_populators(klass_info, select, connection.alias)
        fields = [column[0] for column in select[0:compiler.col_count]]
        self.converters = compiler.get_converters(fields)  # (the same for every row: found once)
        self.plain = not compiler.has_composite_fields(fields)

    def load(self, connection, pk) -> Case:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [pk])
            rows = cursor.fetchall()
        if not rows:
            raise Case.DoesNotExist("Case matching query does not exist.")
        start, end = self.span
        if not self.plain:
            rows = self.compiler.results_iter(results=[rows])
        elif self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        for row in rows:
            case = Case.from_db(connection.alias, self.init_list, row[start:end])
            for populator in self.populators:
                populator.populate(row, case)
            return case


def _load_for_update(case: Case) -> Case:
    connection = connections[router.db_for_write(Case)]
    if not connection.in_atomic_block:  # the queryset says why FOR UPDATE needs a transaction
        return _case_for_update(case.pk).get()
    loader = getattr(connection, "_gongjian_case_loader", None)
    if loader is None:
        loader = connection._gongjian_case_loader = _CaseLoader(connection)
    return loader.load(connection, case.pk)


def _require_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(f"{what}必须填写理由 / a reason is required", field="reason")
    return reason


@transaction.atomic
def transition(*, actor, case: Case, action: str, reason: str = "", unit: Unit | None = None,
               deadline: dt.date | None = None, workdays: int | None = None, handler=None,
               lead_unit: Unit | None = None, plan: str = "", review_on: dt.date | None = None) -> Case:
    """Make one move of the loop. Illegal moves raise Conflict (409) and change nothing."""
    move = flows.MOVES.get(action)
    if move is None:
        raise Invalid(f"未知操作“{action}”，可选：{'、'.join(flows.MOVES)} / unknown action", field="action")
    return _move(actor=actor, case=_load_for_update(case), move=move, reason=reason, unit=unit, deadline=deadline,
                 workdays=workdays, handler=handler, lead_unit=lead_unit, plan=plan, review_on=review_on)


def _move(*, actor, case: Case, move: flows.Move, reason: str = "", unit: Unit | None = None,
          deadline: dt.date | None = None, workdays: int | None = None, handler=None,
          lead_unit: Unit | None = None, plan: str = "", review_on: dt.date | None = None,
          audit_first: tuple[dict, ...] = ()) -> Case:
    """``transition`` on a case the caller has locked (``_load_for_update``) in its transaction.

    ``audit_first``: audit events (``audit.record`` keyword arguments) of what the same transaction did
    before the move, written after the case row and before the move's own event. Lock order: the case
    UPDATE takes the status tally's row locks (its trigger) and the audit chain head must come after them
    in every transaction, as a report (INSERT, then its event) takes them; a transaction that took the head
    first and the tally second would deadlock against it (tests/ledger/test_concurrent_moves.py)."""
    action = move.action
    if case.status not in move.sources:
        allowed = "、".join(Status(s).label for s in move.sources)
        raise Conflict(f"案件 {case.serial} 当前状态为“{case.get_status_display()}”，不能“{move.label}”"
                       f"(只能在 {allowed} 时) / cannot {action} a case that is {case.status}",
                       details={"status": case.status, "action": action})
    if not flows.may(actor, move, case):
        raise Forbidden(f"“{move.label}”只能由{flows.WHO_LABEL[move.who]}操作 / not permitted")
    before = case.snapshot()
    now = timezone.now()
    changed = ["status", "updated_at"]  # the columns this move writes (and only those)
    needs_after_photo = None
    if action == "reject":
        case.rejection_reason = reason = _require_reason(reason, "不予立案")
        changed.append("rejection_reason")
    elif action == "assign":
        _apply_assignment(case, unit=unit, deadline=deadline, workdays=workdays, handler=handler,
                          lead_unit=lead_unit)
        changed += ["unit", "lead_unit", "handler", "leader", "assigned_on", "deadline", "warn_on"]
    elif action == "accept":
        if actor is not None and case.handler_id is None and actor.has_role(Role.HANDLER):
            case.handler = actor
            changed.append("handler")
    elif action == "return":
        reason = _require_reason(reason, "回退")
        case.return_count += 1
        changed.append("return_count")
    elif action == "submit":
        needs_after_photo = "提交整改前请上传整改后照片 / upload after-photos before submitting"
        case.submitted_at = now
        case.submitted_on_time = case.deadline is None or today() <= case.deadline
        changed += ["submitted_at", "submitted_on_time"]
    elif action == "close":
        needs_after_photo = "没有整改后照片，不能销号 / no after-evidence, cannot close"
        case.closed_at = now
        case.closed_by = actor
        case.closed_on_time = case.deadline is None or today() <= case.deadline
        changed += ["closed_at", "closed_by", "closed_on_time"]
    elif action == "rework":
        reason = _require_reason(reason, "返工")
        case.rework_count += 1
        case.submitted_at = None
        changed += ["rework_count", "submitted_at"]
    elif action == "hang":
        if not (plan or "").strip():
            raise Invalid("挂账须填写整改计划 / a plan is required", field="plan")
        if review_on is None or review_on <= today():
            raise Invalid("挂账须填写今天以后的复查日期 / a future review date is required", field="review_on")
        case.long_term_plan, case.long_term_review_on = plan.strip(), review_on
        changed += ["long_term_plan", "long_term_review_on"]
    case.status = move.target
    # (For submit and close the after-photo check and the write are one statement.)
    if not _write_case(case, changed, need_after_photo=bool(needs_after_photo)):
        if needs_after_photo:
            raise Invalid(needs_after_photo, field="evidence")
        raise Case.DoesNotExist("the case row vanished under its lock")
    for event in audit_first:
        audit.record(**event)
    audit.record(actor=actor, action=f"case.{action}", obj=case, before=before, after=case.snapshot(),
                 reason=reason)
    return case


def _write_case(case: Case, fields: list[str], *, need_after_photo: bool = False) -> bool:
    """``case.save(update_fields=fields)`` as one plain UPDATE (``updated_at`` set as auto_now would).
    With ``need_after_photo`` the row is written only if the case has an after-photo: the check and
    the write in one statement. False when nothing was written."""
    connection = connections[router.db_for_write(Case)]
    quote = connection.ops.quote_name
    case.updated_at = timezone.now()
    sets, params = [], []
    for name in fields:
        field = Case._meta.get_field(name)
        sets.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(getattr(case, field.attname), connection))
    sql = f"UPDATE {quote(Case._meta.db_table)} SET {', '.join(sets)} WHERE {quote('id')} = %s"
    params.append(case.pk)
    if need_after_photo:
        evidence = Evidence._meta
        sql += (f" AND EXISTS (SELECT 1 FROM {quote(evidence.db_table)} WHERE {quote('case_id')} = %s "
                f"AND {quote(evidence.get_field('stage').column)} = %s)")
        params += [case.pk, EvidenceStage.AFTER.value]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


def _apply_assignment(case: Case, *, unit, deadline, workdays, handler, lead_unit) -> None:
    unit = unit or case.unit
    if unit is None:
        raise Invalid("交办须指定责任单位 / a responsible unit is required", field="unit")
    assigned_on = today()
    if deadline is not None and workdays is not None:
        raise Invalid("整改期限和工作日数只能填一个 / give a deadline or a number of working days", field="deadline")
    if deadline is None:
        n = workdays if workdays is not None else case.category.default_workdays
        if n < 0:
            raise Invalid("工作日数不能为负 / working days must not be negative", field="workdays")
        deadline = deadline_after(assigned_on, n)
    if deadline < assigned_on:
        raise Invalid(f"整改期限 {deadline} 早于交办日期 {assigned_on} / deadline before the assignment",
                      field="deadline")
    if handler is not None and not (handler.has_role(Role.HANDLER) and handler.unit_id
                                    and unit.path.startswith(handler.unit.path)):
        raise Invalid(f"“{handler}”不是“{unit}”的经办人 / handler is not in the unit", field="handler")
    case.unit = unit
    case.lead_unit = lead_unit
    case.handler = handler
    case.leader_id = responsible_leader_id(unit)
    case.assigned_on = assigned_on
    case.deadline = deadline
    case.warn_on = warn_date(assigned_on, deadline)


# ------------------------------------------------------------------ extensions


@transaction.atomic
def extension_request(*, actor, case: Case, requested_deadline: dt.date, reason: str) -> ExtensionRequest:
    case = _load_for_update(case)
    if case.status not in DEADLINE_STATUSES:
        raise Conflict(f"案件当前状态为“{case.get_status_display()}”，不能申请延期 / cannot extend now")
    if actor is not None and not (flows.is_unit_handler(actor, case) or actor.is_admin):
        raise Forbidden("只有责任单位的经办人可以申请延期 / only the unit's handler may ask")
    reason = _require_reason(reason, "申请延期")
    if case.deadline and requested_deadline <= case.deadline:
        raise Invalid(f"申请的期限应晚于现在的期限 {case.deadline} / must be later than the current deadline",
                      field="requested_deadline")
    if case.extensions.filter(status=ExtensionStatus.PENDING).exists():
        raise Conflict("已有待审批的延期申请 / an extension request is already pending")
    _workday_call(_calendar().is_workday, requested_deadline)  # the year must have a schedule
    ext = ExtensionRequest.objects.create(case=case, requested_deadline=requested_deadline, reason=reason,
                                          requested_by=actor)
    audit.record(actor=actor, action="case.extension_request", obj=case, reason=reason,
                 after={"extension": ext.pk, "requested_deadline": requested_deadline})
    return ext


@transaction.atomic
def extension_decide(*, actor, extension: ExtensionRequest, approve: bool, note: str = "") -> ExtensionRequest:
    ext = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
    if ext.status != ExtensionStatus.PENDING:
        raise Conflict("该延期申请已审批 / already decided")
    if actor is not None and not flows.is_dispatcher(actor):
        raise Forbidden("延期由指挥部审批 / extensions are decided by the command post")
    case = _load_for_update(ext.case)
    before = case.snapshot()
    ext.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    ext.decided_by, ext.decided_at, ext.decision_note = actor, timezone.now(), note.strip()
    ext.save()
    if approve:
        case.deadline = ext.requested_deadline
        case.warn_on = warn_date(case.assigned_on or today(), case.deadline)
        case.extension_count += 1
        case.escalation_level = EscalationLevel.NONE if case.deadline >= today() else case.escalation_level
        case.save()
    audit.record(actor=actor, action="case.extension_" + ("approve" if approve else "refuse"), obj=case,
                 before=before, after=case.snapshot(), reason=note)
    return ext


# ------------------------------------------------------------------ evidence


@transaction.atomic
def evidence_add(*, actor, case: Case, stage: str, upload) -> Evidence:
    """Attach a photo or file. Images are verified by Pillow; EXIF time and GPS are kept."""
    return _evidence_add(actor=actor, case=_load_for_update(case), stage=stage, upload=upload)


def _evidence_add(*, actor, case: Case, stage: str, upload, checked: tuple[str, bytes, dict] | None = None,
                  audit_later: list | None = None) -> Evidence:
    """``evidence_add`` on a case the caller has locked in its transaction (``checked``: what
    ``check_upload`` already found for this upload). ``audit_later``: the event is appended there for the
    caller to write (after a case UPDATE, see ``_move``'s ``audit_first``) instead of written now."""
    if stage not in EvidenceStage.values:
        raise Invalid(f"阶段“{stage}”无效 / unknown stage", field="stage")
    if actor is not None:
        allowed = (flows.is_unit_handler(actor, case) or flows.is_dispatcher(actor)
                   or actor.has_role(Role.INSPECTOR) or actor.pk == case.reported_by_id)
        if not allowed:
            raise Forbidden("没有权限为该案件上传材料 / not permitted")
    if case.status in (Status.CLOSED, Status.REJECTED):
        raise Conflict("案件已办结，不能再上传材料 / the case is finished")
    evidence = store_evidence(case=case, stage=stage, upload=upload, actor=actor, checked=checked)
    event = {"actor": actor, "action": "case.evidence_add", "obj": case,
             "after": {"evidence": evidence.pk, "stage": stage, "name": evidence.original_name,
                       "sha256": evidence.sha256, "size": evidence.size}}
    if audit_later is None:
        audit.record(**event)
    else:
        audit_later.append(event)
    return evidence


# Photos one form may carry at once (the phone page and the submit form).
MAX_PHOTOS = 9


def _check_photos(stage: str, photos: list) -> list[tuple[str, bytes, dict]]:
    """Verify every photo before any is stored: one bad photo stores none (and creates nothing).
    Returns what ``check_upload`` found for each, so storing them does not verify them again."""
    if len(photos) > MAX_PHOTOS:
        raise Invalid(f"一次最多上传 {MAX_PHOTOS} 张照片，收到 {len(photos)} 张 / too many photos", field="photos")
    return [check_upload(stage=stage, upload=photo) for photo in photos]


@transaction.atomic
def case_report_with_photos(*, actor, photos=(), **report) -> Case:
    """上报 from the phone: the case (``case_report``'s arguments) and its before-photos in one go."""
    photos = list(photos)
    checked = _check_photos(EvidenceStage.BEFORE, photos)
    case = _case_report(actor=actor, **report)  # (in this transaction: no savepoints, the new row is ours)
    for photo, check in zip(photos, checked, strict=True):
        _evidence_add(actor=actor, case=case, stage=EvidenceStage.BEFORE, upload=photo, checked=check)
    return case


@transaction.atomic
def submit_with_photos(*, actor, case: Case, photos=(), reason: str = "") -> Case:
    """提交整改 with the after-photos taken for it; a refused move or a bad photo stores nothing."""
    photos = list(photos)
    move = flows.MOVES["submit"]
    current = _load_for_update(case)
    if current.status in move.sources and not flows.may(actor, move, current):
        raise Forbidden(f"“{move.label}”只能由{flows.WHO_LABEL[move.who]}操作 / not permitted")
    added: list[dict] = []  # their audit events, written after the case UPDATE (the chain head last)
    if current.status in move.sources:
        checked = _check_photos(EvidenceStage.AFTER, photos)
        for photo, check in zip(photos, checked, strict=True):  # (on the case locked above: no savepoints)
            _evidence_add(actor=actor, case=current, stage=EvidenceStage.AFTER, upload=photo, checked=check,
                          audit_later=added)
    return _move(actor=actor, case=current, move=move, reason=reason, audit_first=tuple(added))


# ------------------------------------------------------------------ comments

COMMENT_MAX_CHARS = 2000


def is_read_only(user) -> bool:
    """A person whose only role is 只读 (or who has none) reads but never writes."""
    return not user.is_admin and not (user.role_codes - {Role.VIEWER})


@transaction.atomic
def comment_add(*, actor, case: Case, body: str) -> Comment:
    """评论 on a case by someone who may see it; audited, so it shows in the case timeline."""
    body = (body or "").strip()
    if not body:
        raise Invalid("评论内容不能为空 / the comment is empty", field="body")
    if len(body) > COMMENT_MAX_CHARS:
        raise Invalid(f"评论不能超过 {COMMENT_MAX_CHARS} 字(现有 {len(body)} 字) / comment too long", field="body")
    if actor is None or not actor.is_active:
        raise Forbidden("评论须由在职人员发表 / comments need an active person")
    if not Case.objects.visible_to(actor).filter(pk=case.pk).exists():
        raise NotFound("案件不存在或无权查看 / not found")
    if is_read_only(actor):
        raise Forbidden("只读账号不能发表评论 / read-only accounts cannot comment")
    comment = Comment.objects.create(case=case, author=actor, body=body)
    audit.record(actor=actor, action="case.comment", obj=case, after={"comment": comment.pk, "body": body})
    return comment


# ------------------------------------------------------------------ escalation


def overdue_workdays(case: Case, on: dt.date) -> int:
    if case.deadline is None or on <= case.deadline:
        return 0
    return _workday_call(_calendar().count, case.deadline, on)


def escalate(*, actor=None, on: dt.date | None = None, dry_run: bool = False) -> list[tuple[Case, int, int]]:
    """The escalation scan: each overdue case climbs its campaign's ladder, each rung once.

    Returns (case, level reached, working days overdue) for every new rung. Idempotent: a second
    run on the same day changes nothing.
    """
    on = on or today()
    rules: dict[int, list[EscalationRule]] = {}
    for rule in EscalationRule.objects.order_by("level"):
        rules.setdefault(rule.campaign_id, []).append(rule)
    found = []
    overdue = (Case.objects.filter(status__in=DEADLINE_STATUSES, deadline__lt=on, campaign_id__in=list(rules))
               .select_related("unit", "campaign").order_by("id"))
    for case in overdue.iterator(chunk_size=2000):
        days = overdue_workdays(case, on)
        reached = max((r.level for r in rules[case.campaign_id] if days >= r.overdue_workdays),
                      default=EscalationLevel.NONE)
        if reached > case.escalation_level:
            found.append((case, reached, days))
    if dry_run:
        return found
    for case, level, days in found:
        with transaction.atomic():
            locked = _load_for_update(case)
            if level <= locked.escalation_level:
                continue  # another run got there first
            before = locked.snapshot()
            climbed = [r for r in rules[case.campaign_id] if locked.escalation_level < r.level <= level]
            for rung in range(locked.escalation_level + 1, level + 1):
                if EscalationLevel(rung) in [r.level for r in rules[case.campaign_id]]:
                    Escalation.objects.get_or_create(case=locked, level=rung,
                                                     defaults={"overdue_workdays": days, "unit": locked.unit,
                                                               "leader": locked.leader})
            locked.escalation_level = level
            locked.save(update_fields=["escalation_level", "updated_at"])
            # Told in the same transaction: the rung and its notice commit together, once.
            reminders.escalation_notice(locked, level, days, tell_leader=any(r.notify_leader for r in climbed))
            audit.record(actor=actor, action="case.escalate", obj=locked, before=before,
                         after=locked.snapshot(), reason=f"超期 {days} 个工作日")
    return found

