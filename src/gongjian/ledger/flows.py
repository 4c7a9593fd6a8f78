"""The closed loop as one explicit state machine (DOMAIN.md).

上报 reported → 立案 registered | 不予立案 rejected → 交办 assigned → 签收 rectifying | 回退 returned
→ 提交 submitted (after-evidence required) → 销号 closed by a verifier outside the unit | 返工 rework
back to rectifying. 挂账 long-term from assigned/rectifying, resumed later.

``MOVES`` is the whole table: from which statuses each action starts, where it goes, who may make
it. Anything not in the table is refused with a Conflict (HTTP 409) and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_noop

from gongjian.ledger.models import Status
from gongjian.org.models import Role


@dataclass(frozen=True)
class Move:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    who: str  # "dispatcher", "unit", "verifier"
    needs: str  # what the move needs, for people reading errors and docs


MOVES: dict[str, Move] = {m.action: m for m in [
    Move("register", gettext_noop("立案"), frozenset({Status.REPORTED}), Status.REGISTERED, "dispatcher", ""),
    Move("reject", gettext_noop("不予立案"), frozenset({Status.REPORTED, Status.RETURNED}), Status.REJECTED, "dispatcher",
         gettext_noop("理由")),
    Move("assign", gettext_noop("交办"), frozenset({Status.REGISTERED, Status.RETURNED}), Status.ASSIGNED, "dispatcher",
         gettext_noop("责任单位、整改期限")),
    Move("accept", gettext_noop("签收整改"), frozenset({Status.ASSIGNED}), Status.RECTIFYING, "unit", ""),
    Move("return", gettext_noop("回退"), frozenset({Status.ASSIGNED}), Status.RETURNED, "unit", gettext_noop("理由(如非本单位职责)")),
    Move("submit", gettext_noop("提交整改"), frozenset({Status.RECTIFYING}), Status.SUBMITTED, "unit", gettext_noop("整改后照片")),
    Move("close", gettext_noop("核查销号"), frozenset({Status.SUBMITTED}), Status.CLOSED, "verifier", gettext_noop("整改后照片")),
    Move("rework", gettext_noop("返工"), frozenset({Status.SUBMITTED}), Status.RECTIFYING, "verifier", gettext_noop("理由")),
    Move("hang", gettext_noop("挂账"), frozenset({Status.ASSIGNED, Status.RECTIFYING}), Status.LONG_TERM, "dispatcher",
         gettext_noop("整改计划、复查日期")),
    Move("resume", gettext_noop("恢复整改"), frozenset({Status.LONG_TERM}), Status.RECTIFYING, "dispatcher", ""),
]}

WHO_LABEL = {
    "dispatcher": gettext_noop("指挥部(区级指挥人员或管理员)"),
    "unit": gettext_noop("责任单位的经办人"),
    "verifier": gettext_noop("责任单位以外的督查员或指挥部人员"),
}


def is_dispatcher(user) -> bool:
    return user.is_active and (user.is_admin or (user.sees_everything and user.has_role(Role.COMMANDER)))


def in_unit(user, case) -> bool:
    """The user's unit is the case's responsible unit or a unit above it (a street's handler
    answers for its communities' cases)."""
    if not user.unit_id or not case.unit_id:
        return False
    return case.unit.path.startswith(user.unit.path)


def is_unit_handler(user, case) -> bool:
    return user.is_active and user.has_role(Role.HANDLER) and in_unit(user, case)


def is_verifier(user, case) -> bool:
    """核查 by someone else: an inspector or commander who is not in the responsible unit's tree."""
    if not user.is_active or not user.has_role(Role.INSPECTOR, Role.COMMANDER):
        return False
    if case.unit_id and user.unit_id and (user.unit.path.startswith(case.unit.path)
                                          or (case.unit.path.startswith(user.unit.path)
                                          and not user.sees_everything)):
        return False
    return user.pk != case.handler_id


def may(user, move: Move, case) -> bool:
    if user is None:  # the system (CLI, imports)
        return True
    if move.who == "dispatcher":
        return is_dispatcher(user)
    if move.who == "unit":
        return is_unit_handler(user, case) or user.is_admin
    if move.who == "verifier":
        return is_verifier(user, case)
    return False


def available_moves(user, case) -> list[Move]:
    """The moves this user may make on this case now (the buttons on the case page)."""
    return [m for m in MOVES.values() if case.status in m.sources and may(user, m, case)]
