"""Open data exports with the 双公示 fields (002 第十一条; spec §6 open data)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.model import Approval, Case, Party, Result
from pipeline.opendata import (
    KEY,
    PENALTY_FIELDS,
    RESULT_FIELDS,
    apply_delta,
    delta,
    open_rows,
    penalty_rows,
    to_csv,
    to_json,
)

D = dt.date.fromisoformat
APPROVED = Approval("法规科", "办公室", "局长办公会", D("2026-03-05"))
BUREAU = "春城市医疗保障局"
CODES = {BUREAU: "11220100MB1234567X"}
ITEMS = {"XZCF-003": "串换药品、超量开药的行政处罚", "XZJC-001": "定点医药机构行政检查"}
ORG = Party("organisation", "春城仁和医院有限公司", credit_code="91220101XG612DD26T", legal_rep="王建华")


def case(id, type="penalty", decided="2026-03-02", party=ORG, **kw) -> Case:
    kw.setdefault("approval", APPROVED)
    kw.setdefault("item", "XZCF-003")
    return Case(id=id, type=type, doc_no=f"春医保罚〔2026〕{id}号", agency=BUREAU,
                decided_on=D(decided), party=party, source=f"cases/2026/{id}.md", **kw)


PENALTY = case("2026-0012", facts="经查，该院串换药品。", basis="《医疗保障基金使用监督管理条例》第三十八条",
               result=Result(("罚款", "责令退回"), Decimal("52000"), Decimal("1234.5"), Decimal("26000"),
                             "责令退回医保基金26000元，并处罚款52000元。"))
ENDS = {"2026-0012": D("2031-03-09"), "2026-0013": D("2028-03-09"), "2026-0014": D("2031-03-09"),
        "2026-0015": D("2028-03-09"), "2026-0016": D("2031-03-09")}


def test_penalty_row_fields():
    """Open data (002 第十一条): a penalty row carries the 双公示 content, amounts in exact 万元."""
    (row,) = open_rows([PENALTY], ENDS, CODES, ITEMS)
    assert list(row) == [name for name, _ in RESULT_FIELDS]
    assert row[KEY] == "2026-0012" and row["结果类型"] == "行政处罚"
    assert row["行政相对人名称"] == "春城仁和医院有限公司"
    assert row["行政相对人类别"] == "法人及非法人组织"
    assert row["行政相对人代码_1(统一社会信用代码)"] == "91220101XG612DD26T"
    assert row["法定代表人"] == "王建华"
    assert row["文书编号"] == "春医保罚〔2026〕2026-0012号"
    assert (row["执法事项编码"], row["执法事项名称"]) == ("XZCF-003", ITEMS["XZCF-003"])
    assert row["处罚类别"] == "罚款;责令退回"
    assert row["罚款金额（万元）"] == "5.2"
    assert row["没收违法所得、没收非法财物的金额（万元）"] == "0.12345"  # 1234.5 元, not rounded
    assert row["责令退回金额（万元）"] == "2.6"
    assert (row["决定日期"], row["公示截止期"]) == ("2026-03-02", "2031-03-09")
    assert (row["执法机关"], row["执法机关统一社会信用代码"]) == (BUREAU, CODES[BUREAU])
    assert row["数据来源单位统一社会信用代码"] == CODES[BUREAU]
    assert row["检查方式"] == "" and row["执法结论"] == ""
    assert all(isinstance(v, str) for v in row.values())


def test_natural_person_and_individual_business():
    """R-PII, R-RET2: a natural person has no code or representative; a 个体工商户 shows its masked operator."""
    person = case("2026-0013", party=Party("natural_person", "张某", credit_code="should-not-appear"))
    shop = case("2026-0015", party=Party("individual_business", "春城市德济堂药店",
                                         credit_code="92220101MA00000000", operator="李某"))
    rows = {r[KEY]: r for r in open_rows([person, shop], ENDS, CODES)}
    p, s = rows["2026-0013"], rows["2026-0015"]
    assert (p["行政相对人名称"], p["行政相对人类别"]) == ("张某", "自然人")
    assert p["行政相对人代码_1(统一社会信用代码)"] == "" and p["法定代表人"] == ""
    assert (s["行政相对人类别"], s["法定代表人"]) == ("个体工商户", "李某")
    assert s["罚款金额（万元）"] == "0"


def test_no_identity_number_columns():
    """R-PII: the public export has no identity-document columns."""
    for name, _ in RESULT_FIELDS + PENALTY_FIELDS:
        assert "证件" not in name and "身份证" not in name


def test_other_types_fill_their_own_columns():
    insp = case("2026-0014", type="inspection", item="XZJC-001", method="现场检查",
                check_items="药品进销存", problems="未发现问题", rectification="")
    other = case("2026-0016", type="other", category="行政强制", conclusion="查封账册")
    rows = {r[KEY]: r for r in open_rows([insp, other], ENDS, CODES, ITEMS)}
    i, o = rows["2026-0014"], rows["2026-0016"]
    assert (i["结果类型"], i["执法类别"], i["检查方式"], i["发现问题"]) == ("行政检查", "行政检查", "现场检查", "未发现问题")
    assert i["罚款金额（万元）"] == "" and i["处罚类别"] == ""
    assert (o["结果类型"], o["执法类别"], o["执法结论"]) == ("其他执法决定", "行政强制", "查封账册")


def test_only_public_cases_and_sorted():
    """R-WITHDRAW, R-NOPUB, R-APPROVAL: withdrawn, undisclosed and unapproved cases never become rows."""
    cases = [
        case("2026-0016", decided="2026-03-01"),
        PENALTY,
        case("2026-0013", decided="2026-03-01"),
        case("W", status="revoked", status_changed_on=D("2026-04-01")),
        case("N", disclose="none", disclose_reason="国家秘密"),
        case("U", approval=Approval()),
    ]
    rows = open_rows(cases, ENDS, CODES)
    assert [r[KEY] for r in rows] == ["2026-0013", "2026-0016", "2026-0012"]


def test_public_case_without_retention_end_is_an_error():
    with pytest.raises(ValueError, match="2026-0099"):
        open_rows([case("2026-0099")], ENDS, CODES)


def test_penalty_rows_use_shuanggongshi_names():
    """双公示 行政处罚 standard column names, penalties only, values mapped from the flat row."""
    insp = case("2026-0014", type="inspection")
    rows = penalty_rows(open_rows([PENALTY, insp], ENDS, CODES, ITEMS))
    assert len(rows) == 1
    (row,) = rows
    assert list(row) == [name for name, _ in PENALTY_FIELDS]
    for name in ("行政相对人名称", "行政相对人类别", "行政相对人代码_1(统一社会信用代码)", "法定代表人",
                 "行政处罚决定书文号", "违法行为类型", "违法事实", "处罚依据", "处罚类别", "处罚内容",
                 "罚款金额（万元）", "没收违法所得、没收非法财物的金额（万元）", "处罚决定日期",
                 "处罚有效期", "公示截止期", "处罚机关", "处罚机关统一社会信用代码", "数据来源单位",
                 "数据来源单位统一社会信用代码", "备注"):
        assert name in row
    assert row["行政处罚决定书文号"] == PENALTY.doc_no
    assert row["违法事实"] == PENALTY.facts and row["处罚依据"] == PENALTY.basis
    assert row["违法行为类型"] == ITEMS["XZCF-003"]
    assert (row["处罚决定日期"], row["处罚有效期"]) == ("2026-03-02", "")
    assert row["处罚机关统一社会信用代码"] == CODES[BUREAU]


def test_csv_has_bom_crlf_and_parses():
    """Open data CSV: BOM for Excel, CRLF, every value quoted (so every row ends with a
    quote: the verifier cuts large exports there), and the csv module reads back exactly
    the rows."""
    tricky = case("2026-0013", facts='第一行，含逗号,和"引号"\n第二行',
                  result=Result(("警告",), summary="警告"))
    rows = open_rows([PENALTY, tricky], ENDS, CODES, ITEMS)
    text = to_csv(rows, RESULT_FIELDS)
    assert text.startswith("\ufeff")
    assert text.count("\r\n") >= 3 and text.endswith("\r\n")
    parsed = list(csv.reader(io.StringIO(text.encode("utf-8").decode("utf-8-sig"), newline="")))
    assert parsed[0] == [name for name, _ in RESULT_FIELDS]
    assert [dict(zip(parsed[0], r, strict=True)) for r in parsed[1:]] == rows
    assert all(line.endswith('"') for line in text.split("\r\n")[:-1])
    pen = to_csv(penalty_rows(rows), PENALTY_FIELDS)
    assert pen.startswith(f'\ufeff"{KEY}","行政相对人名称",')


def test_csv_refuses_rows_without_a_column():
    with pytest.raises(KeyError):
        to_csv([{KEY: "x"}], RESULT_FIELDS)


def test_json_keeps_order_and_chinese():
    rows = open_rows([PENALTY], ENDS, CODES, ITEMS)
    text = to_json(rows)
    assert "春城仁和医院有限公司" in text and text == to_json(rows)
    assert json.loads(text) == rows
    assert list(json.loads(text)[0]) == [name for name, _ in RESULT_FIELDS]
    assert list(json.loads(to_json(rows, ["决定日期", KEY]))[0]) == ["决定日期", KEY]



@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=5), st.text(max_size=5)), max_size=6), st.data())
def test_json_is_byte_for_byte_json_dumps(pairs, data):
    """Issue 9: the quick encoder writes byte for byte what json.dumps writes, also for
    rows projected to other columns and for subsets repeating rows."""
    rows = [{"a": a, "b": b, "c": a + b} for a, b in pairs]
    other = data.draw(st.lists(st.sampled_from(rows), max_size=6)) if rows else []
    for subset, fields in ((rows, ["a", "b", "c"]), (other, ["a", "b", "c"]),
                           (rows, ["b", "a"]), (other, ["c"]), (rows, ["b", "a"])):
        text = to_json(subset, fields)
        projected = [{f: r[f] for f in fields} for r in subset]
        assert text == json.dumps(projected, ensure_ascii=False, indent=1) + "\n"

def _row(key, date, value):
    return {KEY: key, "决定日期": date, "值": value}


def test_delta_example():
    old = [_row("a", "2026-01-01", "1"), _row("b", "2026-01-02", "2"), _row("c", "2026-01-03", "3")]
    new = [_row("a", "2026-01-01", "1"), _row("c", "2026-01-03", "3*"), _row("d", "2026-01-04", "4")]
    d = delta(old, new)
    assert d == {"added": [new[2]], "corrected": [new[1]], "removed": ["b"]}
    assert apply_delta(old, d) == new


def test_delta_rejects_repeated_keys_and_foreign_deltas():
    with pytest.raises(ValueError):
        delta([_row("a", "2026-01-01", "1")] * 2, [])
    with pytest.raises(ValueError):
        apply_delta([], {"added": [], "corrected": [], "removed": ["zz"]})


IDS = [f"2026-{i:04d}" for i in range(12)]
SNAPSHOT = st.dictionaries(
    st.sampled_from(IDS),
    st.tuples(st.dates(dt.date(2025, 1, 1), dt.date(2026, 12, 31)).map(dt.date.isoformat),
              st.text(max_size=8)),
    max_size=len(IDS),
)


def _full(snapshot: dict) -> list[dict]:
    rows = [_row(k, date, value) for k, (date, value) in snapshot.items()]
    return sorted(rows, key=lambda r: (r["决定日期"], r[KEY]))


@settings(max_examples=150, deadline=None)
@given(st.lists(SNAPSHOT, min_size=1, max_size=8))
def test_deltas_in_order_rebuild_the_last_full_file(snapshots):
    """Open data: applying each day's delta in order to the first full file gives the last one."""
    files = [_full(s) for s in snapshots]
    rebuilt = files[0]
    for previous, current in zip(files, files[1:], strict=False):
        rebuilt = apply_delta(rebuilt, delta(previous, current))
        assert rebuilt == current
    assert rebuilt == files[-1]
