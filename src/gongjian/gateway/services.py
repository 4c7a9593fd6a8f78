"""Every write of the gateway app other than the device data (that is store.py): its status row."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from gongjian.gateway.models import GatewayStatus


@transaction.atomic
def status_write(*, name: str, started_at: dt.datetime, counters: dict) -> GatewayStatus:
    """Replace the counters of the gateway ``name`` (host:port). Machine state, not a user action: no audit."""
    row, _ = GatewayStatus.objects.update_or_create(
        name=name, defaults={"started_at": started_at, "updated_at": timezone.now(), "counters": counters})
    return row
