"""HJ 212-2017 (污染物在线监控(监测)系统数据传输标准): the text packets monitoring devices send.

Frame: ``##`` + LLLL + data segment + CCCC + ``\\r\\n``. LLLL is the byte length of the data segment
(0–1024), CCCC the CRC of the data segment (Appendix A), four hex digits, high byte first. The data
segment is ``QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&…&&``; CP items are ``key=value``
separated by ``;``, the values of one factor by ``,`` (``a34004-Avg=14,a34004-Flag=N``).

Pure Python, no Django. What is here:

* :func:`crc16` / :func:`crc_hex`: the CRC of Appendix A (check value: ``123456789`` → ``2F80``).
* :func:`decode`: one packet (bytes or str, with or without the CRLF) → :class:`Packet`, with
  ``ok``/``error`` and the typed fields, factor values with their flags and every unknown key kept.
  *Lenient* (the default, what a receiver uses) tolerates what real devices send: no QN or Flag,
  14-character or other MN forms, 17-digit DataTime, lower-case CRC, a wrong length field when the
  CRC is right, three-digit ST, vendor CN codes. *Strict* checks the 2017 text. Every rejection is a
  :class:`Rejection` with a reason code and a Chinese and English message.
* :func:`encode` / :func:`build`: the other way; :func:`reply` writes the 9014/9013 answers.
* :class:`Reassembler`: split packets (Flag bit D, PNUM/PNO) back into one.
* :class:`Reframer`: a TCP byte stream → frames, for split and merged reads and junk before
  ``##``, never holding more than one maximum frame between reads.

The CRC of Appendix A is not CRC-16/MODBUS: each byte step drops the register's low byte,
``register = T[(register >> 8) ^ b]``. Only the high byte ``h`` carries over, and it moves by a
linear map ``H`` over GF(2)^8 whose order is 8 (``H⁸ = I``). So ``h`` after n bytes is the XOR of
``H^k`` applied to the XOR of the bytes at distance ≡ k (mod 8) from the end: the bytes are folded
eight at a time with big-integer XOR (in C), then eight table look-ups finish it. The byte-wise
loop is kept as :func:`crc16_bytewise` and the tests check that both agree.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

__all__ = [
    "DATA_FLAGS", "MAX_DATA", "MAX_FRAME", "REASONS",
    "Packet", "Reassembler", "Reframer", "Rejection",
    "build", "crc16", "crc16_bytewise", "crc_hex", "decode", "encode", "frame", "frames", "join", "now_qn", "reply",
]

MAX_DATA = 1024                  # bytes in the data segment
MAX_FRAME = 2 + 4 + MAX_DATA + 4 + 2  # ## LLLL data CCCC CRLF = 1036

# Data flags (数据标记): only N is valid data for AQI; the flag always stays with its value.
DATA_FLAGS = {
    "N": "正常 / normal", "F": "停运 / stopped", "M": "维护 / maintenance", "S": "手工输入 / manual input",
    "D": "故障 / fault", "C": "校准 / calibration", "T": "超测上限 / over range", "B": "通讯异常 / communication",
}
# Sub-keys whose values are numbers; Flag-like ones stay text; SampleTime is a time; others: number if it
# looks like one, else text.
NUMERIC_SUBS = frozenset({"Rtd", "Avg", "Min", "Max", "Cou", "ZsRtd", "ZsAvg", "ZsMin", "ZsMax"})
TEXT_SUBS = frozenset({"Flag", "EFlag", "Info", "SN"})
HEADER_ORDER = ("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO")

REASONS: dict[str, tuple[str, str]] = {
    "no_header": ("包头不是“##”", "the packet does not start with ##"),
    "too_short": ("数据包过短，不完整", "the packet is too short to be complete"),
    "truncated": ("数据包不完整(下一个“##”前没有结尾)", "truncated packet (a new ## before its end)"),
    "oversize": ("超过 1036 字节仍无包尾，已丢弃", "no packet end within 1036 bytes, discarded"),
    "junk": ("“##”前的无效字节，已丢弃", "bytes before ##, discarded"),
    "too_long": ("数据段超过 1024 字节", "the data segment is longer than 1024 bytes"),
    "bad_length_field": ("长度字段不是 4 位数字", "the length field is not 4 decimal digits"),
    "length_mismatch": ("长度字段与数据段字节数不符", "the length field differs from the data segment's bytes"),
    "bad_crc_field": ("校验码不是 4 位十六进制数", "the CRC field is not 4 hex digits"),
    "crc_mismatch": ("CRC 校验不符", "CRC mismatch"),
    "bad_encoding": ("数据段不是 UTF-8 编码的文本", "the data segment is not UTF-8 text"),
    "missing_cp": ("缺少 CP=&&…&& 数据区", "no CP=&&…&& segment"),
    "bad_field": ("字段格式错误(应为 键=值)", "malformed field (expected key=value)"),
    "missing_field": ("缺少必需字段", "a required field is missing"),
    "bad_qn": ("QN 应为 17 位时间 YYYYMMDDhhmmsszzz", "QN must be a 17-digit time YYYYMMDDhhmmsszzz"),
    "bad_st": ("ST 系统编码应为 2 位数字", "ST must be 2 digits"),
    "bad_cn": ("CN 命令编码应为 4 位数字", "CN must be 4 digits"),
    "bad_mn": ("MN 应为 24 位十六进制字符", "MN must be 24 hex characters"),
    "bad_flag": ("Flag 标志应为 0–255 的整数", "Flag must be an integer 0-255"),
    "bad_packet_number": ("分包号 PNUM/PNO 错误", "bad split-packet numbers PNUM/PNO"),
    "bad_cp_item": ("CP 数据项格式错误(应为 键=值)", "malformed CP item (expected key=value)"),
    "bad_data_time": ("DataTime 应为 14 位时间 YYYYMMDDhhmmss", "DataTime must be a 14-digit time YYYYMMDDhhmmss"),
    "bad_value": ("监测值不是数字", "a measured value is not a number"),
    "bad_data_flag": ("数据标记不是 N/F/M/S/D/C/T/B 之一", "the data flag is not one of N F M S D C T B"),
    "duplicate_key": ("数据项重复", "a key appears twice"),
}


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a packet (or part of a stream) was rejected or warned about: a reason code from
    :data:`REASONS` and where (``detail``; ``detail_en`` when the detail has words): the field, the
    value, the byte count. ``raw`` keeps the first bytes of what a re-framer threw away."""

    code: str
    detail: str = ""
    detail_en: str = ""
    raw: bytes = b""

    @property
    def zh(self) -> str:
        return REASONS[self.code][0]

    @property
    def en(self) -> str:
        return REASONS[self.code][1]

    @property
    def message(self) -> str:
        if self.detail:
            return f"{self.zh}：{self.detail} / {self.en}: {self.detail_en or self.detail}"
        return f"{self.zh} / {self.en}"

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


