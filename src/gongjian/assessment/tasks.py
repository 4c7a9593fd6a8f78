"""Background tasks of assessment: the weekly ranking, frozen and told on Monday morning."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django_tasks import task

from gongjian.jobs.slots import slot_day


@task()
def weekly_ranking(slot: str) -> dict:
    """Freeze last week's ranking with the default scheme and tell the leaders and the command post (the whole
    table) and each ranked unit's group robots (its own line). A second run finds the frozen ranking and
    tells nobody again."""
    from gongjian.assessment import periods, services
    from gongjian.core.errors import NotFound
    from gongjian.notify import services as notify
    from gongjian.notify.tasks import pump_soon
    from gongjian.org.models import Role, Unit
    from gongjian.reporting.tasks import district_people

    day = slot_day(slot)
    period = periods.week_of(day - dt.timedelta(days=7))
    try:
        scheme = services.scheme_of(None)
        ranking = services.ranking_run(actor=None, period=period, scheme=scheme, today=day)
    except NotFound as exc:
        return {"skipped": exc.message}
    if not ranking.pk:
        return {"skipped": f"{period.label} 尚未结束 / the period has not ended"}
    people = district_people(Role.LEADER, Role.COMMANDER)
    units = Unit.objects.in_bulk([r["unit_id"] for r in ranking.results])
    told = 0
    with transaction.atomic():
        for r in ranking.results:
            unit = units.get(r["unit_id"])
            told += notify.publish(
                topic="ranking", key=f"ranking:{ranking.pk}:{r['unit_id']}", title=f"{period.label}考核排名",
                line=f"第{r['rank']}名 {r['unit']} {r['score']}分" + (f"({r['grade']})" if r.get("grade") else ""),
                link=f"/ranking/?period={period.key}&scheme={scheme.name}", users=people,
                units=[unit] if unit else [])
    if told:
        pump_soon()
    return {"period": period.key, "ranking": ranking.pk, "units": len(ranking.results), "notices": told}
