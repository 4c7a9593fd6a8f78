"""Reads of inspections, scoped: an inspection is seen by its organising unit's tree, a finding by
whoever sees its case."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from gongjian.inspection.models import Finding, Inspection, InspectionKind


def inspections_visible(user):
    return Inspection.objects.visible_to(user).select_related("campaign", "unit", "lead")


def night_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """A night inspection "of" a day starts between 18:00 that day and 06:00 the next morning."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time(18), tzinfo=tz)
    return start, start + dt.timedelta(hours=12)


def night_inspections(day: dt.date):
    start, end = night_window(day)
    return (Inspection.objects.filter(kind=InspectionKind.NIGHT, starts_at__gte=start, starts_at__lt=end)
            .select_related("lead").prefetch_related("inspectors").order_by("starts_at", "id"))


def findings_of(inspections):
    return (Finding.objects.filter(inspection__in=inspections)
            .select_related("case", "case__unit", "case__category").order_by("inspection_id", "id"))
