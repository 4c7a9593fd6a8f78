"""Quantities of work from Chinese prose: the seeds' figures, listed here by hand from reading them,
and the things that look like numbers but are not quantities of work."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gongjian.standards.figures import chinese_number, extract

SEEDS = Path(__file__).resolve().parent / "seeds"


def triples(text: str) -> list[tuple[str, int | float, str]]:
    return [(f.item, f.value, f.unit) for f in extract(text)]


# What a reader counts as work done in each seed, in order. Left out on purpose: dates (2016年9月6日,
# 8月27日晚), times (深夜12点, 凌晨3点多), durations (一个月, 50天, 决战五十天), the page (第04版), phone
# numbers and prices (10658300, 3元/月), the address (人民路890号, 邮编454002), the licence (豫ICP备…号),
# 七点意见, 五个方面, 5+2, 四城联创, 1+N, the bodies set up (5个专项工作组, 11项攻坚专项督导组), the plan
# (紧盯…等11项攻坚任务), the place 七里店, and the idioms 一项一项, 一件一件, 一微克一微克.
SEED_FIGURES = {
    "000_48c7e4aa4b917e3c.txt": [
        ("销号", 13, "项"),
        ("垃圾", 7427, "立方米"),
        ("废品回收市场", 35, "家"),
        ("土小企业", 34, "家"),
    ],
    "003_5c3e5145d7f83e80.txt": [],
    "004_4544810fdbeeef10.txt": [
        ("资金", 50_000_000, "元"),
        ("农贸市场", 8, "个"),
        ("洗车行", 38, "家"),
        ("经营秩序整治任务", 571, "项"),
    ],
}


@pytest.mark.parametrize("name", sorted(SEED_FIGURES))
def test_every_quantity_of_work_in_the_seeds_and_nothing_else(name):
    assert triples((SEEDS / name).read_text(encoding="utf-8")) == SEED_FIGURES[name]


def test_the_seed_spans_are_the_source_text():
    text = (SEEDS / "000_48c7e4aa4b917e3c.txt").read_text(encoding="utf-8")
    figures = extract(text)
    assert [f.text for f in figures] == ["销号13项", "清运垃圾7427立方米", "35家废品回收市场", "34家“土小”企业"]
    assert all(text[f.start:f.end] == f.text for f in figures)
    assert figures[3].metric == "closed_firms"  # 对34家“土小”企业实施关停
    assert figures[2].metric is None            # 限定35家废品回收市场的清理时间: not a closure


def test_the_issue_example():
    figures = extract("累计出动500余人次,车辆40余车次,清理建筑垃圾5000余立方米")
    assert [f.as_json() for f in figures] == [
        {"item": "出动人员", "value": 500, "unit": "人次", "approx": True, "text": "出动500余人次",
         "metric": "personnel"},
        {"item": "车辆", "value": 40, "unit": "车次", "approx": True, "text": "车辆40余车次", "metric": "vehicles"},
        {"item": "建筑垃圾", "value": 5000, "unit": "立方米", "approx": True, "text": "清理建筑垃圾5000余立方米",
         "metric": "construction_waste"},
    ]


@pytest.mark.parametrize("text, value", [
    ("七千四百二十七", 7427), ("十", 10), ("十二", 12), ("二十", 20), ("一百零五", 105), ("两千", 2000),
    ("三万五千", 35000), ("两万三千四百", 23400), ("一亿零五", 100_000_005), ("十万", 100_000), ("一千万", 10_000_000),
])
def test_chinese_numerals(text, value):
    assert chinese_number(text) == value


def test_not_a_chinese_numeral():
    with pytest.raises(ValueError):
        chinese_number("七里")


@pytest.mark.parametrize("text, expected", [
    ("出动挖掘机一台、铲车两台，清运垃圾七千四百二十七立方米",
     [("挖掘机", 1, "台"), ("铲车", 2, "台"), ("垃圾", 7427, "立方米")]),
    ("覆盖防尘网1.2万平方米", [("防尘网", 12000, "平方米")]),
    ("投入资金5000万元", [("资金", 50_000_000, "元")]),
    ("张贴宣传单2,000张", [("宣传单", 2000, "张")]),
    ("下达整改通知书8份，清理小广告300处", [("整改通知书", 8, "份"), ("小广告", 300, "处")]),
    ("检查工地后整改问题30个", [("问题", 30, "个")]),
    ("完成整治任务5项", [("整治任务", 5, "项")]),
    ("共出动执法人员120人次、执法车辆16台次", [("执法人员", 120, "人次"), ("执法车辆", 16, "台次")]),
    ("关停取缔散乱污企业12家", [("散乱污企业", 12, "家")]),
])
def test_quantities(text, expected):
    assert triples(text) == expected


@pytest.mark.parametrize("text, approx", [
    ("清运垃圾500余立方米", True), ("清运垃圾500多立方米", True), ("清运垃圾约500立方米", True),
    ("清运垃圾近500立方米", True), ("清运垃圾500立方米左右", True), ("清运垃圾500立方米", False),
    ("清运垃圾超过500立方米", False), ("清运垃圾1万余立方米", True),
])
def test_approximations(text, approx):
    (figure,) = extract(text)
    assert figure.value in (500, 10000) and figure.approx is approx


@pytest.mark.parametrize("text", [
    "2016年9月6日", "8月27日晚召开会议", "凌晨3点多结束", "深夜12点开始", "用一个月的时间", "短短50天内",
    "第04版", "第二批问题", "依据焦政办〔2026〕12号文件", "人民路890号", "3号楼", "电话:0391-8797395",
    "发送短信 jzsjb 到 10658300", "3元/月", "完成率达到95%", "同比下降3.2个百分点", "七里店渣土场", "五一路",
    "百间房街道", "三间房", "一项一项攻坚", "一件一件抓落实", "一微克一微克争取", "打赢一场攻坚战", "是一件大事",
    "提出七点意见", "五个方面", "坚持“5+2”“白+黑”", "设立5个专项工作组", "紧盯城中村等11项攻坚任务",
    "问题清单共30项", "正反两方面典型", "落实“六个一”目标", "PM2.5浓度为45微克/立方米", "500米范围内",
])
def test_not_quantities_of_work(text):
    assert extract(text) == [], extract(text)


def test_empty_and_numberless_text():
    assert extract("") == []
    assert extract("各街道要认真研究辖区情况，分类施策、对症下药。") == []


def _extract_cli(stdin: bytes) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gongjian.cli", "extract"], input=stdin, capture_output=True,
                          timeout=60)


def test_cli_prints_one_json_object_per_quantity():
    r = _extract_cli("累计出动500余人次,车辆40余车次,清理建筑垃圾5000余立方米\n".encode())
    assert r.returncode == 0, r.stderr.decode()
    rows = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert [(x["item"], x["value"], x["unit"], x["approx"], x["metric"]) for x in rows] == [
        ("出动人员", 500, "人次", True, "personnel"), ("车辆", 40, "车次", True, "vehicles"),
        ("建筑垃圾", 5000, "立方米", True, "construction_waste")]
    assert set(rows[0]) == {"item", "value", "unit", "approx", "text", "metric"}


def test_cli_reads_gb18030_and_explains_when_nothing_is_found():
    r = _extract_cli("清运垃圾50立方米".encode("gb18030"))
    assert r.returncode == 0 and json.loads(r.stdout)["value"] == 50
    r = _extract_cli("2026年9月6日召开会议".encode())
    assert r.returncode == 0 and r.stdout == b"" and "未找到" in r.stderr.decode()