# ----------------------------------------------------------------- CRC (Appendix A)


def _table() -> list[int]:
    table = []
    for x in range(256):
        r = x
        for _ in range(8):
            r = (r >> 1) ^ 0xA001 if r & 1 else r >> 1
        table.append(r)
    return table


_T = _table()
_H = [t >> 8 for t in _T]
# _HPOW[k][x] = H^k(x) for k = 0..7 (H^8 is the identity).
_HPOW = [list(range(256))]
for _k in range(1, 8):
    _HPOW.append([_H[v] for v in _HPOW[-1]])
assert [_H[v] for v in _HPOW[7]] == list(range(256)), "H has order 8"
# The first step's high byte (0xFF from the initial register) carried over n-1 steps.
_INIT = [_HPOW[k][0xFF] for k in range(8)]
# _Lr[x]: byte lane r (r bytes from the end of the prefix, mod 8) contributes H^(r+1).
_L0, _L1, _L2, _L3, _L4, _L5, _L6, _L7 = (_HPOW[(r + 1) % 8] for r in range(8))
# Halving folds from 2**20 bits down to 64: (width of the upper half, mask of the lower half).
_FOLDS = [(1 << k, (1 << (1 << k)) - 1) for k in range(19, 5, -1)]
_FOLD_LIMIT = 1 << 17  # bytes the folds reduce completely


def crc16_bytewise(data: bytes) -> int:
    """Appendix A as written: register 0xFFFF; per byte ``register = (register >> 8) ^ b`` then eight
    shifts with 0xA001 when the bit shifted out is 1; no final XOR."""
    register = 0xFFFF
    for b in data:
        register = (register >> 8) ^ b
        for _ in range(8):
            lsb = register & 1
            register >>= 1
            if lsb:
                register ^= 0xA001
    return register


