"""What each spreadsheet sheet holds: its name, its columns, their Chinese headers.

One table drives the template, the export and the import, so a column is named the
same way in all three.  List columns reuse the labels of ``pipeline.catalogue``
(the names the site shows); case columns reuse ``CASE_FIELD_LABELS`` where one exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from pipeline.catalogue import CASE_FIELD_LABELS, LIST_ORDER, LIST_SCHEMAS, OTHER_CATEGORIES
from pipeline.model import (
    CASE_TYPE_LABELS,
    CASE_TYPES,
    PARTY_KIND_LABELS,
    PENALTY_CATEGORIES,
    RANDOM_OUTCOMES,
    STATUS_LABELS,
)

# Column kinds: how a cell is read and written (see gongshi.excel.cells).
TEXT, CODE, DATE, AMOUNT, CHOICE, MULTI, LINES, BODY = (
    "text", "code", "date", "amount", "choice", "multi", "lines", "body")

# Sheets that explain or feed dropdowns; the importer skips them.
HELP_SHEET = "说明"
OPTIONS_SHEET = "选项"


@dataclass(frozen=True)
class Column:
    """One spreadsheet column and the record field it fills."""

    field: str  # dotted path in the record ("party.name"), or the list row key
    header: str  # Chinese header written in row 1
    kind: str = TEXT
    required: bool = False  # shown in the template; the check itself is pipeline.validate's
    note: str = ""  # one line for the 说明 sheet and the cell prompt
    choices: tuple[tuple[str, str], ...] = ()  # closed set (stored value, label); first label per value is written
    suggest: tuple[str, ...] = ()  # open dropdown values (template only)
    dynamic: str = ""  # dropdown filled from the content: "item_codes" | "basis_ids"
    aliases: tuple[str, ...] = ()  # other headers users know (provincial templates, 双公示)
    wan_aliases: tuple[str, ...] = ()  # headers whose amounts are in 万元
    default: str = ""  # choice value for an empty cell (what pipeline.validate assumes)


@dataclass(frozen=True)
class SheetSpec:
    """One data sheet: a 事前公开 list, a result type, or the child rows of a list."""

    name: str  # sheet name (≤ 31 characters, Excel's limit)
    kind: str  # "list" | "case" | "child"
    target: str  # list kind, case type, or for a child sheet its parent list kind
    columns: tuple[Column, ...]
    key: str = ""  # list: field identifying a row; child: "" (its first column names the parent row)
    nested: str = ""  # child: the list-row field it fills ("discretion", "steps")
    aliases: tuple[str, ...] = ()

    def column(self, field: str) -> Column | None:
        """The column of ``field``, or None."""
        return next((c for c in self.columns if c.field == field), None)


def normalise_header(text: object) -> str:
    """Header text compared loosely: no spaces or line breaks, ASCII brackets, no '*' marks."""
    value = re.sub(r"\s+", "", str(text or ""))
    value = value.replace("（", "(").replace("）", ")").replace("＊", "*")
    return value.strip("*").lower()


# ---------------------------------------------------------------- lists

_LIST_EXTRAS: dict[str, dict[str, dict]] = {
    "officers": {"gender": {"suggest": ("男", "女")},
                 "cert_no": {"kind": CODE, "note": "执法证件上的编号，按文本填写（保留前导零）"}},
    "bases": {"id": {"kind": CODE, "note": "本清单内唯一，事项清单用它引用依据"},
              "level": {"suggest": ("法律", "行政法规", "部门规章", "地方性法规", "规范性文件")},
              "effective_on": {"kind": DATE}},
    "items": {"code": {"kind": CODE, "note": "本清单内唯一，案件的「执法事项」填此编码"},
              "category": {"suggest": ("行政处罚", "行政检查", "行政强制", "其他")},
              "basis": {"kind": MULTI, "dynamic": "basis_ids",
                        "note": "执法依据清单中的编号，多个用、；，分隔"}},
    "flows": {"id": {"kind": CODE},
              "procedure": {"suggest": ("一般程序处罚", "简易程序", "行政检查", "行政强制", "听证")}},
    "remedies": {"kind": {"suggest": ("陈述", "申辩", "听证", "行政复议", "行政诉讼")}},
    "random": {"code": {"kind": CODE, "note": "本清单内唯一，双随机抽查结果的「执法事项」可填此编码"}},
    "guides": {"id": {"kind": CODE}, "item": {"kind": CODE, "dynamic": "item_codes"},
               "phone": {"kind": CODE}},
}
# Fields that identify a row: a re-import matches rows by them (and keeps what the
# sheet does not carry); two rows with the same key are an error.
LIST_KEYS = {"officers": "cert_no", "bases": "id", "items": "code", "flows": "id",
             "random": "code", "guides": "id"}
_LIST_NESTED_COLUMNS = {
    "guides": (Column("materials", "申请材料", LINES, True, "每行一项（单元格内换行）"),
               Column("process", "办理流程", LINES, True, "每行一个步骤（单元格内换行）")),
}


def _list_sheet(kind: str) -> SheetSpec:
    schema = LIST_SCHEMAS[kind]
    extras = _LIST_EXTRAS.get(kind, {})
    columns = [Column(field, label, required=field in schema.required, **extras.get(field, {}))
               for field, label in schema.columns]
    columns += _LIST_NESTED_COLUMNS.get(kind, ())
    return SheetSpec(schema.title, "list", kind, tuple(columns), key=LIST_KEYS.get(kind, ""),
                     aliases=(kind,))


CHILD_SHEETS = (
    SheetSpec("自由裁量基准", "child", "items", (
        Column("_parent", "事项编码", CODE, True, "行政执法事项清单中的事项编码", dynamic="item_codes"),
        Column("level", "裁量等级", suggest=("轻微", "一般", "较重", "严重")),
        Column("condition", "适用情形"),
        Column("standard", "裁量标准")), nested="discretion", aliases=("discretion",)),
    SheetSpec("流程步骤", "child", "flows", (
        Column("_parent", "流程编号", CODE, True, "执法流程图清单中的编号"),
        Column("name", "步骤名称", required=True),
        Column("limit", "时限", note="如 7个工作日；没有时限留空"),
        Column("note", "备注")), nested="steps", aliases=("steps",)),
)

# ---------------------------------------------------------------- cases

_PARTY_KINDS = tuple(PARTY_KIND_LABELS.items()) + (
    ("organisation", "法人及非法人组织"), ("organisation", "法人"), ("organisation", "非法人组织"),
    ("organisation", "其他组织"), ("individual_business", "个体户"), ("natural_person", "个人"))
_DISCLOSE = (("summary", "公开摘要"), ("full", "公开全文"), ("none", "不予公开"))


def _amount(field: str, label: str, *aliases: str) -> Column:
    wan = tuple(f"{a}(万元)" for a in (label, *aliases))
    return Column(field, f"{label}（元）", AMOUNT, note="单位：元；可写 52000、52,000 或 5.2万",
                  aliases=(label, f"{label}(元)", *aliases), wan_aliases=wan)


_HEAD = (
    Column("id", "记录编号", CODE, True, "稳定编号，字母、数字和 - ，如 2026-0012；文件名 cases/<年>/<编号>.md"),
    Column("doc_no", CASE_FIELD_LABELS["doc_no"], required=True,
           aliases=("决定书文号", "行政处罚决定书文号", "处罚决定书文号", "文号")),
    Column("item", CASE_FIELD_LABELS["item"], CODE, True, "执法事项清单中的事项编码",
           dynamic="item_codes", aliases=("执法事项编码", "事项编码")),
    Column("agency", CASE_FIELD_LABELS["agency"], required=True,
           aliases=("处罚机关", "决定机关", "执法主体", "实施机关")),
    Column("decided_on", CASE_FIELD_LABELS["decided_on"], DATE, True,
           "双随机抽查填抽查结束日期", aliases=("处罚决定日期", "作出决定日期", "检查日期")),
    Column("party.kind", "当事人类型", CHOICE, True, choices=_PARTY_KINDS,
           aliases=("行政相对人类别", "当事人类别")),
    Column("party.name", CASE_FIELD_LABELS["party.name"], required=True,
           note="自然人姓名发布时只保留姓氏", aliases=("行政相对人名称", "当事人", "检查对象", "抽查对象")),
    Column("party.credit_code", CASE_FIELD_LABELS["party.credit_code"], CODE,
           note="18位，自然人不填", aliases=("行政相对人代码_1(统一社会信用代码)", "社会信用代码")),
    Column("party.registration_no", "注册号", CODE, note="没有统一社会信用代码的组织填写",
           aliases=("工商注册号",)),
    Column("party.legal_rep", CASE_FIELD_LABELS["party.legal_rep"],
           aliases=("法定代表人(负责人)", "负责人")),
    Column("party.operator", "经营者", note="个体工商户的经营者姓名，发布时遮蔽", aliases=("经营者姓名",)),
    Column("persons", "涉及自然人", MULTI,
           note="记录中出现的每个自然人姓名（患者、医师、证人等），多个用、；，分隔，发布时遮蔽"),
)
_TAIL = (
    Column("disclose", "公开方式", CHOICE, choices=_DISCLOSE, default="summary",
           note="不予公开须填写理由（R-NOPUB）"),
    Column("disclose_reason", "不予公开理由"),
    Column("approval.reviewed_by", "内部审核", note="R-APPROVAL：内部审核部门"),
    Column("approval.secrecy_review", "保密审查", note="R-APPROVAL：保密审查部门"),
    Column("approval.approved_by", "批准", note="R-APPROVAL：主要负责人或其授权人"),
    Column("approval.approved_on", "批准日期", DATE),
    Column("status", "状态", CHOICE, choices=tuple(STATUS_LABELS.items()), default="active",
           note="撤销、确认违法、责令重作时填写，并填变更日期和说明（R-WITHDRAW）"),
    Column("status_changed_on", "状态变更日期", DATE),
    Column("status_note", "状态说明", note="撤回公开的必要说明（公开）"),
    Column("replaced_by", "重作决定编号", CODE, note="责令重作后新决定的记录编号"),
    Column("published_on", "原公开日期", DATE, note="仅从旧网站迁移的记录填写"),
    Column("body", CASE_FIELD_LABELS["body"], BODY,
           note="公开方式为公开全文时发布；留空则保留已有文件中的全文"),
)
_FACTS = Column("facts", CASE_FIELD_LABELS["facts"], aliases=("违法事实", "基本情况"))
_BASIS = Column("basis", CASE_FIELD_LABELS["basis"], required=True, aliases=("处罚依据", "检查依据"))
_METHOD = Column("method", CASE_FIELD_LABELS["method"], aliases=("抽查方式",))
_CHECK_ITEMS = Column("check_items", CASE_FIELD_LABELS["check_items"], aliases=("检查内容", "抽查内容"))
_PROBLEMS = Column("problems", CASE_FIELD_LABELS["problems"], note="没有问题写 未发现问题")


def _required(column: Column) -> Column:
    return replace(column, required=True)


_TYPE_COLUMNS = {
    "penalty": (
        _required(_FACTS), _BASIS,
        Column("result.category", CASE_FIELD_LABELS["result.categories"], MULTI, True,
               "可多选，用、；，分隔", suggest=PENALTY_CATEGORIES, aliases=("处罚种类",)),
        _amount("result.fine", CASE_FIELD_LABELS["result.fine"]),
        _amount("result.confiscated", "没收金额", "没收违法所得", "没收违法所得、没收非法财物的金额"),
        _amount("result.refund", CASE_FIELD_LABELS["result.refund"]),
        Column("result.summary", CASE_FIELD_LABELS["result.summary"], required=True)),
    "inspection": (
        _FACTS, _BASIS, _required(_METHOD), _required(_CHECK_ITEMS), _required(_PROBLEMS),
        Column("rectification", CASE_FIELD_LABELS["rectification"])),
    "random_check": (
        Column("task", CASE_FIELD_LABELS["task"], required=True), _FACTS, _BASIS, _METHOD,
        _required(_CHECK_ITEMS),
        Column("outcome", CASE_FIELD_LABELS["outcome"], CHOICE, True,
               choices=tuple((o, o) for o in RANDOM_OUTCOMES)),
        _PROBLEMS, Column("follow_up", CASE_FIELD_LABELS["follow_up"])),
    "other": (
        Column("category", CASE_FIELD_LABELS["category"], CHOICE, True,
               choices=tuple((c, c) for c in OTHER_CATEGORIES)),
        Column("facts", "基本情况", aliases=(CASE_FIELD_LABELS["facts"],)), _BASIS,
        Column("conclusion", CASE_FIELD_LABELS["conclusion"], required=True)),
}


def _case_sheet(ctype: str) -> SheetSpec:
    return SheetSpec(CASE_TYPE_LABELS[ctype], "case", ctype,
                     _HEAD + _TYPE_COLUMNS[ctype] + _TAIL, key="id", aliases=(ctype,))


LIST_SHEETS = tuple(_list_sheet(kind) for kind in LIST_ORDER)
CASE_SHEETS = tuple(_case_sheet(ctype) for ctype in CASE_TYPES)
ALL_SHEETS = LIST_SHEETS + CHILD_SHEETS + CASE_SHEETS


def children_of(spec: SheetSpec) -> tuple[SheetSpec, ...]:
    """The child sheets (自由裁量基准, 流程步骤) that belong with a list sheet."""
    if spec.kind != "list":
        return ()
    return tuple(c for c in CHILD_SHEETS if c.target == spec.target)


def sheet_by_name(name: str) -> SheetSpec | None:
    """The sheet whose name (or alias) is ``name``, or is the longest one contained in it.

    "清单-执法人员清单" and "2026年行政处罚" are recognised; a name that contains two
    different sheet names equally well gives None (the caller then looks at the headers).
    """
    text = normalise_header(name)
    names = [(normalise_header(n), s) for s in ALL_SHEETS for n in (s.name, *s.aliases)]
    exact = [s for n, s in names if n == text]
    if exact:
        return exact[0]
    # Containment only for names of 4+ characters: "av" must not match "navigation".
    contained = sorted(((len(n), s) for n, s in names if len(n) >= 4 and n in text),
                       key=lambda p: -p[0])
    if not contained or (len(contained) > 1 and contained[0][0] == contained[1][0]
                         and contained[0][1] is not contained[1][1]):
        return None
    return contained[0][1]


def header_index(spec: SheetSpec) -> dict[str, tuple[Column, int]]:
    """Normalised header → (column, scale): scale is 10000 for a 万元 header, else 1."""
    index: dict[str, tuple[Column, int]] = {}
    for column in spec.columns:
        for alias in column.wan_aliases:
            index.setdefault(normalise_header(alias), (column, 10000))
        for alias in (column.header, column.field, *column.aliases):
            index.setdefault(normalise_header(alias), (column, 1))
    return index
