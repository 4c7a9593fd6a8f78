"""Quantities of work in the Chinese prose units already write: "累计出动500余人次,车辆40余车次,
清理建筑垃圾5000余立方米" becomes three figures, each with what was counted, the number, the unit or
measure word, whether it was approximate (余/多/近/约/左右) and the source span.

Pure Python, no Django: the daily-figures page and `gongjian extract` both call ``extract``.

What is a quantity here: a number (Arabic, or Chinese numerals such as 七千四百二十七 and 两, with 万 and
亿 as multipliers) followed by a unit of work (人次, 车次, 立方米, 家, 处, 项 …) and tied to a thing counted,
either before the number (清运垃圾7427立方米, 出动挖掘机一台) or after its measure word (关停34家企业).
What is not: dates and times (2016年9月6日, 凌晨3点), durations (50天, 一个月), ordinals (第04版, 第二批),
document, room and road numbers (〔2026〕12号, 人民路890号, 3号楼), telephone numbers, percentages and
rates (3元/月), place names built from numerals (七里店, 五一路, 百间房), the article 一 (一场攻坚战, 一件大事),
reduplications (一项一项, 一微克一微克), and the size of plans and bodies rather than work done
(设立5个专项工作组, 紧盯11项攻坚任务) unless the clause says they were completed (完成571项整治任务).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

__all__ = ["CATALOGUE", "Figure", "Metric", "chinese_number", "extract"]


@dataclass(frozen=True)
class Metric:
    """A catalogue entry of daily figures: a found quantity maps to it by what was counted and its unit."""

    code: str
    name: str
    unit: str
    items: tuple[str, ...]             # words in the counted thing, most specific first
    units: tuple[str, ...]             # units it may be written in
    verbs: tuple[str, ...] = ()        # when given, one must appear in the clause (关停 for closed firms)


CATALOGUE: tuple[Metric, ...] = (
    Metric("personnel", "出动人员", "人次", ("出动人员", "执法人员", "工作人员", "人员", "干部", "志愿者", "出动"),
           ("人次", "人", "名")),
    Metric("vehicles", "出动车辆", "车次", ("出动车辆", "车辆", "机械", "洒水车", "清扫车", "铲车", "挖掘机", "出动"),
           ("车次", "台次", "辆次", "辆", "台")),
    Metric("construction_waste", "建筑垃圾", "立方米", ("建筑垃圾", "渣土"), ("立方米", "立方", "方", "吨")),
    Metric("garbage", "清运垃圾", "立方米", ("生活垃圾", "垃圾", "杂物"), ("立方米", "立方", "方", "吨", "车")),
    Metric("dust_net", "覆盖防尘网", "平方米", ("防尘网", "裸土", "苫盖", "覆盖"), ("平方米", "平米", "亩")),
    Metric("closed_firms", "关停取缔企业", "家", ("企业", "散乱污", "作坊", "土小"), ("家", "个"),
           verbs=("关停", "取缔", "关闭", "拆除", "封停")),
    Metric("dead_corners", "清理卫生死角", "处", ("卫生死角", "死角"), ("处", "个")),
    Metric("ads", "清理广告", "处", ("小广告", "广告"), ("处", "张", "条", "幅", "块")),
    Metric("notices", "下达整改通知书", "份", ("整改通知书", "通知书", "整改通知"), ("份", "张")),
)


@dataclass
class Figure:
    item: str
    value: int | float
    unit: str
    approx: bool
    text: str
    metric: str | None = None
    start: int = field(default=0, repr=False)   # offsets of ``text`` in the input
    end: int = field(default=0, repr=False)

    def as_json(self) -> dict:
        d = asdict(self)
        del d["start"], d["end"]
        return d


# ----------------------------------------------------------------- numbers

_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL = {"十": 10, "百": 100, "千": 1000}
_BIG = {"万": 10_000, "亿": 100_000_000}


def chinese_number(text: str) -> int:
    """七千四百二十七 -> 7427, 十二 -> 12, 两万三千 -> 23000, 一亿零五 -> 100000005."""
    if not text or any(ch not in _DIGIT and ch not in _SMALL and ch not in _BIG for ch in text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    total = section = digit = 0
    for ch in text:
        if ch in _DIGIT:
            digit = _DIGIT[ch]
        elif ch in _SMALL:
            section += (digit or 1) * _SMALL[ch]
            digit = 0
        else:
            section += digit
            total = (total + section) * _BIG[ch] if _BIG[ch] > 10_000 else total + section * _BIG[ch]
            section = digit = 0
    return total + section + digit


# Units of work, longest first so 立方米 wins over 米 and 人次 over 人. Time words (年 月 日 天 时 点 分 …),
# 号, 第 and 级 are deliberately not units: what they count is not work.
_UNITS = sorted([
    "人次", "车次", "台次", "辆次", "架次", "人", "名", "辆", "台", "艘",
    "立方米", "立方", "平方米", "平米", "亩", "公里", "千米", "米", "吨", "千克", "公斤",
    "处", "家", "个", "项", "件", "起", "份", "条", "块", "幅", "张", "棵", "株", "户", "座", "间", "栋",
    "根", "只", "箱", "袋", "车", "次", "元", "宗",
], key=len, reverse=True)
_PEOPLE = {"人次", "人", "名"}
_VEHICLES = {"车次", "台次", "辆次", "辆", "台", "架次", "艘"}

_CN = "零〇一二两三四五六七八九十百千万亿"
_NUMBER = re.compile(
    r"(?P<pre>(?:大约|约|近|超过|逾))?"
    r"(?:(?P<arabic>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<mult>[万亿]|千万)?"
    rf"|(?P<cn>[一二三四五六七八九两十][{_CN}]*|(?<=[近约逾])[百千万][{_CN}]*))"
    r"(?P<more>余|多)?"
    rf"(?P<unit>{'|'.join(map(re.escape, _UNITS))})"
    r"(?P<post>左右)?"
)
# A quantity ends a clause here; items and contexts never cross these.
_CLAUSE_END = set("，。；：！？,;:!?\n\r（）()【】[]《》")
_ITEM_STOP = re.compile(
    r"[，。；：！？,;:!?、\s（）()【】《》/]|的|全部|均|已|并|实施|进行|予以|被|达到|完成|开展|得到|和|与|及|等|共|"
    r"其中|在|为|是|都|给予|依法|整改|列入|纳入|充分|发挥|全面|基本|顺利|按时|按期|陆续|逐步|相继|分别|达标"
)
_PLAN_WORDS = ("任务", "工作组", "督导组", "专班", "小组", "目标", "措施", "意见", "方面", "制度", "机制", "会议",
               "活动", "体系", "网络", "原则", "环节", "清单", "台账", "名单")
_ORG_SUFFIXES = ("组", "委", "办", "部", "局", "会", "队")
_DONE_VERBS = ("完成", "销号", "办结", "整改到位", "落实到位", "验收")
# Verbs of work: the thing counted follows them (清运垃圾 → 垃圾), and some are countable by themselves
# (销号13项, 出动500人次).
_WORK_VERBS = ("清理", "清运", "清除", "清扫", "清洗", "拆除", "取缔", "关停", "关闭", "封停", "整治", "整改", "查处",
               "处罚", "下达", "发放", "张贴", "出动", "投入", "覆盖", "苫盖", "硬化", "绿化", "冲洗", "洒水",
               "检查", "巡查", "排查", "督查", "暗访", "夜查", "约谈", "问责", "立案", "销号", "交办", "治理",
               "收缴", "没收", "暂扣", "劝导", "纠正", "规范", "完成", "办结", "安装", "更换", "新增", "种植",
               "栽植", "修复", "铺设", "处置", "回收", "签订", "限定", "发现", "受理", "办理", "核查", "封堵",
               "配备", "建成", "改造", "疏导", "劝离", "捣毁", "查扣")
_MODIFIERS = {"整改", "整治", "治理", "规范", "处置", "交办"}
_COUNTABLE_VERBS = {"销号", "检查", "巡查", "排查", "督查", "暗访", "夜查", "约谈", "问责", "立案", "交办", "查处",
                    "处罚", "办结", "受理", "办理", "核查", "劝导", "纠正", "整改", "出动", "投入"}
_LEAD_WORDS = re.compile(r"^(?:截至目前|截至|目前|今年以来|自.*以来|累计|共计|合计|总计|共|其中|全区|全市|全县|"
                         r"该区|该县|该镇|该街道|我区|我县|另|还|并|已经|已|先后|又|再|现场|集中)+")
_TRAIL_WORDS = re.compile(r"(?:达到|达|为|了|共计|共|计|约|近|超过|逾|大约)+$")
_QUOTES = str.maketrans("", "", "“”\"'「」『』‘’")


def _value(m: re.Match) -> int | float:
    if m["arabic"]:
        number = float(m["arabic"].replace(",", ""))
        mult = {"万": 10_000, "亿": 100_000_000, "千万": 10_000_000}.get(m["mult"] or "", 1)
        number *= mult
    else:
        number = chinese_number(m["cn"])
    return int(number) if float(number).is_integer() else round(number, 6)


def _clause_start(text: str, pos: int, floor: int) -> int:
    i = pos
    while i > floor and text[i - 1] not in _CLAUSE_END:
        i -= 1
    return i


def _last_verb(segment: str) -> tuple[int, str] | None:
    """The last verb of work in the segment: the thing counted follows it. Verbs that also modify
    nouns (下达整改通知书, 完成整治任务) count only when no other verb of work comes before them."""
    best = modifier = None
    for verb in _WORK_VERBS:
        i = segment.rfind(verb)
        if i < 0:
            continue
        if verb in _MODIFIERS:
            if modifier is None or i + len(verb) > modifier[0] + len(modifier[1]):
                modifier = (i, verb)
        elif best is None or i + len(verb) > best[0] + len(best[1]):
            best = (i, verb)
    if modifier is not None and (best is None or modifier[0] > best[0] + len(best[1])):
        return modifier  # 检查工地后整改问题: the modifier starts a phrase of its own
    return best or modifier


def _item_after(text: str, pos: int) -> str:
    stop = _ITEM_STOP.search(text, pos)
    end = stop.start() if stop and stop.start() > pos else (stop.end() if stop else len(text))
    if stop and stop.start() == pos:
        return ""
    return text[pos:min(end, pos + 15)]


def _cut_at_plan_word(item: str) -> str:
    """攻坚专项督导组充分发挥 -> 攻坚专项督导组: a plan or body word ends the thing counted."""
    cuts = [item.find(w) + len(w) for w in (*_PLAN_WORDS, "组") if w in item]
    return item[:min(cuts)] if cuts else item


def _clean(item: str) -> str:
    item = item.translate(_QUOTES).strip(" 、")
    item = _LEAD_WORDS.sub("", item)
    return _TRAIL_WORDS.sub("", item).strip(" 、")


def _metric_for(item: str, unit: str, clause: str, catalogue: Iterable[Metric]) -> str | None:
    """The catalogue entry whose keyword found in the item is the longest (建筑垃圾 beats 垃圾),
    among those that take this unit and whose required verbs, if any, are in the clause."""
    best, best_len = None, 0
    for metric in catalogue:
        if unit not in metric.units:
            continue
        if metric.verbs and not any(v in clause for v in metric.verbs):
            continue
        longest = max((len(word) for word in metric.items if word in item), default=0)
        if longest > best_len:
            best, best_len = metric.code, longest
    return best


def _rejected_context(text: str, m: re.Match) -> bool:
    start, end = m.start(), m.end()
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    if before in "第〔[【" or (before.isascii() and (before.isalnum() or before in "-:/.#+")):
        return True  # an ordinal, a document number, part of a code, a date or a telephone number
    if (after.isascii() and (after.isalnum() or after in "-:/%+")) or after in "／％〕号":
        return True  # a rate (元/月), a code, or a number (12号)
    unit = m["unit"]
    if unit == "方" and after in "面式法向案位":
        return True  # 两方面, 一方式: not cubic metres
    if unit == "个" and text.startswith(("月", "小时", "星期", "工作日", "季度", "百分点"), end):
        return True
    if unit in ("米", "千米", "公里") and text.startswith(("处", "内", "范围", "以内", "宽", "高", "深"), end):
        return True  # a distance describing a place (500米范围内), not work done
    if m["cn"]:
        # 一项一项, 一微克一微克: a reduplication, not a count.
        if re.match(rf"[{_CN}]", after):
            return True
        if start >= 2 and text[start - 1] in m["unit"][-1] and re.match(rf"[{_CN}]", text[start - 2]):
            return True
    return False


def extract(text: str, catalogue: Iterable[Metric] = CATALOGUE) -> list[Figure]:
    """Every quantity of work in ``text``, in order of appearance."""
    catalogue = tuple(catalogue)
    figures: list[Figure] = []
    floor = 0  # items never reach back past the previous quantity
    for m in _NUMBER.finditer(text):
        if _rejected_context(text, m):
            continue
        unit = m["unit"]
        num_start = m.start("arabic") if m["arabic"] else m.start("cn")
        value = _value(m)
        clause_from = _clause_start(text, m.start(), 0)
        clause_to = m.end()
        while clause_to < len(text) and text[clause_to] not in _CLAUSE_END:
            clause_to += 1
        clause = text[clause_from:clause_to]
        before = text[max(_clause_start(text, m.start(), floor), m.start() - 20):m.start()]

        after_item = _item_after(text, m.end())
        span_start, span_end = m.start(), m.end()
        verb = _last_verb(before)
        work_in_clause = verb is not None or _last_verb(text[clause_from:m.start()]) is not None
        if after_item and not re.match(rf"[{_CN}\d]", after_item):
            item = _clean(_cut_at_plan_word(after_item))
            span_end = m.end() + len(after_item)
            if m["cn"] and value == 1:
                continue  # 一场攻坚战, 一件大事: the article, not a count
            if m["cn"] and not work_in_clause:
                continue  # 三间房, 五里堡: a place name, not work
        else:
            if after_item:
                continue  # a number right after the unit (落实“六个一”)
            if verb is not None:
                at, word = verb
                rest = _clean(before[at + len(word):])
                if rest:
                    item = rest
                elif word in _COUNTABLE_VERBS:
                    item = word + ("人员" if unit in _PEOPLE else "车辆" if unit in _VEHICLES else "")
                else:
                    continue
                span_start = m.start() - (len(before) - at)
            else:
                # 出动挖掘机一台、铲车两台: the verb is earlier in the clause, the thing right before.
                item = _clean(before)
                if not item or (m["cn"] and not work_in_clause):
                    continue  # no thing counted, or a Chinese numeral with no work in sight
                span_start = m.start() - len(before) + before.find(item[0])
        if not item:
            continue
        if any(item.endswith(w) for w in _PLAN_WORDS) or (len(item) > 1 and item.endswith(_ORG_SUFFIXES)):
            if not any(v in text[clause_from:m.start()] for v in _DONE_VERBS):
                continue  # the size of a plan or a body (5个专项工作组, 11项攻坚任务), not work done
        approx = bool(m["pre"] in ("约", "近", "大约") or m["more"] or m["post"])
        span_start = min(span_start, num_start if not m["pre"] else m.start())
        figures.append(Figure(item=item, value=value, unit=unit, approx=approx, text=text[span_start:span_end],
                              metric=_metric_for(item, unit, clause, catalogue), start=span_start, end=span_end))
        floor = m.end()
    return figures
