"""Open data: CSV and JSON of the current public results (双公示, 002 第十一条).

Two schemas, both one row per public result:

* ``RESULT_FIELDS`` — one flat schema for every result type (行政处罚, 行政检查,
  双随机抽查, 其他执法决定), so one file holds them all; type-specific columns are empty
  for the other types.  ``open_rows`` produces rows in this schema.
* ``PENALTY_FIELDS`` — the 行政处罚 columns under the names of the national 双公示
  行政处罚信息 standard used by the credit platforms; ``penalty_rows`` derives them.

Choices (said once here, repeated in the field descriptions):

* Amounts are in 万元, the unit the 双公示 standard's column names carry.  Content
  amounts are 元 with at most two decimals, so 万元 values are exact (up to six
  decimals), never rounded: 52000 元 → ``5.2``.
* No identity-document columns (法定代表人证件号码, 自然人证件号码…): R-PII forbids
  publishing them, and this export is public.
* ``记录编号`` (the site's stable case id) leads both schemas: it is the key of the
  daily delta files, since a 文号 can itself be corrected (R-CORR).
* Rows are built from cases that are already redacted (R-PII), approved
  (R-APPROVAL) and live (R-RET5/R-RET2/R-WITHDRAW); as a second line of defence a
  withdrawn, ``disclose: none`` or unapproved case is never turned into a row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal

from pipeline.model import CASE_TYPE_LABELS, Case

KEY = "记录编号"
PARTY_CLASSES = {  # 行政相对人类别 as the 双公示 standard names them
    "organisation": "法人及非法人组织",
    "individual_business": "个体工商户",
    "natural_person": "自然人",
}
CATEGORY_SEPARATOR = ";"

RESULT_FIELDS: list[tuple[str, str]] = [
    (KEY, "本站记录编号，长期不变；增量文件按此匹配"),
    ("结果类型", "行政处罚、行政检查、双随机抽查或其他执法决定"),
    ("行政相对人名称", "单位名称或个体工商户字号；自然人已按规定脱敏（张某）"),
    ("行政相对人类别", "法人及非法人组织、个体工商户或自然人"),
    ("行政相对人代码_1(统一社会信用代码)", "自然人为空"),
    ("行政相对人登记证号", "无统一社会信用代码的单位（如村卫生室）的登记证号"),
    ("法定代表人", "单位的法定代表人；个体工商户的经营者（已脱敏）；自然人为空"),
    ("文书编号", "行政执法决定书文号或检查、抽查文书编号"),
    ("执法事项编码", "行政执法事项清单（或随机抽查事项清单）中的编码"),
    ("执法事项名称", "行政执法事项名称"),
    ("执法类别", "行政处罚、行政检查、双随机抽查；其他执法决定为其类别（行政强制等）"),
    ("主要事实", "违法事实或基本情况（已脱敏）"),
    ("执法依据", "法律、法规、规章条款"),
    ("处罚类别", "多个类别以英文分号分隔；非行政处罚为空"),
    ("处罚内容", "行政处罚的处罚内容；非行政处罚为空"),
    ("罚款金额（万元）", "单位万元，精确值不四舍五入；非行政处罚为空"),
    ("没收违法所得、没收非法财物的金额（万元）", "单位万元，精确值；非行政处罚为空"),
    ("责令退回金额（万元）", "责令退回医保基金的金额，单位万元，精确值；非行政处罚为空"),
    ("检查方式", "行政检查、双随机抽查的检查方式"),
    ("检查事项", "行政检查、双随机抽查的检查事项和内容"),
    ("发现问题", "检查发现的问题"),
    ("整改情况", "行政检查的整改情况"),
    ("抽查任务", "双随机抽查任务"),
    ("抽查结果", "正常或发现问题"),
    ("后续处理", "双随机抽查发现问题后的处理"),
    ("执法结论", "其他执法决定的结论"),
    ("决定日期", "作出决定的日期；双随机抽查为抽查结束日期（YYYY-MM-DD）"),
    ("公示截止期", "公示的最后一日（YYYY-MM-DD）：自首次公示起满5年，自然人和个体工商户满2年"),
    ("执法机关", "作出决定的行政执法主体"),
    ("执法机关统一社会信用代码", "执法主体的统一社会信用代码"),
    ("数据来源单位", "提供数据的单位"),
    ("数据来源单位统一社会信用代码", "提供数据单位的统一社会信用代码"),
    ("备注", ""),
]

# 双公示 行政处罚 column -> the flat column it is taken from ("" = not recorded here).
_PENALTY_FROM: dict[str, str] = {
    KEY: KEY,
    "行政相对人名称": "行政相对人名称",
    "行政相对人类别": "行政相对人类别",
    "行政相对人代码_1(统一社会信用代码)": "行政相对人代码_1(统一社会信用代码)",
    "行政相对人登记证号": "行政相对人登记证号",
    "法定代表人": "法定代表人",
    "行政处罚决定书文号": "文书编号",
    "违法行为类型": "执法事项名称",
    "违法事实": "主要事实",
    "处罚依据": "执法依据",
    "处罚类别": "处罚类别",
    "处罚内容": "处罚内容",
    "罚款金额（万元）": "罚款金额（万元）",
    "没收违法所得、没收非法财物的金额（万元）": "没收违法所得、没收非法财物的金额（万元）",
    "处罚决定日期": "决定日期",
    "处罚有效期": "",  # the content model does not record how long a penalty's effect lasts
    "公示截止期": "公示截止期",
    "处罚机关": "执法机关",
    "处罚机关统一社会信用代码": "执法机关统一社会信用代码",
    "数据来源单位": "数据来源单位",
    "数据来源单位统一社会信用代码": "数据来源单位统一社会信用代码",
    "备注": "备注",
}
_PENALTY_NOTES = {
    KEY: "本站记录编号（标准外字段），增量文件按此匹配",
    "行政相对人登记证号": "标准外字段：无统一社会信用代码的单位的登记证号",
    "违法行为类型": "取行政执法事项名称",
    "处罚有效期": "本站不记录，留空",
}
_FLAT_NOTES = dict(RESULT_FIELDS)
PENALTY_FIELDS: list[tuple[str, str]] = [
    (name, _PENALTY_NOTES.get(name) or _FLAT_NOTES.get(src, "")) for name, src in _PENALTY_FROM.items()
]


def _wan(amount: Decimal) -> str:
    """元 -> 万元, exact: moving the decimal point never rounds."""
    return format(Decimal(amount).scaleb(-4).normalize(), "f")


def _party_columns(case: Case) -> dict[str, str]:
    party = case.party
    natural = party.kind == "natural_person"
    rep = party.operator if party.kind == "individual_business" else party.legal_rep
    return {
        "行政相对人名称": party.name,
        "行政相对人类别": PARTY_CLASSES.get(party.kind, party.kind),
        # R-PII: a natural person has no code or representative to publish.
        "行政相对人代码_1(统一社会信用代码)": "" if natural else party.credit_code,
        "行政相对人登记证号": "" if natural else party.registration_no,
        "法定代表人": "" if natural else rep,
    }


def _type_columns(case: Case) -> dict[str, str]:
    if case.type == "penalty":
        r = case.result
        return {"处罚类别": CATEGORY_SEPARATOR.join(r.categories), "处罚内容": r.summary,
                "罚款金额（万元）": _wan(r.fine),
                "没收违法所得、没收非法财物的金额（万元）": _wan(r.confiscated),
                "责令退回金额（万元）": _wan(r.refund)}
    if case.type == "inspection":
        return {"检查方式": case.method, "检查事项": case.check_items,
                "发现问题": case.problems, "整改情况": case.rectification}
    if case.type == "random_check":
        return {"抽查任务": case.task, "检查方式": case.method, "检查事项": case.check_items,
                "抽查结果": case.outcome, "发现问题": case.problems, "后续处理": case.follow_up}
    return {"执法结论": case.conclusion}


def open_row(case: Case, end: dt.date, codes: Mapping[str, str], items: Mapping[str, str]) -> dict[str, str]:
    """The flat ``RESULT_FIELDS`` row of one public ``case`` whose 公示截止期 is ``end``."""
    label = CASE_TYPE_LABELS.get(case.type, case.type)
    code = codes.get(case.agency, "")
    values = {
        KEY: case.id, "结果类型": label, **_party_columns(case), "文书编号": case.doc_no,
        "执法事项编码": case.item, "执法事项名称": items.get(case.item, ""),
        "执法类别": case.category if case.type == "other" and case.category else label,
        "主要事实": case.facts, "执法依据": case.basis, **_type_columns(case),
        "决定日期": case.decided_on.isoformat(), "公示截止期": end.isoformat(),
        "执法机关": case.agency, "执法机关统一社会信用代码": code,
        # This site is the source of its own bureau's data (谁执法、谁公示, 002 第十五条).
        "数据来源单位": case.agency, "数据来源单位统一社会信用代码": code,
    }
    return {name: str(values.get(name, "")) for name, _ in RESULT_FIELDS}


def _is_public(case: Case) -> bool:
    return case.status == "active" and case.disclose != "none" and not case.approval.missing()


def public_cases(cases: Iterable[Case], ends: Mapping[str, dt.date]) -> list[tuple[Case, dt.date]]:
    """(case, its 公示截止期) for each public case, sorted by (决定日期, 记录编号).

    Withdrawn, ``disclose: none`` and unapproved cases are dropped; a public case
    missing from ``ends`` raises ValueError.
    """
    public = []
    for case in sorted(cases, key=lambda c: (c.decided_on, c.id)):
        if not _is_public(case):
            continue
        if case.id not in ends:
            raise ValueError(f"open data: no 公示截止期 for case {case.id} ({case.source}); "
                             "run the retention stage first")
        public.append((case, ends[case.id]))
    return public


def open_rows(cases: Iterable[Case], ends: Mapping[str, dt.date],
              bureau_credit_codes: Mapping[str, str],
              items: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """One flat ``RESULT_FIELDS`` row per public case, sorted by (决定日期, 记录编号).

    ``cases`` must already be redacted and live; withdrawn, ``disclose: none`` and
    unapproved cases are dropped regardless.  ``ends`` maps a case id to its 公示截止期
    (from retention) and a public case missing from it raises ValueError.
    ``bureau_credit_codes`` maps a deciding body to its 统一社会信用代码 ("" if
    unknown); ``items`` maps 执法事项 codes to names.  Every value is a string.
    """
    return [open_row(case, end, bureau_credit_codes, items or {}) for case, end in public_cases(cases, ends)]


_PENALTY_LABEL = CASE_TYPE_LABELS["penalty"]


def penalty_row(row: Mapping[str, str]) -> dict[str, str] | None:
    """An ``open_rows`` row renamed to ``PENALTY_FIELDS``; None if it is not a 行政处罚."""
    if row["结果类型"] != _PENALTY_LABEL:
        return None
    return {name: row[src] if src else "" for name, src in _PENALTY_FROM.items()}


def penalty_rows(rows: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    """The 行政处罚 rows of ``open_rows`` output, renamed to ``PENALTY_FIELDS``; order kept."""
    return [renamed for renamed in map(penalty_row, rows) if renamed is not None]


def _names(fields: Iterable[tuple[str, str]] | Iterable[str]) -> list[str]:
    return [f if isinstance(f, str) else f[0] for f in fields]


def _project(rows: Iterable[Mapping[str, str]], names: list[str]) -> list[dict[str, str]]:
    out = []
    for i, row in enumerate(rows):
        if type(row) is dict and list(row) == names:  # already these columns, in order
            out.append(row)
            continue
        missing = [n for n in names if n not in row]
        if missing:
            raise KeyError(f"open data row {i} ({row.get(KEY, '?')}) lacks column(s) {missing}")
        out.append({n: row[n] for n in names})
    return out


def to_csv(rows: Iterable[Mapping[str, str]], fields: Iterable[tuple[str, str]] | Iterable[str]) -> str:
    """CSV text: BOM first (so Excel reads UTF-8), header of field names, CRLF line ends.

    Every value is quoted, so values with commas, quotes or newlines survive and every
    row ends with a quote: the output verifier proves a large export piece by piece,
    cut after a quote that ends a line (publish.verify), so a correction rescans one
    piece.  A row lacking one of ``fields`` raises KeyError rather than writing an
    empty cell that would pass for data.
    """
    names = _names(fields)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(names)
    writer.writerows(row.values() for row in _project(rows, names))  # values in ``names`` order
    return "\ufeff" + buf.getvalue()


def csv_line(row: Mapping[str, str], fields: Iterable[tuple[str, str]] | Iterable[str]) -> str:
    """The line ``to_csv`` writes for ``row`` (its values in ``fields`` order, CRLF):
    ``to_csv(rows, fields)`` is ``to_csv([], fields)`` followed by each row's line."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL).writerow(
        _project([row], _names(fields))[0].values())
    return buf.getvalue()


