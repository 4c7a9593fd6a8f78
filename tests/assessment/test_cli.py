import json

from gongjian.assessment.models import Ranking, SchemeVersion
from gongjian.cli import main
from tests.assessment.conftest import SCHEME

YAML = """
name: weekly
title: 周考核
base: 100
rules:
  - {code: higher, label: 上级发现问题, type: case, set: found, sources: [city, province], points: -1, cap: 3}
  - {code: false, label: 虚假整改, type: case, set: reworked, points: -2}
  - {code: ontime, label: 按期结案, type: case, set: closed_on_time, points: 0.5, cap: 5}
  - {code: overdue, label: 超期待处置率, type: indicator, indicator: overdue_pending_rate, points: -10}
  - {code: daily, label: 日报缺报, type: daily_missing, points: -1, cap: 2}
grades: {A: 90, B: 75, C: 60, D: 40}
red_flags: 1
black_flags: 1
"""


def test_import_yaml_then_rank_as_json(week, tmp_path, capsys):
    f = tmp_path / "weekly.yaml"
    f.write_text(YAML.replace("code: false", "code: 'false'"), encoding="utf-8")
    assert main(["rank", "scheme", "import", str(f)]) == 0
    assert "第1版" in capsys.readouterr().out
    assert main(["rank", "--period", "2026-W22", "--scheme", "weekly", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    d = week.ledger.d
    assert [(r["unit"], r["rank"], r["score"], r["grade"], r["flag"]) for r in rows] == [
        (d.bureau.name, 1, 99.5, "A", "red"), (d.street_b.name, 2, 99.0, "A", ""),
        (d.street_a.name, 3, 88.5, "B", "black")]
    # importing the same file again adds no version; JSON with one change adds version 2
    assert main(["rank", "scheme", "import", str(f)]) == 0
    assert SchemeVersion.objects.count() == 1
    changed = dict(SCHEME, red_flags=2)
    g = tmp_path / "weekly.json"
    g.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    assert main(["rank", "scheme", "import", str(g), "--note", "红旗两面"]) == 0
    assert "第2版" in capsys.readouterr().out
    assert main(["rank", "--period", "2026-W22", "--format", "table"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["名次", "单位", "得分", "等级", "红黑旗"]
    assert out[1].split() == ["1", d.bureau.name, "99.50", "A", "红旗", "流动红旗"]
    assert out[2].split() == ["2", d.street_b.name, "99.00", "A", "红旗"]
    assert Ranking.objects.count() == 2  # one per version, both kept


def test_rank_with_ties_marks_them(ledger, capsys, tmp_path):
    """No case at all: all three units score the base and share rank 1 (并列)."""
    f = tmp_path / "s.json"
    f.write_text(json.dumps(dict(SCHEME, name="flat")), encoding="utf-8")
    assert main(["rank", "scheme", "import", str(f)]) == 0
    capsys.readouterr()
    assert main(["rank", "--period", "2026-W22", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {(r["rank"], r["flag"]) for r in rows} == {(1, "red")}
    assert all(r["rolling_red_flag"] for r in rows)  # tied for first with no holder: shared
    assert main(["rank", "--period", "2026-W22"]) == 0
    assert capsys.readouterr().out.count("1(并列)") == 3


def test_cli_errors_are_one_clear_line(ledger, tmp_path, capsys):
    assert main(["rank", "--period", "2026-W22"]) == 1
    assert "尚无考核方案" in capsys.readouterr().err
    assert main(["rank", "--period", "2026-W60"]) == 2
    assert "没有第 60 周" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("base: 100\nrules:\n  - {code: x, type: case, set: found, points: -1, cap: many}\n",
                   encoding="utf-8")
    assert main(["rank", "scheme", "import", str(bad)]) == 1
    assert "rules[0].cap" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text('{"base": 100,\n "rules": [}', encoding="utf-8")
    assert main(["rank", "scheme", "import", str(broken)]) == 1
    assert "第 2 行" in capsys.readouterr().err
    assert main(["rank", "scheme", "import", str(tmp_path / "missing.json")]) == 1
    assert "找不到文件" in capsys.readouterr().err
    assert main(["rank", "--scheme", "nope", "--period", "2026-W22"]) == 1
    assert "没有名为“nope”" in capsys.readouterr().err
    assert not SchemeVersion.objects.exists()


def test_the_shipped_default_scheme_loads_and_ranks(ledger, capsys):
    from gongjian.assessment import demo

    assert demo.load(log=lambda m: None) is True
    assert demo.load(log=lambda m: None) is False  # once
    assert main(["rank", "--period", "2026-W22", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    # no case and no daily figures in the test district: 7 missing days, −1 each, at most −5
    assert {(r["rank"], r["score"], r["grade"]) for r in rows} == {(1, 95.0, "A")}