def crc16(data: bytes) -> int:
    """The CRC of Appendix A, equal to :func:`crc16_bytewise` (see the module notes for how)."""
    n = len(data)
    if n == 0:
        return 0xFFFF
    m = n - 1
    if m > _FOLD_LIMIT:
        register = 0xFFFF
        for b in data:
            register = _T[(register >> 8) ^ b]
        return register
    h = _INIT[m & 7]
    if m:
        x = int.from_bytes(data[:m], "big")
        for bits, mask in _FOLDS:
            if m > bits >> 3:  # more than half a fold's width: fold it
                x = (x >> bits) ^ (x & mask)
        b0, b1, b2, b3, b4, b5, b6, b7 = x.to_bytes(8, "little")
        h ^= (_L0[b0] ^ _L1[b1] ^ _L2[b2] ^ _L3[b3] ^ _L4[b4] ^ _L5[b5] ^ _L6[b6] ^ _L7[b7])
    return _T[h ^ data[m]]


def crc_hex(data: bytes | str) -> str:
    """Four upper-case hex digits, high byte first, as written in the packet."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return f"{crc16(data):04X}"


# ----------------------------------------------------------------- packets


@dataclass(slots=True, eq=False)
class Packet:
    """One decoded packet. ``ok`` is False only for what a receiver must reject; ``error`` says why.
    ``warnings`` holds what lenient mode let through. Header fields stay text except ``flag``,
    ``pnum``, ``pno`` (ints); ``values`` maps factor code → sub-key → typed value
    (``{"a34004": {"Avg": 14, "Flag": "N"}}``); ``cp`` keeps the other CP items (``RtdInterval``,
    a bare ``Flag``, vendor keys) as text, ``extra`` the unknown header fields."""

    qn: str | None = None
    st: str | None = None
    cn: str | None = None
    pw: str | None = None
    mn: str | None = None
    flag: int | None = None
    pnum: int | None = None
    pno: int | None = None
    data_time: dt.datetime | None = None
    values: dict[str, dict[str, object]] = field(default_factory=dict)
    cp: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""
    crc_ok: bool = False
    length_ok: bool = False
    error: Rejection | None = None
    warnings: list[Rejection] = field(default_factory=list)
    parts: int = 1
    pieces: tuple[Packet, ...] = ()  # a joined split packet's parts, in PNO order

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def wants_ack(self) -> bool:
        """Flag bit A: the device wants a reply."""
        return bool(self.flag is not None and self.flag & 1)

    @property
    def is_split(self) -> bool:
        """Flag bit D: one part of a split packet (PNUM/PNO)."""
        return bool(self.flag is not None and self.flag & 2) or self.pnum is not None

    @property
    def version(self) -> int | None:
        """Flag bits V5..V0: 0 = 2005, 1 = 2017, 2 = 2025."""
        return None if self.flag is None else self.flag >> 2

    def same_content(self, other: Packet) -> bool:
        """The fields the packet carries (not how it was framed or judged)."""
        names = ("qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno", "data_time", "values", "cp", "extra")
        return all(getattr(self, n) == getattr(other, n) for n in names)

    def as_json(self) -> dict:
        """The object `gongjian hj212 decode` prints."""
        return {
            "ok": self.ok,
            "error": str(self.error) if self.error else None,
            "crc_ok": self.crc_ok,
            "length_ok": self.length_ok,
            "qn": self.qn, "st": self.st, "cn": self.cn, "pw": self.pw, "mn": self.mn,
            "flag": self.flag, "pnum": self.pnum, "pno": self.pno,
            "data_time": self.data_time.isoformat() if self.data_time else None,
            "values": {code: {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in subs.items()}
                       for code, subs in self.values.items()},
        }


_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DIGITS14 = re.compile(r"\d{14}(?:\d{3})?")
_HEX4 = re.compile(rb"[0-9A-Fa-f]{4}")
_MN_2017 = re.compile(r"[0-9A-F]{24}")


def _number(text: str):
    """int for an integer literal, float otherwise; None when it is not a plain finite number."""
    if text.isdigit():
        try:
            return int(text)
        except ValueError:  # non-ASCII digits
            return None
    if _NUMBER.fullmatch(text) is None:
        return None
    if "." not in text and "e" not in text and "E" not in text:
        return int(text)
    value = float(text)
    return value if math.isfinite(value) else None


def _time(text: str, strict: bool) -> dt.datetime | None:
    """YYYYMMDDhhmmss (and, leniently, YYYYMMDDhhmmsszzz with milliseconds) → datetime, else None."""
    if len(text) == 14 and text.isdigit() and text.isascii():
        pass
    elif not strict and _DIGITS14.fullmatch(text) and text.isascii():
        pass
    else:
        return None
    try:
        return dt.datetime(int(text[0:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]),
                           int(text[10:12]), int(text[12:14]), int(text[14:17] or 0) * 1000)
    except ValueError:
        return None


def decode(raw: bytes | str, *, strict: bool = False, aliases: Mapping[str, str] | None = None) -> Packet:
    """Decode one packet. Never raises on input: whatever is wrong ends up in ``error`` (the first
    fatal problem) or ``warnings`` (what lenient mode let through). ``aliases`` renames factor codes
    (a device's own names such as 2005-era ``PM25`` → ``a34004``)."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    p = Packet(raw=raw)
    frame = raw
    if frame.endswith(b"\n"):
        frame = frame[:-2] if frame.endswith(b"\r\n") else frame[:-1]
    elif frame.endswith(b"\r"):
        frame = frame[:-1]
    if not frame.startswith(b"##"):
        at = frame.find(b"##")
        if strict or at < 0:
            p.error = Rejection("no_header", repr(frame[:16])[2:-1])
            return p
        p.warnings.append(Rejection("junk", f"{at} 字节", f"{at} bytes"))
        frame = frame[at:]
    if len(frame) < 10:
        p.error = Rejection("too_short", f"{len(frame)} 字节", f"{len(frame)} bytes")
        return p
    data = frame[6:-4]
    length_text = frame[2:6]
    if len(data) > MAX_DATA:
        p.error = Rejection("too_long", f"{len(data)} 字节", f"{len(data)} bytes")
        return p
    if length_text.isdigit():
        p.length_ok = int(length_text) == len(data)
        if not p.length_ok:
            problem = Rejection("length_mismatch", f"LLLL={length_text.decode()}，实际 {len(data)} 字节",
                                f"LLLL={length_text.decode()}, actual {len(data)} bytes")
            if strict:
                p.error = problem
            else:
                p.warnings.append(problem)
    else:
        problem = Rejection("bad_length_field", repr(length_text)[2:-1])
        if strict:
            p.error = problem
        else:
            p.warnings.append(problem)
    crc_text = frame[-4:]
    if _HEX4.fullmatch(crc_text) is None:
        p.error = p.error or Rejection("bad_crc_field", repr(crc_text)[2:-1])
    else:
        p.crc_ok = int(crc_text, 16) == crc16(data)
        if not p.crc_ok:
            p.error = p.error or Rejection(
                "crc_mismatch", f"包中为 {crc_text.decode()}，应为 {crc16(data):04X}",
                f"packet says {crc_text.decode()}, computed {crc16(data):04X}")
        elif strict and not crc_text.isupper() and not crc_text.isdigit():
            p.error = p.error or Rejection("bad_crc_field", f"{crc_text.decode()} 应为大写",
                                             f"{crc_text.decode()} must be upper case")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if strict:
            p.error = p.error or Rejection("bad_encoding", f"第 {exc.start} 字节", f"byte {exc.start}")
            return p
        text = data.decode("gb18030", "replace")
        p.warnings.append(Rejection("bad_encoding", "已按 GB18030 读取", "read as GB18030"))
    _parse_segment(p, text, strict, aliases)
    return p


def _problem(p: Packet, strict: bool, fatal: bool, code: str, detail: str, detail_en: str = "") -> None:
    """Record a problem: fatal (or any in strict mode) sets ``error`` if none yet; else a warning."""
    if fatal or strict:
        if p.error is None:
            p.error = Rejection(code, detail, detail_en)
    else:
        p.warnings.append(Rejection(code, detail, detail_en))


def _parse_segment(p: Packet, text: str, strict: bool, aliases: Mapping[str, str] | None) -> None:
    if text.startswith("CP=&&"):
        head, body = "", text[5:]
    else:
        at = text.find(";CP=&&")
        if at < 0:
            _problem(p, strict, True, "missing_cp", text[-24:])
            head, body = text, None
        else:
            head, body = text[:at], text[at + 6:]
    fields: dict[str, str] = {}
    for item in head.split(";"):
        key, eq, value = item.partition("=")
        if not eq:
            if item:
                _problem(p, strict, False, "bad_field", item[:24])
            continue
        if key in fields:
            _problem(p, strict, False, "duplicate_key", key)
        fields[key] = value
    _header(p, fields, strict)
    if body is not None:
        if not body.endswith("&&"):
            _problem(p, strict, True, "missing_cp", "CP 未以 && 结束", "CP not closed with &&")
        else:
            _cp(p, body[:-2], strict, aliases)


def _header(p: Packet, fields: dict[str, str], strict: bool) -> None:
    get = fields.pop
    p.qn = get("QN", None)
    p.st = get("ST", None)
    p.cn = get("CN", None)
    p.pw = get("PW", None)
    p.mn = get("MN", None)
    flag = get("Flag", None)
    pnum = get("PNUM", None)
    pno = get("PNO", None)
    p.extra = fields
    for name, value in (("CN", p.cn), ("MN", p.mn)):
        if not value:
            _problem(p, strict, True, "missing_field", name)
    if strict:
        for name, value in (("QN", p.qn), ("ST", p.st), ("PW", p.pw), ("Flag", flag)):
            if value is None:
                _problem(p, strict, True, "missing_field", name)
        if p.qn is not None and (len(p.qn) != 17 or _time(p.qn[:14], True) is None or not p.qn.isdigit()):
            _problem(p, strict, True, "bad_qn", p.qn[:24])
        if p.st is not None and not (len(p.st) == 2 and p.st.isdigit() and p.st.isascii()):
            _problem(p, strict, True, "bad_st", p.st[:8])
        if p.cn and not (len(p.cn) == 4 and p.cn.isdigit() and p.cn.isascii()):
            _problem(p, strict, True, "bad_cn", p.cn[:8])
        if p.mn and _MN_2017.fullmatch(p.mn) is None:
            _problem(p, strict, True, "bad_mn", p.mn[:32])
    if flag is not None:
        if flag.isdigit() and flag.isascii() and int(flag) <= 255:
            p.flag = int(flag)
        else:
            _problem(p, strict, False, "bad_flag", flag[:8])
    if pnum is not None or pno is not None:
        ok = (pnum is not None and pno is not None and len(pnum) == 4 and len(pno) == 4
              and pnum.isdigit() and pno.isdigit() and pnum.isascii() and pno.isascii()
              and 1 <= int(pno) <= int(pnum))
        if ok:
            p.pnum, p.pno = int(pnum), int(pno)
        else:
            _problem(p, strict, True, "bad_packet_number", f"PNUM={pnum} PNO={pno}")
        if strict and p.flag is not None and not p.flag & 2:
            _problem(p, strict, True, "bad_packet_number", "有 PNUM/PNO 但 Flag 的 D 位为 0",
                     "PNUM/PNO without Flag bit D")
    elif p.flag is not None and p.flag & 2:
        _problem(p, strict, False, "bad_packet_number", "Flag 的 D 位为 1 但无 PNUM/PNO",
                 "Flag bit D without PNUM/PNO")


# Every byte but the separators: what is left of a CP body alternates = and ; or , exactly when every
# item is key=value with one =.
_NOT_SEPARATORS = bytes(c for c in range(256) if c not in b";,=")


def _key_kind(key: str) -> tuple[str, str, int]:
    """(code, sub-key, kind) of a CP key: kind 0 a factor's value (number or other), 1 a factor's text
    sub-key (Flag …), 2 anything the fast path leaves to the general one (plain items, SampleTime)."""
    code, _, sub = key.rpartition("-")
    code = sys.intern(code)
    if not code:
        info = ("", key, 2)
    elif sub in TEXT_SUBS:
        info = (code, sub, 1)
    elif sub == "SampleTime":
        info = (code, sub, 2)
    else:
        info = (code, sub, 0)
    if len(_KEY_KINDS) < 20_000:  # devices use a few hundred keys; a flood of new ones is not cached
        _KEY_KINDS[key] = info
    return info


_KEY_KINDS: dict[str, tuple[str, str, int]] = {}


def _cp(p: Packet, body: str, strict: bool, aliases: Mapping[str, str] | None) -> None:
    """The CP items into ``values``/``cp``/``data_time``. The common case (every item ``key=value``,
    no repeated key, DataTime valid, numbers where numbers belong) goes through a check of its
    separators, C splits and a tight loop; anything else falls back to :func:`_cp_general`, which says what is
    wrong. Both give the same result for what the fast path accepts (a test checks)."""
    if not body:
        return
    if strict or aliases or not body.isascii():
        _cp_general(p, body, strict, aliases)
        return
    skeleton = body.encode().translate(None, _NOT_SEPARATORS)
    if not len(skeleton) & 1 or skeleton[0::2].strip(b"=") or skeleton[1::2].strip(b";,"):
        _cp_general(p, body, strict, aliases)
        return
    parts = body.replace(",", "=").replace(";", "=").split("=")
    values: dict[str, dict[str, object]] = {}
    cp: dict[str, str] = {}
    data_time = None
    kinds = _KEY_KINDS
    plain = times = 0
    texts: list[str] = []  # the non-integer number texts, checked together at the end
    last = subs = None
    try:
        for key, value in zip(parts[0::2], parts[1::2], strict=True):
            code, sub, kind = kinds.get(key) or _key_kind(key)
            if kind == 2:
                if key == "DataTime":
                    data_time = _time(value, False)
                    if data_time is None:
                        raise ValueError
                    times += 1
                elif code:  # SampleTime
                    raise ValueError
                else:
                    cp[key] = value
                    plain += 1
                continue
            if code is not last:  # codes are interned: a factor's items usually come together
                last = code
                subs = values.get(code)
                if subs is None:
                    subs = values[code] = {}
            if kind:
                subs[sub] = value
            elif value.isdigit():
                subs[sub] = int(value)
            else:
                texts.append(value)
                subs[sub] = float(value) if "." in value else int(value)
    except ValueError:
        _cp_general(p, body, strict, aliases)
        return
    if texts:
        joined = "".join(texts)
        # float() also takes "nan", "1_0", " 1", "1e999": only plain decimals stay on this path
        if joined.strip("0123456789.+-") or "e" in joined or "E" in joined:
            _cp_general(p, body, strict, aliases)
            return
    # a repeated key overwrote an earlier one: the general path reports it
    if len(cp) != plain or sum(map(len, values.values())) != len(parts) // 2 - plain - times:
        _cp_general(p, body, strict, aliases)
        return
    p.values = values
    p.cp = cp
    p.data_time = data_time


def _cp_general(p: Packet, body: str, strict: bool, aliases: Mapping[str, str] | None) -> None:
    values = p.values
    cp = p.cp
    for group in body.split(";"):
        for item in group.split(","):
            key, eq, value = item.partition("=")
            if not eq:
                if item:
                    _problem(p, strict, False, "bad_cp_item", item[:24])
                continue
            code, dash, sub = key.rpartition("-")
            if not dash or not code:
                if key == "DataTime":
                    when = _time(value, strict)
                    if when is not None:
                        p.data_time = when
                        continue
                    _problem(p, strict, False, "bad_data_time", value[:24])
                if key in cp:
                    _problem(p, strict, False, "duplicate_key", key)
                cp[key] = value
                continue
            if aliases:
                code = aliases.get(code, code)
            subs = values.get(code)
            if subs is None:
                subs = values[code] = {}
            elif sub in subs:
                _problem(p, strict, False, "duplicate_key", key)
            if sub in TEXT_SUBS:
                if sub == "Flag" and strict and value not in DATA_FLAGS:
                    _problem(p, strict, True, "bad_data_flag", f"{key}={value[:8]}")
                subs[sub] = value
                continue
            if sub == "SampleTime":
                when = _time(value, strict)
                if when is None:
                    _problem(p, strict, False, "bad_data_time", f"{key}={value[:24]}")
                    subs[sub] = value
                else:
                    subs[sub] = when
                continue
            number = _number(value)
            if number is None:
                if sub in NUMERIC_SUBS:
                    _problem(p, strict, False, "bad_value", f"{key}={value[:24]}")
                subs[sub] = value
            else:
                subs[sub] = number


# ----------------------------------------------------------------- encoding


def _text(value) -> str:
    if isinstance(value, bool):
        raise TypeError("a measured value cannot be a bool")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value}")
        return repr(value)
    if isinstance(value, dt.datetime):
        return _time_text(value)
    return str(value)