def to_json(rows: Iterable[Mapping[str, str]],
            fields: Iterable[tuple[str, str]] | Iterable[str] | None = None) -> str:
    """JSON array text, deterministic: field order kept, UTF-8 characters unescaped, indent 1.

    With ``fields``, rows are reduced to those columns (KeyError if one is missing).
    """
    data = _project(rows, _names(fields)) if fields is not None else [dict(r) for r in rows]
    return _json_rows(data) + "\n"


# Flat rows of these types are written by json's C encoder with the separators the indented
# (pure Python) encoder would put between their fields; see _json_rows.
_FLAT = frozenset({str, int, float, bool, type(None)})
_FIELD_SEPARATORS = (",\n  ", ": ")


def _json_rows(rows: list[dict]) -> str:
    """``json.dumps(rows, ensure_ascii=False, indent=1)``, byte for byte.

    json's indenting encoder is pure Python (100,000 rows took seconds, issue 9); a flat
    row (no list or mapping inside) is encoded by the C encoder with the separators that
    encoder would use, then framed (json_part).  A list with any other row goes to
    json.dumps.
    """
    if not all(_FLAT.issuperset(map(type, row.values())) for row in rows):
        return json.dumps(rows, ensure_ascii=False, indent=1)
    return json_array([json_part(row) for row in rows])


