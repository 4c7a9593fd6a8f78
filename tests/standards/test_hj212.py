"""HJ 212-2017 codec (standards/hj212.py), with vectors from the digest (shared/standards/hj212.md).

Hand-worked CRC vectors (Appendix A: register 0xFFFF; per byte register = (register >> 8) ^ b, then 8
shifts with 0xA001): the 9 bytes ``123456789`` give 2F80 (the digest's check value; MODBUS gives 4B37);
no bytes leave the register at FFFF; the byte 0xFF gives (0xFF ^ 0xFF) = 0 whose 8 shifts stay 0, so 0000;
the byte 0x00 gives 0xFF, whose 8 shifts (each shifting out a 1 until the register's own 0xA001s) are the
reflected table's T[0xFF] = 4040.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongjian.standards import hj212
from gongjian.standards.hj212 import Packet, Reassembler, Reframer, Rejection, decode, encode, frame

EX1 = (b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
       b"CP=&&RtdInterval=30&&1C80\r\n")
EX2 = (b"##0411QN=20220513162608370;ST=22;CN=2051;PW=123456;MN=JLYP01_AIR01_0001;Flag=4;CP=&&"
       b"DataTime=20220513162600;a21004-Avg=4,a21004-Flag=N;a05024-Avg=63,a05024-Flag=N;a21026-Avg=6,"
       b"a21026-Flag=N;a21005-Avg=0.427,a21005-Flag=N;a34004-Avg=14,a34004-Flag=N;a34002-Avg=31,"
       b"a34002-Flag=N;a01007-Avg=1,a01007-Flag=N;a01008-Avg=11,a01008-Flag=N;a01001-Avg=17,a01001-Flag=N;"
       b"a01002-Avg=85,a01002-Flag=N;a01006-Avg=95,a01006-Flag=N&&D641\r\n")
MN = "010000A8900016F000169DC0"
HEAD = f"QN=20260601080000123;ST=39;CN=2051;PW=123456;MN={MN};Flag=5"


def pkt(data: str) -> bytes:
    """A well-framed packet around ``data`` (length and CRC right)."""
    return frame(data)


# ----------------------------------------------------------------- CRC


def test_crc_check_value_is_2f80_not_modbus():
    assert hj212.crc16(b"123456789") == 0x2F80
    assert hj212.crc16_bytewise(b"123456789") == 0x2F80
    assert hj212.crc_hex("123456789") == "2F80"
    assert hj212.crc16(b"123456789") != 0x4B37  # CRC-16/MODBUS


@pytest.mark.parametrize(("data", "expected"), [(b"", 0xFFFF), (b"\xff", 0x0000), (b"\x00", 0x4040)])
def test_crc_hand_worked_edges(data, expected):
    assert hj212.crc16(data) == expected
    assert hj212.crc16_bytewise(data) == expected


def test_crc_of_the_digest_examples():
    assert hj212.crc_hex(EX1[6:-6]) == "1C80"
    assert hj212.crc_hex(EX2[6:-6]) == "D641"


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=3000))
def test_fast_crc_equals_appendix_a_loop(data):
    assert hj212.crc16(data) == hj212.crc16_bytewise(data)


def test_crc_counts_utf8_bytes_of_chinese_text():
    assert hj212.crc_hex("扬尘") == hj212.crc_hex("扬尘".encode()) == f"{hj212.crc16_bytewise('扬尘'.encode()):04X}"


# ----------------------------------------------------------------- the digest's examples


def test_decode_standard_example():
    p = decode(EX1)
    assert p.ok and p.crc_ok and p.length_ok and p.warnings == []
    assert (p.qn, p.st, p.cn, p.pw, p.mn, p.flag) == ("20160801085857223", "32", "1062", "100000", MN, 5)
    assert p.wants_ack and not p.is_split and p.version == 1
    assert p.cp == {"RtdInterval": "30"}
    assert p.values == {} and p.data_time is None


def test_decode_minute_data_example():
    p = decode(EX2)
    assert p.ok and p.crc_ok and p.length_ok
    assert p.cn == "2051" and p.st == "22" and p.mn == "JLYP01_AIR01_0001" and p.flag == 4
    assert not p.wants_ack
    assert p.data_time == dt.datetime(2022, 5, 13, 16, 26, 0)
    assert len(p.values) == 11
    assert p.values["a21005"] == {"Avg": 0.427, "Flag": "N"}
    assert p.values["a34004"] == {"Avg": 14, "Flag": "N"}
    assert p.values["a05024"] == {"Avg": 63, "Flag": "N"}
    assert p.as_json()["data_time"] == "2022-05-13T16:26:00"


def test_examples_encode_back_to_the_same_bytes():
    assert encode(decode(EX1)) == EX1
    assert encode(decode(EX2)) == EX2


def test_decode_accepts_str_and_no_crlf():
    assert decode(EX1.decode().rstrip("\r\n")).ok
    assert decode(EX1[:-1]).ok  # a lone CR left over


def test_strict_mode_accepts_the_standard_example_and_rejects_the_non_2017_mn():
    assert decode(EX1, strict=True).ok
    p = decode(EX2, strict=True)
    assert not p.ok and p.error.code == "bad_mn"
    assert "JLYP01_AIR01_0001" in p.error.message


# ----------------------------------------------------------------- what real devices send


def test_2005_era_packet_is_tolerated_in_lenient_mode():
    data = ("ST=39;CN=2011;PW=123456;MN=88888880000001;CP=&&DataTime=20160801085857123;"
            "PM25-Rtd=35.2,PM25-Flag=N;B03-Rtd=56.1,B03-Flag=N&&")
    raw = b"##%04d%s%s\r\n" % (len(data), data.encode(), hj212.crc_hex(data).lower().encode())
    assert raw.startswith(b"##0125") and raw.endswith(b"48c0\r\n")
    assert hj212.crc16_bytewise(data.encode()) == 0x48C0
    p = decode(raw, aliases={"PM25": "a34004", "B03": "LA"})
    assert p.ok, p.error
    assert p.qn is None and p.flag is None and p.mn == "88888880000001"
    assert p.data_time == dt.datetime(2016, 8, 1, 8, 58, 57, 123000)
    assert p.values == {"a34004": {"Rtd": 35.2, "Flag": "N"}, "LA": {"Rtd": 56.1, "Flag": "N"}}
    strict = decode(raw, strict=True)
    assert not strict.ok
    assert strict.error.code == "bad_crc_field"  # lower-case CRC is the first thing strict mode refuses


def test_without_aliases_the_device_names_are_kept():
    p = decode(pkt(f"{HEAD};CP=&&PM25-Rtd=35&&"))
    assert p.values == {"PM25": {"Rtd": 35}}


def test_wrong_length_field_with_correct_crc_is_accepted_leniently():
    raw = b"##0102" + EX1[6:]
    p = decode(raw)
    assert p.ok and p.crc_ok and not p.length_ok
    assert [w.code for w in p.warnings] == ["length_mismatch"]
    s = decode(raw, strict=True)
    assert s.error.code == "length_mismatch" and "0102" in s.error.message and "101" in s.error.message


def test_correct_length_with_wrong_crc_is_rejected():
    p = decode(EX1.replace(b"1C80", b"1C81"))
    assert not p.ok and p.length_ok and not p.crc_ok
    assert p.error.code == "crc_mismatch"
    assert "1C81" in p.error.message and "1C80" in p.error.message
    assert p.mn == MN  # parsed anyway so the operator's log can say which device


def test_bare_flag_vendor_command_and_three_digit_st_pass_leniently():
    p = decode(pkt("ST=391;CN=8013;PW=1;MN=ABC;Flag=4;CP=&&Flag=N;DataTime=20260601080000&&"))
    assert p.ok, p.error
    assert p.st == "391" and p.cn == "8013" and p.cp == {"Flag": "N"}
    assert decode(pkt(f"ST=391;CN=8013;PW=1;MN={MN};Flag=4;QN=20260601080000123;CP=&&&&"),
                  strict=True).error.code == "bad_st"


def test_unknown_keys_are_kept_in_header_cp_and_sub_keys():
    p = decode(pkt(f"{HEAD};Vendor=X1;CP=&&DataTime=20260601080000;PolId=a34004;"
                   f"a34004-Rtd=35.2,a34004-Flag=N,a34004-Wibble=abc,a34004-ZsRtd=40,"
                   f"a34004-SampleTime=20260601075959&&"))
    assert p.ok, p.error
    assert p.extra == {"Vendor": "X1"}
    assert p.cp == {"PolId": "a34004"}
    assert p.values["a34004"] == {"Rtd": 35.2, "Flag": "N", "Wibble": "abc", "ZsRtd": 40,
                                  "SampleTime": dt.datetime(2026, 6, 1, 7, 59, 59)}
    assert p.as_json()["values"]["a34004"]["SampleTime"] == "2026-06-01T07:59:59"
    assert encode(decode(encode(p))).startswith(b"##")
    assert decode(encode(p)).same_content(p)


def test_data_flags_stay_with_their_values():
    p = decode(pkt(f"{HEAD};CP=&&DataTime=20260601080000;a34004-Avg=999,a34004-Flag=T;a34002-Avg=80,"
                   f"a34002-Flag=D&&"))
    assert p.values["a34004"] == {"Avg": 999, "Flag": "T"}
    assert p.values["a34002"] == {"Avg": 80, "Flag": "D"}


def test_chinese_text_counts_bytes_in_the_length():
    data = f"{HEAD};CP=&&DataTime=20260601080000;Info=工地东门扬尘监测点&&"
    raw = pkt(data)
    assert raw[2:6] == b"%04d" % len(data.encode())
    assert len(data.encode()) > len(data)
    p = decode(raw)
    assert p.ok and p.length_ok and p.cp["Info"] == "工地东门扬尘监测点"


def test_lenient_keeps_a_non_number_with_a_warning_strict_rejects_it():
    raw = pkt(f"{HEAD};CP=&&DataTime=20260601080000;a34004-Avg=--,a34004-Flag=D&&")
    p = decode(raw)
    assert p.ok and p.values["a34004"]["Avg"] == "--"
    assert [w.code for w in p.warnings] == ["bad_value"]
    assert decode(raw, strict=True).error.code == "bad_value"


@pytest.mark.parametrize("text", ["nan", "inf", "1_0", " 1", "1e999", "0x10", "1.2.3", "²"])
def test_odd_number_texts_never_become_numbers(text):
    p = decode(pkt(f"{HEAD};CP=&&a34004-Avg={text}&&"))
    assert p.values["a34004"]["Avg"] == text


@pytest.mark.parametrize(("text", "value"), [("-3", -3), ("+2.5", 2.5), ("1e3", 1000.0), (".5", 0.5),
                                             ("5.", 5.0), ("007", 7), ("1e-400", 0.0)])
def test_number_texts(text, value):
    got = decode(pkt(f"{HEAD};CP=&&a34004-Avg={text}&&")).values["a34004"]["Avg"]
    assert got == value and type(got) is type(value)


# ----------------------------------------------------------------- every rejection reason

REJECTIONS = [
    # (raw, strict, code)
    (b"QN=1;ST=22;CN=2051&&1234", False, "no_header"),
    (b"xx" + EX1, True, "no_header"),
    (b"##01", False, "too_short"),
    (b"##9999" + b"QN=1;" * 210 + b"1234", False, "too_long"),
    (b"##01a1" + EX1[6:], True, "bad_length_field"),
    (b"##0101" + EX1[6:-6] + b"1C8G\r\n", False, "bad_crc_field"),
    (EX1.replace(b"1C80", b"1c80"), True, "bad_crc_field"),
    (EX1.replace(b"1C80", b"1C81"), False, "crc_mismatch"),
    (b"##0102" + EX1[6:], True, "length_mismatch"),
    (frame(f"{HEAD};CP=&&Info=".encode() + b"\xff\xfe&&"), True, "bad_encoding"),
    (pkt(f"{HEAD};XP=&&&&"), False, "missing_cp"),
    (pkt(f"{HEAD};CP=&&a=1"), False, "missing_cp"),
    (pkt(f"{HEAD};junk;CP=&&&&"), True, "bad_field"),
    (pkt(f"QN=20260601080000123;ST=39;PW=1;MN={MN};Flag=5;CP=&&&&"), False, "missing_field"),
    (pkt("QN=20260601080000123;ST=39;CN=2051;PW=1;Flag=5;CP=&&&&"), False, "missing_field"),
    (pkt(f"ST=39;CN=2051;PW=1;MN={MN};Flag=5;CP=&&&&"), True, "missing_field"),
    (pkt(f"QN=20261301080000123;ST=39;CN=2051;PW=1;MN={MN};Flag=5;CP=&&&&"), True, "bad_qn"),
    (pkt(f"QN=20260601080000123;ST=3;CN=2051;PW=1;MN={MN};Flag=5;CP=&&&&"), True, "bad_st"),
    (pkt(f"QN=20260601080000123;ST=39;CN=205;PW=1;MN={MN};Flag=5;CP=&&&&"), True, "bad_cn"),
    (pkt("QN=20260601080000123;ST=39;CN=2051;PW=1;MN=88888880000001;Flag=5;CP=&&&&"), True, "bad_mn"),
    (pkt(f"QN=20260601080000123;ST=39;CN=2051;PW=1;MN={MN};Flag=N;CP=&&&&"), True, "bad_flag"),
    (pkt(f"{HEAD};PNUM=0002;PNO=0003;CP=&&&&"), False, "bad_packet_number"),
    (pkt(f"{HEAD};PNUM=2;PNO=1;CP=&&&&"), False, "bad_packet_number"),
    (pkt(f"{HEAD};PNUM=0002;PNO=0001;CP=&&&&"), True, "bad_packet_number"),  # Flag=5 has no D bit
    (pkt(f"{HEAD};CP=&&a34004-Avg=1,junk&&"), True, "bad_cp_item"),
    (pkt(f"{HEAD};CP=&&DataTime=2026060108&&"), True, "bad_data_time"),
    (pkt(f"{HEAD};CP=&&DataTime=20260601080000123&&"), True, "bad_data_time"),  # 17 digits: lenient only
    (pkt(f"{HEAD};CP=&&a34004-Avg=x&&"), True, "bad_value"),
    (pkt(f"{HEAD};CP=&&a34004-Avg=1,a34004-Flag=X&&"), True, "bad_data_flag"),
    (pkt(f"{HEAD};CP=&&a34004-Avg=1,a34004-Avg=2&&"), True, "duplicate_key"),
]


@pytest.mark.parametrize(("raw", "strict", "code"), REJECTIONS)
def test_each_rejection_reason(raw, strict, code):
    p = decode(raw, strict=strict)
    assert not p.ok
    assert p.error.code == code, p.error
    zh, en = hj212.REASONS[code]
    assert p.error.message.startswith(zh) and en in p.error.message
    assert p.as_json()["ok"] is False and p.as_json()["error"].startswith(code)


def test_every_reason_code_is_reachable():
    from_decode = {code for _raw, _strict, code in REJECTIONS}
    from_stream = {"junk", "truncated", "oversize"}
    assert from_decode | from_stream == set(hj212.REASONS)


@pytest.mark.parametrize(("raw", "code"), [
    (pkt(f"{HEAD};junk;CP=&&&&"), "bad_field"),
    (pkt(f"{HEAD};CP=&&a34004-Avg=1,junk&&"), "bad_cp_item"),
    (pkt(f"{HEAD};CP=&&DataTime=2026060108&&"), "bad_data_time"),
    (pkt(f"{HEAD};CP=&&a34004-Avg=1,a34004-Flag=X&&"), None),
    (pkt(f"{HEAD};CP=&&a34004-Avg=1,a34004-Avg=2&&"), "duplicate_key"),
    (pkt(f"QN=20260601080000123;ST=39;CN=2051;PW=1;MN={MN};Flag=N;CP=&&&&"), "bad_flag"),
])
def test_lenient_mode_warns_instead(raw, code):
    p = decode(raw)
    assert p.ok, p.error
    assert [w.code for w in p.warnings] == ([code] if code else [])


def test_lenient_skips_junk_before_the_header():
    p = decode(b"\x00\x17xx" + EX1)
    assert p.ok and [w.code for w in p.warnings] == ["junk"]


# ----------------------------------------------------------------- encode, replies


def test_build_and_decode_round_trip():
    when = dt.datetime(2026, 6, 1, 8, 1)
    raw = hj212.build(cn="2051", mn=MN, st="39", qn="20260601080100001", flag=5, data_time=when,
                      values={"a34001": {"Avg": 120.5, "Max": 180, "Flag": "N"}, "LA": {"Avg": 56.3, "Flag": "N"}})
    assert raw.startswith(b"##") and raw.endswith(b"\r\n")
    assert b"CP=&&DataTime=20260601080100;a34001-Avg=120.5,a34001-Max=180,a34001-Flag=N;LA-Avg=56.3,LA-Flag=N&&" in raw
    p = decode(raw, strict=True)
    assert p.ok, p.error
    assert p.values["a34001"] == {"Avg": 120.5, "Max": 180, "Flag": "N"} and p.data_time == when


def test_reply_9014_echoes_qn_pw_and_mn():
    ack = hj212.reply(decode(EX1))
    data = (b"QN=20160801085857223;ST=91;CN=9014;PW=100000;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&")
    assert ack == b"##%04d%s%s\r\n" % (len(data), data, hj212.crc_hex(data).encode())
    assert decode(ack, strict=True).ok


def test_reply_is_what_encode_writes_for_the_answer_packet():
    for qn, pw, mn in (("20260530100100123", "123456", "DUST000001"), (None, "123456", "41070000000001"),
                       ("20260530100100123", None, "DUST000001"), (None, None, None)):
        p = hj212.Packet(qn=qn, st="39", cn="2051", pw=pw, mn=mn, flag=5)
        for cn in ("9014", "9013"):
            assert hj212.reply(p, cn) == hj212.encode(hj212.Packet(qn=qn, st="91", cn=cn, pw=pw, mn=mn, flag=4))


def test_reply_9013_answers_a_time_request():
    req = decode(pkt(f"QN=20260601080000123;ST=39;CN=1013;PW=123456;MN={MN};Flag=5;CP=&&&&"))
    ack = decode(hj212.reply(req, "9013"))
    assert (ack.cn, ack.st, ack.qn, ack.flag) == ("9013", "91", "20260601080000123", 4)


def test_encode_refuses_what_would_not_fit():
    with pytest.raises(ValueError):
        frame("x" * 1025)
    with pytest.raises(ValueError):
        hj212.build(cn="2051", mn=MN, values={"a34004": {"Avg": float("nan")}})


# ----------------------------------------------------------------- split packets


def _part(pno: int, pnum: int, values: str, qn: str) -> Packet:
    return decode(pkt(f"QN={qn};ST=39;CN=2051;PW=123456;MN={MN};Flag=7;PNUM={pnum:04d};PNO={pno:04d};"
                      f"CP=&&DataTime=20260601080000;{values}&&"))


def test_split_packet_is_reassembled_in_order():
    r = Reassembler()
    parts = [_part(1, 3, "a34004-Avg=14,a34004-Flag=N", "20260601080001001"),
             _part(2, 3, "a34002-Avg=31,a34002-Flag=N", "20260601080001002"),
             _part(3, 3, "LA-Avg=56.1,LA-Flag=N", "20260601080001003")]
    assert all(p.ok and p.is_split and p.wants_ack for p in parts)
    assert r.add(parts[0]) is None
    assert r.add(parts[1]) is None
    assert r.add(parts[1]) is None  # a retransmit of part 2 changes nothing
    whole = r.add(parts[2])
    assert whole is not None and whole.parts == 3 and r.waiting == 0
    assert [x.qn for x in whole.pieces] == ["20260601080001001", "20260601080001002", "20260601080001003"]
    assert whole.values == {"a34004": {"Avg": 14, "Flag": "N"}, "a34002": {"Avg": 31, "Flag": "N"},
                            "LA": {"Avg": 56.1, "Flag": "N"}}
    assert whole.data_time == dt.datetime(2026, 6, 1, 8, 0) and whole.qn == "20260601080001001"
    assert whole.pnum is None and whole.pno is None


def test_split_packet_restarts_on_a_new_first_part_and_is_bounded():
    r = Reassembler(max_groups=2)
    assert r.add(_part(1, 2, "a34004-Avg=1", "20260601080001001")) is None
    assert r.add(_part(1, 2, "a34004-Avg=2", "20260601080002001")) is None  # part 2 of the first was lost
    whole = r.add(_part(2, 2, "a34002-Avg=3", "20260601080002002"))
    assert whole.values == {"a34004": {"Avg": 2}, "a34002": {"Avg": 3}} and r.dropped == 1
    plain = decode(EX2)
    assert r.add(plain) is plain
    for i in range(5):  # five devices' first parts, only two groups kept
        p = decode(pkt(f"{HEAD.replace(MN, f'{i:024X}')};PNUM=0002;PNO=0001;CP=&&&&"))
        assert r.add(p) is None
    assert r.waiting == 2 and r.dropped == 4


# ----------------------------------------------------------------- stream re-framing


def _frames(out):
    return [x for x in out if isinstance(x, bytes)]


def test_reframer_byte_by_byte():
    r = Reframer()
    got = []
    for b in EX1 + EX2:
        got += r.feed(bytes([b]))
    assert got == [EX1[:-2], EX2[:-2]]
    assert r.buffered == 0


def test_reframer_merged_reads():
    r = Reframer()
    assert r.feed(EX1 + EX2 + EX1) == [EX1[:-2], EX2[:-2], EX1[:-2]]


def test_reframer_split_across_reads_at_every_point():
    for cut in range(1, len(EX2)):
        r = Reframer()
        assert r.feed(EX2[:cut]) + r.feed(EX2[cut:] + EX1) == [EX2[:-2], EX1[:-2]], cut


def test_reframer_drops_junk_before_the_header():
    r = Reframer()
    out = r.feed(b"\x00\xffGARBAGE#" + EX1)
    assert _frames(out) == [EX1[:-2]]
    junk = [x for x in out if isinstance(x, Rejection)]
    assert [j.code for j in junk] == ["junk"] and junk[0].detail == "10 字节"
    assert junk[0].raw == b"\x00\xffGARBAGE#"


def test_reframer_keeps_a_lone_hash_at_the_end_of_a_read():
    r = Reframer()
    assert r.feed(b"noise#") == [Rejection("junk", "5 字节", "5 bytes", b"noise")]
    assert r.feed(EX1[1:]) == [EX1[:-2]]


def test_reframer_truncated_packet_then_a_good_one():
    r = Reframer()
    out = r.feed(EX2[:120] + EX1)
    assert [x.code for x in out if isinstance(x, Rejection)] == ["truncated"]
    assert _frames(out) == [EX1[:-2]]


def test_reframer_resyncs_on_an_inner_header_even_when_the_length_promise_lands_on_a_crlf():
    # three cut-off 2051 packets, 40 NULs and the standard's example: 423 bytes, so the first packet's
    # "0411" promises a CRLF exactly where the example's CRLF stands
    stream = EX2[:90] * 3 + b"\x00" * 40 + EX1
    assert stream[421:423] == b"\r\n"
    out = Reframer().feed(stream)
    assert [x.code for x in out if isinstance(x, Rejection)] == ["truncated", "truncated", "truncated"]
    assert _frames(out) == [EX1[:-2]]


def test_reframer_wrong_length_field_still_frames_on_crlf():
    bad = b"##0999" + EX1[6:]
    r = Reframer()
    out = r.feed(bad + EX2)
    assert out == [bad[:-2], EX2[:-2]]
    assert decode(out[0]).ok


def test_reframer_buffer_is_bounded():
    r = Reframer()
    out = r.feed(b"##0101" + b"A" * 5000)
    assert [x.code for x in out] == ["oversize", "junk"]
    assert r.buffered < hj212.MAX_FRAME
    for _ in range(100):
        r.feed(b"x" * 4096)
        assert r.buffered < hj212.MAX_FRAME
    assert r.feed(EX1) == [EX1[:-2]]


# ----------------------------------------------------------------- properties

ALNUM = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=12)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=1200), st.booleans())
def test_random_bytes_only_ever_produce_rejections(data, strict):
    p = decode(data, strict=strict)
    assert not p.ok and p.error.code in hj212.REASONS
    assert p.error.message
    hj212_json = p.as_json()
    assert hj212_json["ok"] is False


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=1024), st.booleans())
def test_random_data_segments_in_a_valid_frame_never_raise(data, strict):
    raw = b"##%04d%s%04X\r\n" % (len(data), data, hj212.crc16(data))
    p = decode(raw, strict=strict)
    assert p.crc_ok and p.length_ok
    assert p.ok or p.error.code in hj212.REASONS
    json.dumps(p.as_json(), ensure_ascii=False)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="a1-=;,&.eE+xN#\r\n", max_size=200), st.booleans())
def test_cp_like_noise_never_raises(body, strict):
    p = decode(pkt(f"{HEAD};CP=&&{body}&&"), strict=strict)
    assert p.ok or p.error.code in hj212.REASONS


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="aZ1-=;,.eE+_ ", max_size=12), max_size=30))
def test_fast_cp_path_agrees_with_the_general_one(items):
    body = ";".join(items)
    fast, general = Packet(), Packet()
    hj212._cp(fast, body, False, None)
    hj212._cp_general(general, body, False, None)
    assert (fast.values, fast.cp, fast.data_time) == (general.values, general.cp, general.data_time)
    assert [w.code for w in fast.warnings] == [w.code for w in general.warnings]


cp_item = st.tuples(st.sampled_from(["a34004-", "a34002-", "LA-", "", "-", "a-b-"]),
                    st.sampled_from(["Avg", "Flag", "Rtd", "SampleTime", "DataTime", "Info", "Wibble", ""]),
                    st.sampled_from(["1", "-3", "+2", "2.5", "5.", ".", "-", "1e3", "1E-2", "1e999", "nan", "inf", "",
                                     "N", "1_0", " 1", "20260601080000", "20260601080000123", "20261301080000",
                                     "007", "a=b"]))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(cp_item, st.sampled_from([";", ","])), min_size=1, max_size=12))
def test_fast_cp_path_agrees_with_the_general_one_on_device_like_items(items):
    body = "".join(f"{code}{sub}={value}{sep}" for (code, sub, value), sep in items)[:-1]
    fast, general = Packet(), Packet()
    hj212._cp(fast, body, False, None)
    hj212._cp_general(general, body, False, None)
    assert (fast.values, fast.cp, fast.data_time) == (general.values, general.cp, general.data_time)
    assert [type(v) for subs in fast.values.values() for v in subs.values()] == [
        type(v) for subs in general.values.values() for v in subs.values()]
    assert [w.code for w in fast.warnings] == [w.code for w in general.warnings]


numbers = st.one_of(st.integers(min_value=-10**9, max_value=10**9),
                    st.floats(allow_nan=False, allow_infinity=False, width=64))
factor = st.tuples(ALNUM, st.dictionaries(st.sampled_from(["Rtd", "Avg", "Min", "Max", "Cou", "ZsAvg"]), numbers,
                                          min_size=1, max_size=4),
                   st.sampled_from(sorted(hj212.DATA_FLAGS)))


@st.composite
def packets(draw):
    values = {}
    for code, subs, flag in draw(st.lists(factor, max_size=6)):
        values[code] = {**subs, "Flag": flag}
    cp_keys = draw(st.lists(ALNUM.filter(lambda k: k != "DataTime"), max_size=3, unique=True))
    cp = {k: draw(st.text(alphabet="ABCxyz0123456789.", max_size=8)) for k in cp_keys}
    when = draw(st.none() | st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)))
    if when is not None:
        when = when.replace(microsecond=when.microsecond // 1000 * 1000)
    flag = draw(st.none() | st.integers(0, 255))
    split = flag is not None and flag & 2
    pnum = draw(st.integers(1, 9999)) if split else None
    pno = draw(st.integers(1, pnum)) if split else None
    digits = st.text(alphabet="0123456789", min_size=2, max_size=3)
    return Packet(qn=draw(st.none() | st.text(alphabet="0123456789", min_size=17, max_size=17)), st=draw(digits),
                  cn=draw(st.text(alphabet="0123456789", min_size=4, max_size=4)), pw=draw(ALNUM), mn=draw(ALNUM),
                  flag=flag, pnum=pnum, pno=pno, data_time=when, values=values, cp=cp)


@settings(max_examples=300, deadline=None)
@given(packets())
def test_encode_then_decode_is_the_identity(p):
    raw = encode(p)
    q = decode(raw)
    assert q.ok, q.error
    assert q.same_content(p), (p, q)
    assert encode(q) == raw


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2000), max_size=12),
       st.lists(st.sampled_from([EX1, EX2, b"junk#", b"#", b"\r\n", EX2[:90], b"##0101", b"\x00" * 40]), max_size=8))
def test_reframing_does_not_depend_on_how_the_stream_is_cut(cuts, pieces):
    stream = b"".join(pieces) + EX1
    whole = Reframer().feed(stream)
    r = Reframer()
    got: list = []
    last = 0
    for cut in [*sorted(cuts), len(stream)]:
        cut = min(cut, len(stream))
        got += r.feed(stream[last:cut])
        last = max(last, cut)
        assert r.buffered < hj212.MAX_FRAME
    frames_whole = [x for x in whole if isinstance(x, bytes)]
    assert [x for x in got if isinstance(x, bytes)] == frames_whole
    assert frames_whole[-1] == EX1[:-2]  # whatever came before, the last good packet comes through


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=3000), max_size=6))
def test_reframer_on_random_reads_never_raises_and_stays_bounded(reads):
    r = Reframer()
    for data in reads:
        for item in r.feed(data):
            assert isinstance(item, bytes) or item.code in {"junk", "truncated", "oversize"}
        assert r.buffered < hj212.MAX_FRAME