def _time_text(when: dt.datetime) -> str:
    text = when.strftime("%Y%m%d%H%M%S")
    if when.microsecond:
        text += f"{when.microsecond // 1000:03d}"
    return text


def frame(data: str | bytes) -> bytes:
    """Wrap a data segment: ``##`` + length + data + CRC + CRLF."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_DATA:
        raise ValueError(f"data segment of {len(data)} bytes exceeds {MAX_DATA}")
    return b"##%04d%s%04X\r\n" % (len(data), data, crc16(data))


def encode(p: Packet) -> bytes:
    """The packet as bytes on the wire (header fields in the standard's order, unknown ones after
    them, then CP: DataTime, the other CP items, then each factor's sub-values joined by commas)."""
    head = []
    for name, value in (("QN", p.qn), ("ST", p.st), ("CN", p.cn), ("PW", p.pw), ("MN", p.mn),
                        ("Flag", p.flag)):
        if value is not None:
            head.append(f"{name}={value}")
    if p.pnum is not None:
        head.append(f"PNUM={p.pnum:04d}")
    if p.pno is not None:
        head.append(f"PNO={p.pno:04d}")
    head.extend(f"{k}={v}" for k, v in p.extra.items())
    items = []
    if p.data_time is not None:
        items.append(f"DataTime={_time_text(p.data_time)}")
    items.extend(f"{k}={v}" for k, v in p.cp.items())
    items.extend(",".join(f"{code}-{sub}={_text(v)}" for sub, v in subs.items())
                 for code, subs in p.values.items() if subs)
    head.append(f"CP=&&{';'.join(items)}&&")
    return frame(";".join(head))


def build(*, cn: str, mn: str, st: str = "22", pw: str = "123456", qn: str | None = None,
          flag: int | None = 4, data_time: dt.datetime | None = None,
          values: Mapping[str, Mapping[str, object]] | None = None, cp: Mapping[str, str] | None = None,
          pnum: int | None = None, pno: int | None = None) -> bytes:
    """Write a packet from its parts (a device simulator, the replies, the tests)."""
    return encode(Packet(qn=qn, st=st, cn=cn, pw=pw, mn=mn, flag=flag, pnum=pnum, pno=pno, data_time=data_time,
                         values={k: dict(v) for k, v in (values or {}).items()}, cp=dict(cp or {})))


def reply(p: Packet, cn: str = "9014") -> bytes:
    """The platform's answer to ``p``: 9014 (data ack) or 9013 (notice ack, the answer to 1013) with
    ST=91, Flag=4, the same QN, PW and MN, and an empty CP. (What ``encode`` writes for that packet,
    without building one: the gateway sends one per stored packet.)"""
    head = [f"QN={p.qn}"] if p.qn is not None else []
    head.append(f"ST=91;CN={cn}")
    if p.pw is not None:
        head.append(f"PW={p.pw}")
    if p.mn is not None:
        head.append(f"MN={p.mn}")
    head.append("Flag=4;CP=&&&&")
    return frame(";".join(head))


def now_qn(when: dt.datetime) -> str:
    """A QN for a packet the platform sends: YYYYMMDDhhmmsszzz."""
    return when.strftime("%Y%m%d%H%M%S") + f"{when.microsecond // 1000:03d}"


# ----------------------------------------------------------------- split packets


class Reassembler:
    """Joins split packets (Flag bit D, PNUM/PNO) from one device into one :class:`Packet`.

    ``add(packet)`` returns the packet itself when it is not split, the joined packet when its last
    part arrives, else None. Parts are grouped by MN, CN and PNUM; PNO 1 starts a group afresh; a part
    that repeats an already held PNO replaces it (a retransmit). At most ``max_groups`` groups wait;
    beyond that the oldest is dropped (``dropped`` counts them)."""

    def __init__(self, max_groups: int = 64):
        self.max_groups = max_groups
        self._groups: dict[tuple, dict[int, Packet]] = {}
        self.dropped = 0

    def add(self, p: Packet) -> Packet | None:
        if not p.ok or p.pnum is None or p.pno is None:
            return p
        key = (p.mn, p.cn, p.pnum)
        parts = self._groups.get(key)
        if parts is None or p.pno == 1:
            if parts is not None:
                self.dropped += 1
            self._groups.pop(key, None)
            parts = self._groups[key] = {}
            while len(self._groups) > self.max_groups:
                self._groups.pop(next(iter(self._groups)))
                self.dropped += 1
        parts[p.pno] = p
        if len(parts) < p.pnum:
            return None
        del self._groups[key]
        return join(parts[i] for i in range(1, p.pnum + 1))

    @property
    def waiting(self) -> int:
        return len(self._groups)


def join(parts: Iterable[Packet]) -> Packet:
    """One packet from the parts of a split packet, in PNO order: the first part's header (without
    PNUM/PNO), the first DataTime, the values and CP items of all parts."""
    parts = list(parts)
    first = parts[0]
    p = Packet(qn=first.qn, st=first.st, cn=first.cn, pw=first.pw, mn=first.mn, flag=first.flag,
               extra=dict(first.extra), raw=b"".join(x.raw for x in parts), crc_ok=all(x.crc_ok for x in parts),
               length_ok=all(x.length_ok for x in parts), parts=len(parts), pieces=tuple(parts))
    for part in parts:
        p.data_time = p.data_time or part.data_time
        for code, subs in part.values.items():
            p.values.setdefault(code, {}).update(subs)
        p.cp.update(part.cp)
        p.warnings.extend(part.warnings)
    return p


# ----------------------------------------------------------------- stream re-framing


class Reframer:
    """Cuts a TCP byte stream into frames. ``feed(data)`` returns, in stream order, each complete
    frame (bytes from ``##`` to the CRC, without CRLF) and a :class:`Rejection` for what it threw
    away: ``junk`` before ``##``, a ``truncated`` packet cut off by the next ``##``, ``oversize``
    when 1036 bytes pass without a packet end. Between calls it holds at most one maximum frame.

    A frame ends at the length field's promise when CRLF stands there, else at the first CRLF
    (a wrong length field with a correct CRC is common; the CRC decides later). A ``##`` inside
    always starts a new frame (the receiver resynchronises on it)."""

    def __init__(self, max_frame: int = MAX_FRAME):
        self.max_frame = max_frame
        self._buf = b""

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes | Rejection]:
        buf = self._buf + data if self._buf else bytes(data)
        out: list[bytes | Rejection] = []
        pos = 0
        n = len(buf)
        while pos < n:
            start = buf.find(b"##", pos)
            if start < 0:
                keep = n - 1 if buf.endswith(b"#") else n
                if keep > pos:
                    out.append(Rejection("junk", f"{keep - pos} 字节", f"{keep - pos} bytes", buf[pos:keep][:64]))
                pos = keep
                break
            while start + 2 < n and buf[start + 2] == 0x23:  # "###0101…": the header is the last ##
                start += 1
            if start + 2 >= n:  # "##" at the very end: another # may follow
                if start > pos:
                    out.append(Rejection("junk", f"{start - pos} 字节", f"{start - pos} bytes", buf[pos:start][:64]))
                pos = start
                break
            if start > pos:
                out.append(Rejection("junk", f"{start - pos} 字节", f"{start - pos} bytes", buf[pos:start][:64]))
                pos = start
            # the length field's promise
            length = buf[pos + 2:pos + 6]
            if len(length) == 4 and length.isdigit():
                end = pos + 10 + int(length)
                if buf[end:end + 2] == b"\r\n" and buf.find(b"##", pos + 2, end) < 0:
                    out.append(buf[pos:end])
                    pos = end + 2
                    continue
            crlf = buf.find(b"\r\n", pos + 2)
            limit = pos + self.max_frame
            if crlf < 0 or crlf + 2 > limit:
                inner = buf.find(b"##", pos + 2, min(n, limit))
                if inner >= 0 and (crlf < 0 or inner < crlf):
                    out.append(Rejection("truncated", f"{inner - pos} 字节", f"{inner - pos} bytes", buf[pos:inner][:64]))
                    pos = inner
                    continue
                if n - pos >= self.max_frame:
                    out.append(Rejection("oversize", f"{self.max_frame} 字节", f"{self.max_frame} bytes", buf[pos:pos + 64]))
                    pos += 2  # resynchronise on the next ##
                    continue
                break  # wait for more
            inner = buf.find(b"##", pos + 2, crlf)
            if inner >= 0:
                out.append(Rejection("truncated", f"{inner - pos} 字节", f"{inner - pos} bytes", buf[pos:inner][:64]))
                pos = inner
                continue
            out.append(buf[pos:crlf])
            pos = crlf + 2
        self._buf = buf[pos:]
        return out


def frames(chunks: Iterable[bytes]) -> Iterator[bytes | Rejection]:
    """Re-frame an iterable of reads."""
    reframer = Reframer()
    for chunk in chunks:
        yield from reframer.feed(chunk)
