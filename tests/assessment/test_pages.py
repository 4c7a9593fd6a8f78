import io

import openpyxl
from django.test import Client
from docx import Document as Docx

from gongjian.assessment.models import Ranking
from tests.assessment.conftest import WEEK


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_ranking_page_lists_ranks_flags_and_links_in_scope(week, scheme):
    d = week.ledger.d
    page = client_for(d["handler_a"]).get(f"/ranking/?period={WEEK}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "2026年第22周" in html and "99.50" in html and "88.50" in html
    assert "红旗" in html and "黑旗" in html and "流动红旗" in html
    # a street handler may open its own breakdown, not the others'
    assert f'/ranking/units/{d.street_a.pk}/?period={WEEK}' in html
    assert f'/ranking/units/{d.street_b.pk}/' not in html
    assert 'id="rank-trend-data"' in html and "echarts.min.js" in html
    assert '<label for="rank-period">' in html


def test_bad_period_is_named_at_its_field(week, scheme):
    html = client_for(week.ledger.d["commander"]).get("/ranking/?period=2026-W99").content.decode()
    assert 'id="rank-period-error"' in html and "没有第 99 周" in html
    assert 'aria-invalid="true"' in html


def test_page_without_scheme_says_how_to_add_one(ledger):
    html = client_for(ledger.d["commander"]).get("/ranking/").content.decode()
    assert "尚无考核方案" in html


def test_clicking_minus_three_lists_the_cases(week, scheme):
    d, c = week.ledger.d, week.cases
    api = client_for(d["handler_a"])
    html = api.get(f"/ranking/units/{d.street_a.pk}/?period={WEEK}&scheme=weekly").content.decode()
    assert "-3.00" in html and "已封顶" in html
    partial = api.get(f"/ranking/units/{d.street_a.pk}/rules/higher/cases/?period={WEEK}&scheme=weekly")
    body = partial.content.decode()
    for key in ("c3", "c4", "c5", "c6"):
        assert f'href="/cases/{c[key].pk}/"' in body
    assert f"/cases/{c['c1'].pk}/" not in body
    # the same list without JavaScript, on the page itself
    page = api.get(f"/ranking/units/{d.street_a.pk}/?period={WEEK}&scheme=weekly&rule=false").content.decode()
    assert f'href="/cases/{c["c2"].pk}/"' in page


def test_unit_pages_are_404_out_of_scope(week, scheme):
    d = week.ledger.d
    api = client_for(d["handler_a"])
    assert api.get(f"/ranking/units/{d.street_b.pk}/?period={WEEK}").status_code == 404
    assert api.get(f"/ranking/units/{d.street_b.pk}/rules/higher/cases/?period={WEEK}").status_code == 404
    assert api.get(f"/ranking/units/{d.street_a.pk}/rules/nope/cases/?period={WEEK}").status_code == 404
    assert api.get(f"/ranking/units/{d.street_a.pk}/?period={WEEK}&rule=nope").status_code == 404
    # a bad period: the page says so and shows the default week; a download or partial is a 400 saying why
    page = api.get(f"/ranking/units/{d.street_a.pk}/?period=bad")
    assert page.status_code == 200 and "考核期“bad”无法识别" in page.content.decode()
    bad = api.get("/ranking/bulletin.docx?period=2026-13")
    assert bad.status_code == 400 and "月份 13 无效" in bad.content.decode()
    assert api.get(f"/ranking/units/{d.street_a.pk}/rules/higher/cases/?period=x").status_code == 400
    assert Client().get("/ranking/").status_code == 302


def test_bulletin_and_table_downloads(week, scheme):
    d = week.ledger.d
    api = client_for(d["commander"])
    r = api.get(f"/ranking/bulletin.docx?period={WEEK}")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    text = "\n".join(p.text for p in Docx(io.BytesIO(r.content)).paragraphs)
    assert "关于2026年第22周(05.25—05.31)整治攻坚考核排名情况的通报" in text
    assert "攻坚考核〔2026〕1号" in text
    assert f"授予{d.bureau.name}红旗，流动红旗由{d.bureau.name}获得" in text
    assert f"对{d.street_a.name}予以黑旗通报批评" in text
    tables = Docx(io.BytesIO(r.content)).tables
    assert [c.text for c in tables[0].rows[1].cells] == ["1", d.bureau.name, "99.50", "A", "红旗 流动红旗"]
    x = api.get(f"/ranking/ranking.xlsx?period={WEEK}")
    ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
    assert [c.value for c in ws[2]] == ["名次", "单位", "上级发现问题", "虚假整改", "按期结案", "超期待处置率", "日报缺报",
                                        "得分", "等级", "红黑旗"]
    assert [c.value for c in ws[5]] == [3, d.street_a.name, -3, -2, 0.5, -5, -2, 88.5, "B", "黑旗"]
    assert Ranking.objects.count() == 1  # both files come from the one frozen ranking of the week
