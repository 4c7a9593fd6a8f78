"""Helpers for tasks that run for a schedule slot."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def slot_day(slot: str) -> dt.date:
    """The local date of a slot passed to a task as ISO text (what the scheduler sends)."""
    moment = dt.datetime.fromisoformat(slot)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return timezone.localdate(moment)
