"""Build workbooks in the template format: ``gongshi template`` and ``gongshi export``.

Each data sheet has the Chinese headers in row 1 (required ones shaded), column
formats (text columns are 文本 so long numbers keep their digits, date columns are
dates), dropdowns where the values are closed, and a prompt with the column's note.
A 说明 sheet explains every column; a hidden 选项 sheet feeds the dropdowns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pipeline.errors import ContentInvalid, Problem
from pipeline.load import RawContent, load_content

from .columns import (
    AMOUNT,
    BODY,
    CASE_SHEETS,
    CHOICE,
    CODE,
    DATE,
    HELP_SHEET,
    LINES,
    LIST_SHEETS,
    MULTI,
    OPTIONS_SHEET,
    Column,
    SheetSpec,
    children_of,
)

LAST_ROW = 1048576  # validations and formats cover the whole column
_FORMATS = {DATE: "yyyy-mm-dd", AMOUNT: "#,##0.00"}
_WIDTHS = {BODY: 60, LINES: 36, MULTI: 24, DATE: 13, AMOUNT: 14, CODE: 20, CHOICE: 14}
_REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
_OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")
_KIND_HELP = {
    DATE: "日期：日期单元格，或写 2026-03-02、2026/3/2、2026.3.2、2026年3月2日",
    AMOUNT: "金额（元）：52000、52,000 或 5.2万；列名写（万元）时按万元计；最多两位小数",
    CODE: "编码：按文本填写，不要存成数字（会丢前导零，15位以上会丢失数字）",
    MULTI: "多个值用 、 ； ， 分隔",
    LINES: "每项一行（单元格内换行：Alt+Enter）",
    BODY: "全文（Markdown）；留空保留已有文件中的全文",
}
GENERAL_HELP = (
    "第1行是列名，请勿改名；表中没有的非必填列，导入时保留内容文件中的原值。",
    "空单元格表示清空该项（决定书全文除外：留空保留原有全文）。",
    "清单按「键」匹配已有条目（执法证件编号、事项编码、编号）；导入后清单的条目与表中一致、顺序相同。",
    "清单内容变化时须给出更新日期：gongshi import 文件.xlsx --content content --updated-on YYYY-MM-DD（不取系统日期）。",
    "每行案件生成 cases/<年份>/<记录编号>.md；导入不会删除案件，撤回请填写「状态」。",
    "任何一行有错误时不写入任何文件，错误信息给出工作表、行号、列名和修改方法。",
)


def _labels(column: Column) -> list[str]:
    """Dropdown values: the first label of each stored value, or the suggestions."""
    if column.choices:
        first: dict[str, str] = {}
        for stored, label in column.choices:
            first.setdefault(stored, label)
        return list(first.values())
    return list(column.suggest)


def _option_lists(specs: Iterable[SheetSpec], dynamic: dict[str, list[str]]) -> dict[tuple, str]:
    """Option values → header, for every dropdown the sheets need (deduplicated)."""
    found: dict[tuple, str] = {}
    for spec in specs:
        for column in spec.columns:
            values = tuple(dynamic.get(column.dynamic, ()) if column.dynamic else _labels(column))
            if values:
                found.setdefault(values, column.header)
    return found


def _write_options(wb: Workbook, lists: dict[tuple, str]) -> dict[tuple, str]:
    """The hidden 选项 sheet; returns values → range formula for a validation."""
    ws = wb.create_sheet(OPTIONS_SHEET)
    ws.sheet_state = "hidden"
    formulas = {}
    for j, (values, header) in enumerate(lists.items(), 1):
        letter = get_column_letter(j)
        ws.cell(1, j, header)
        for i, value in enumerate(values, 2):
            ws.cell(i, j, value).number_format = "@"
        formulas[values] = f"'{OPTIONS_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    return formulas


def _validation(column: Column, values: tuple, formulas: dict[tuple, str]) -> DataValidation | None:
    if column.kind == DATE:
        return DataValidation(type="date", operator="between", formula1="DATE(1949,10,1)",
                              formula2="DATE(2099,12,31)", errorStyle="warning",
                              error="请填写日期，如 2026-03-02", errorTitle=column.header[:32])
    if values:
        # Closed sets stop other values; a multi-valued cell (several 处罚类别) or an
        # open list (a new 事项编码 added in the same import) only warns.
        style = "stop" if column.kind == CHOICE else "information" if column.kind == MULTI else "warning"
        return DataValidation(type="list", formula1=formulas[values], errorStyle=style,
                              error="请从下拉列表中选择", errorTitle=column.header[:32])
    if column.note:
        return DataValidation()
    return None


def _format_sheet(ws, spec: SheetSpec, dynamic: dict, formulas: dict) -> None:
    for j, column in enumerate(spec.columns, 1):
        letter = get_column_letter(j)
        cell = ws.cell(1, j, column.header)
        cell.font = Font(bold=True)
        cell.fill = _REQUIRED_FILL if column.required else _OPTIONAL_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        dim = ws.column_dimensions[letter]
        dim.width = _WIDTHS.get(column.kind, max(12, len(column.header) * 2 + 4))
        dim.number_format = _FORMATS.get(column.kind, "@")
        values = tuple(dynamic.get(column.dynamic, ()) if column.dynamic else _labels(column))
        validation = _validation(column, values, formulas)
        if validation is not None:
            validation.allow_blank = True  # an empty optional cell is never a validation error
            validation.showInputMessage = bool(column.note)
            validation.promptTitle = column.header[:32]
            validation.prompt = column.note[:255]
            validation.add(f"{letter}2:{letter}{LAST_ROW}")
            ws.add_data_validation(validation)
    ws.freeze_panes = "A2"


def _fill(ws, spec: SheetSpec, rows: Sequence[dict]) -> None:
    for i, row in enumerate(rows, 2):
        for j, column in enumerate(spec.columns, 1):
            cell = ws.cell(i, j)
            cell.value = row.get(column.field)
            if cell.data_type == "f":  # text that starts with '=' is text, not a formula
                cell.data_type = "s"
            cell.number_format = _FORMATS.get(column.kind, "@")
            if column.kind in (LINES, BODY):
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def _write_help(wb: Workbook, specs: Sequence[SheetSpec]) -> None:
    ws = wb.create_sheet(HELP_SHEET)
    for line in GENERAL_HELP:
        ws.append([line])
    ws.append([])
    ws.append(["工作表", "列名", "必填", "填写说明"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for spec in specs:
        for column in spec.columns:
            notes = [n for n in (column.note, _KIND_HELP.get(column.kind)) if n]
            if column.choices:
                notes.append("可选：" + "、".join(_labels(column)))
            elif column.suggest:
                notes.append("常用：" + "、".join(column.suggest))
            ws.append([spec.name, column.header, "是" if column.required else "", "；".join(notes)])
    for letter, width in zip("ABCD", (22, 22, 6, 90), strict=True):
        ws.column_dimensions[letter].width = width


def build_workbook(specs: Sequence[SheetSpec], rows: dict[str, list[dict]] | None = None,
                   dynamic: dict[str, list[str]] | None = None) -> Workbook:
    """A workbook with one data sheet per spec (filled with ``rows[spec.name]``), 说明 and 选项.

    ``rows`` map fields to cell values (see cells.to_cell); ``dynamic`` holds the
    dropdown values read from the content ("item_codes", "basis_ids").
    """
    wb = Workbook()
    wb.remove(wb.active)
    dynamic = dynamic or {}
    sheets = [wb.create_sheet(spec.name) for spec in specs]
    _write_help(wb, specs)
    formulas = _write_options(wb, _option_lists(specs, dynamic))
    for ws, spec in zip(sheets, specs, strict=True):
        _format_sheet(ws, spec, dynamic, formulas)
        _fill(ws, spec, (rows or {}).get(spec.name, []))
    wb.active = 0
    return wb


def dynamic_options(content_dir: Path | None) -> dict[str, list[str]]:
    """执法事项 codes and 执法依据 ids of a content directory, for the dropdowns.

    Returns empty lists without a content dir; raises ContentInvalid if the
    directory does not exist or its list files cannot be read.
    """
    if content_dir is None:
        return {}
    if not Path(content_dir).is_dir():
        raise ContentInvalid([Problem(str(content_dir), "", "content directory not found",
                                      "pass --content DIR, or leave it out for templates without codes")])
    raw = load_content(Path(content_dir))
    bad = [p for p in raw.problems if p.source.startswith("lists/")]
    if bad:
        raise ContentInvalid(bad)
    return options_of(raw)


def options_of(raw: RawContent) -> dict[str, list[str]]:
    """The dropdown values of already loaded content (see dynamic_options)."""

    def column(kind: str, key: str) -> list[str]:
        rows = raw.lists[kind].data.get("rows") if kind in raw.lists else None
        return [str(r[key]) for r in rows or [] if isinstance(r, dict) and r.get(key)]

    return {"item_codes": column("items", "code") + column("random", "code"),
            "basis_ids": column("bases", "id")}


def template_specs() -> list[tuple[str, list[SheetSpec]]]:
    """(file stem, sheets) of every template: one per list and one per result type."""
    out = [(f"清单-{s.name}", [s, *children_of(s)]) for s in LIST_SHEETS]
    return out + [(f"结果-{s.name}", [s]) for s in CASE_SHEETS]


def write_templates(out_dir: Path, content_dir: Path | None = None) -> list[Path]:
    """Write one empty template .xlsx per list and per result type into ``out_dir``.

    With ``content_dir`` the 执法事项 and 执法依据 columns get dropdowns of the
    current codes.  Returns the written paths in order.
    """
    dynamic = dynamic_options(content_dir)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, specs in template_specs():
        path = out_dir / f"{stem}.xlsx"
        build_workbook(specs, None, dynamic).save(path)
        paths.append(path)
    return paths