def json_part(row: Mapping[str, object]) -> str:
    """A flat row (values str, int, float, bool or None) as an element of a ``to_json`` array.

    Its first line is indented by one space, like the ones after it; no newline at the end."""
    inner = json.dumps(row, ensure_ascii=False, separators=_FIELD_SEPARATORS)[1:-1]
    return f" {{\n  {inner}\n }}" if row else " {}"


def json_array(parts: list[str]) -> str:
    """The array ``to_json`` writes (without its final newline) of ``json_part`` texts."""
    return "[\n" + ",\n".join(parts) + "\n]" if parts else "[]"


def _order(row: Mapping[str, str], key: str) -> tuple[str, str]:
    # Same order as open_rows: decision date (ISO text sorts as dates), then id.
    return (row.get("决定日期") or row.get("处罚决定日期") or "", row[key])


def _index(rows: Iterable[Mapping[str, str]], key: str, which: str) -> dict[str, Mapping[str, str]]:
    index: dict[str, Mapping[str, str]] = {}
    for row in rows:
        if row[key] in index:
            raise ValueError(f"open data delta: {which} rows repeat {key} {row[key]!r}")
        index[row[key]] = row
    return index


def delta(previous_rows: Iterable[Mapping[str, str]], current_rows: Iterable[Mapping[str, str]],
          key: str = KEY) -> dict[str, list]:
    """What changed between two full files, keyed on 记录编号.

    Returns {"added": [rows new in current], "corrected": [current rows whose values
    changed], "removed": [keys gone from current]}; rows in current order, keys in
    previous order.  Repeated keys in either input raise ValueError.
    """
    old = _index(previous_rows, key, "previous")
    new = _index(current_rows, key, "current")
    return {
        "added": [dict(r) for k, r in new.items() if k not in old],
        "corrected": [dict(r) for k, r in new.items() if k in old and dict(old[k]) != dict(r)],
        "removed": [k for k in old if k not in new],
    }


def apply_delta(rows: Iterable[Mapping[str, str]], d: Mapping[str, list], key: str = KEY) -> list[dict]:
    """Apply one ``delta`` to a full file; returns the next full file, sorted like open_rows.

    A removed or corrected key that is not in ``rows``, or an added key that already
    is, raises ValueError: the delta belongs to another file.
    """
    index = {k: dict(r) for k, r in _index(rows, key, "base").items()}
    for k in d.get("removed", []):
        if index.pop(k, None) is None:
            raise ValueError(f"open data delta removes {k!r}, which is not in the file")
    for row in d.get("corrected", []):
        if row[key] not in index:
            raise ValueError(f"open data delta corrects {row[key]!r}, which is not in the file")
        index[row[key]] = dict(row)
    for row in d.get("added", []):
        if row[key] in index:
            raise ValueError(f"open data delta adds {row[key]!r}, which is already in the file")
        index[row[key]] = dict(row)
    return sorted(index.values(), key=lambda r: _order(r, key))
