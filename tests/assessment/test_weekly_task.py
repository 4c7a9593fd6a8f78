"""The Monday job: last week's ranking frozen and told, once."""

from __future__ import annotations

import pytest

from gongjian.assessment import tasks
from gongjian.assessment.models import Ranking
from gongjian.notify.models import NoticeItem

pytestmark = pytest.mark.django_db

MONDAY_8 = "2026-06-01T08:00:00+08:00"


def test_monday_freezes_last_week_and_tells_leaders_and_each_unit(week, scheme):
    result = tasks.weekly_ranking.call(MONDAY_8)
    ranking = Ranking.objects.get()
    assert result["period"] == "2026-W22" == ranking.period and result["ranking"] == ranking.pk
    d = week.ledger.d
    units = len(ranking.results)
    # the leaders and the command post get every unit's line; each unit its own
    for person in ("leader", "bureau_leader", "commander"):
        assert NoticeItem.objects.filter(user=d[person], topic="ranking").count() == units
    first = min(ranking.results, key=lambda r: r["rank"])
    own = NoticeItem.objects.get(unit_id=first["unit_id"], topic="ranking")
    assert own.line.startswith(f"第{first['rank']}名 {first['unit']}") and "2026年第22周" in own.title
    assert not NoticeItem.objects.filter(user=d["handler_a"]).exists()
    again = tasks.weekly_ranking.call(MONDAY_8)
    assert again["notices"] == 0 and Ranking.objects.count() == 1


def test_without_a_scheme_the_job_says_so(week):
    assert "考核方案" in tasks.weekly_ranking.call(MONDAY_8)["skipped"]
