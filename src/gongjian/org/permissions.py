"""Who may do what in the organisation domain. Services call these; so all entry points agree."""

from __future__ import annotations

from gongjian.core.errors import Forbidden
from gongjian.org.models import Role


def is_system(actor) -> bool:
    """The CLI and data loaders act as ``None``: the operator who holds the database."""
    return actor is None


def can_manage_org(actor) -> bool:
    return is_system(actor) or (actor.is_active and actor.is_admin)


def can_manage_grids(actor) -> bool:
    return can_manage_org(actor) or (actor.is_active and actor.sees_everything
                                      and actor.has_role(Role.COMMANDER))


def can_read_audit(actor) -> bool:
    return is_system(actor) or (actor.is_active and (actor.is_admin or (
        actor.sees_everything and actor.has_role(Role.COMMANDER, Role.LEADER, Role.INSPECTOR))))


def require(allowed: bool, what: str) -> None:
    if not allowed:
        raise Forbidden(f"没有权限：{what} / not permitted: {what}")
