"""Excel / CSV template, import and export (issue 10; docs/excel.md).

Workbooks are produced at test time with openpyxl (the LibreOffice-made ones are in
test_excel_libreoffice.py).  Every import goes through pipeline.validate, so the
rules the content files obey (R-APPROVAL, R-LIST, R-WITHDRAW …) hold for sheets too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from gongshi.cli import cli
from gongshi.excel import ListChange, export_workbook, import_file, write_templates
from gongshi.excel.cells import CellError, parse_cell, to_cell
from gongshi.excel.columns import CASE_SHEETS, LIST_SHEETS, Column
from gongshi.excel.records import canonical_list_row
from gongshi.excel.yamlout import render_list
from pipeline.catalogue import LIST_SCHEMAS
from pipeline.errors import ContentInvalid
from pipeline.load import load_content
from pipeline.validate import validate_content
from tests.support import DEMO_CONTENT, FIXTURE_AS_OF, FIXTURE_CONTENT, copy_content

AS_OF = FIXTURE_AS_OF
UPDATED = ListChange(updated_on=dt.date(2026, 6, 1))


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def changed_files(before: dict, after: dict) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """The fixture corpus exported once (tests copy it before editing)."""
    out = tmp_path_factory.mktemp("export") / "gongshi.xlsx"
    export_workbook(FIXTURE_CONTENT, out)
    return out


@pytest.fixture
def content(tmp_path) -> Path:
    return copy_content(FIXTURE_CONTENT, tmp_path / "content")


def edit(src: Path, dest: Path, sheet: str, key: str, header: str, value) -> Path:
    """Copy of workbook ``src`` with one cell changed: row whose first cell is ``key``."""
    wb = openpyxl.load_workbook(src)
    ws = wb[sheet]
    col = [c.value for c in ws[1]].index(header) + 1
    row = next(r for r in range(2, ws.max_row + 1) if str(ws.cell(r, 1).value) == key)
    ws.cell(row, col).value = value
    wb.save(dest)
    return dest


def workbook(path: Path, sheet: str, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def problems_of(exc: pytest.ExceptionInfo) -> list[str]:
    return [str(p) for p in exc.value.problems]


# ---------------------------------------------------------------- round trip

def test_round_trip_same_directory_changes_no_byte(exported, content):
    """import(export(x)) == x: re-importing the export of the fixture corpus writes nothing."""
    before = snapshot(content)
    report = import_file(exported, content, AS_OF)
    assert snapshot(content) == before
    assert not report.created and not report.updated and report.unchanged > 20


def _list_rows(root: Path) -> dict[str, list[dict]]:
    raw = load_content(root)
    specs = {s.target: s for s in LIST_SHEETS}
    return {k: [canonical_list_row(specs[k], r) for r in f.data["rows"]] for k, f in raw.lists.items()}


def test_round_trip_into_empty_directory_gives_the_same_records(exported, tmp_path):
    """Imported into a directory with only bureau.yaml, every case and list row comes back equal."""
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "bureau.yaml").write_bytes((FIXTURE_CONTENT / "bureau.yaml").read_bytes())
    import_file(exported, fresh, AS_OF, UPDATED)
    original = validate_content(load_content(FIXTURE_CONTENT), AS_OF)
    imported = validate_content(load_content(fresh), AS_OF)
    assert imported.cases == original.cases
    assert _list_rows(fresh) == _list_rows(FIXTURE_CONTENT)
    assert {d.updated_on for d in imported.lists.values()} == {UPDATED.updated_on}


@pytest.mark.skipif(not any((DEMO_CONTENT / "lists").glob("*.yaml")), reason="demo content not generated yet")
def test_round_trip_on_the_demo_content(tmp_path):
    """import(export(content/)) == content/, byte for byte."""
    demo = copy_content(DEMO_CONTENT, tmp_path / "demo")
    out = tmp_path / "demo.xlsx"
    export_workbook(demo, out)
    before = snapshot(demo)
    import_file(out, demo, dt.date.max - dt.timedelta(days=1))
    assert snapshot(demo) == before


# ---------------------------------------------------------------- updates

def test_changed_case_row_updates_only_its_file(exported, content, tmp_path):
    """A changed cell rewrites that record's case file and nothing else."""
    book = edit(exported, tmp_path / "b.xlsx", "行政处罚", "2026-0020", "罚款金额（元）", "6,500")
    before = snapshot(content)
    report = import_file(book, content, AS_OF)
    assert changed_files(before, snapshot(content)) == {"cases/2026/2026-0020.md"}
    assert report.updated == ["cases/2026/2026-0020.md"]
    case = next(c for c in validate_content(load_content(content), AS_OF).cases if c.id == "2026-0020")
    assert case.result.fine == Decimal(6500)


def test_changed_list_row_keeps_the_envelope_and_needs_update_date(exported, content, tmp_path):
    """R-LIST: a list whose rows change needs --updated-on (never the clock); the envelope is kept."""
    book = edit(exported, tmp_path / "b.xlsx", "执法人员清单", "赵立新", "职务/岗位", "副科长")
    before = snapshot(content)
    with pytest.raises(ContentInvalid) as exc:
        import_file(book, content, AS_OF)
    assert "--updated-on" in problems_of(exc)[0] and "执法人员清单" in problems_of(exc)[0]
    assert snapshot(content) == before
    import_file(book, content, AS_OF, ListChange(dt.date(2026, 6, 1), "调整岗位1名"))
    assert changed_files(before, snapshot(content)) == {"lists/officers.yaml"}
    old, new = (before["lists/officers.yaml"].decode(), (content / "lists/officers.yaml").read_text())
    assert new.startswith("title: 执法人员清单\nupdated_on: 2026-06-01\nhistory:\n  - {date: 2026-06-01, summary: 调整岗位1名, cause: other}\n")
    for line in old.split("rows:")[0].splitlines()[3:]:  # old history entry and approval untouched
        assert f"\n{line}\n" in new, line
    doc = validate_content(load_content(content), AS_OF).lists["officers"]
    assert doc.rows[0]["post"] == "副科长" and len(doc.history) == 2


def test_updated_on_cannot_go_backwards(exported, content, tmp_path):
    """R-LIST: the 最近更新 date shown on the page never moves back."""
    book = edit(exported, tmp_path / "b.xlsx", "执法人员清单", "赵立新", "职务/岗位", "副科长")
    with pytest.raises(ContentInvalid, match="before the list's current"):
        import_file(book, content, AS_OF, ListChange(dt.date(2025, 1, 1)))


def test_empty_full_text_cell_keeps_the_body(exported, content, tmp_path):
    """An empty 决定书全文 cell keeps the case file's full text; a new one replaces it."""
    book = edit(exported, tmp_path / "b.xlsx", "行政处罚", "2026-0012", "决定书全文", None)
    before = snapshot(content)
    import_file(book, content, AS_OF)
    assert snapshot(content) == before
    book = edit(exported, tmp_path / "c.xlsx", "行政处罚", "2026-0012", "决定书全文", "新的全文\n第二段")
    import_file(book, content, AS_OF)
    assert (content / "cases/2026/2026-0012.md").read_text().endswith("---\n\n新的全文\n第二段\n")


def test_new_decision_year_moves_the_file(exported, content, tmp_path):
    """The case file follows its decision year: cases/<year>/<id>.md."""
    book = edit(exported, tmp_path / "b.xlsx", "行政检查", "2025-0005", "决定日期", "2026年1月5日")
    report = import_file(book, content, AS_OF)
    assert report.removed == ["cases/2025/2025-0005.md"]
    assert not (content / "cases/2025/2025-0005.md").exists()
    assert "decided_on: 2026-01-05" in (content / "cases/2026/2025-0005.md").read_text()


def test_missing_columns_keep_existing_values(content, tmp_path):
    """A sheet without the approval columns keeps the approval recorded in the files (R-APPROVAL)."""
    book = workbook(tmp_path / "p.xlsx", "行政处罚", [
        ["记录编号", "文书编号", "罚款金额（万元）"],
        ["2026-0020", "测医保罚〔2026〕20号", "0.7"]])
    import_file(book, content, AS_OF)
    case = next(c for c in validate_content(load_content(content), AS_OF).cases if c.id == "2026-0020")
    assert case.result.fine == Decimal(7000) and not case.approval.missing()


# ---------------------------------------------------------------- errors

PENALTY_HEAD = ["记录编号", "文书编号", "执法事项", "执法机关", "决定日期", "当事人类型", "当事人名称",
                "统一社会信用代码", "主要违法事实", "执法依据", "处罚类别", "罚款金额（元）", "处罚内容"]


def penalty(case_id, doc_no, **over) -> list:
    row = {"记录编号": case_id, "文书编号": doc_no, "执法事项": "XZCF-001", "执法机关": "测试市医疗保障局",
           "决定日期": "2026/3/2", "当事人类型": "法人或其他组织", "当事人名称": "测试新药房有限公司",
           "统一社会信用代码": "91220101MA00011111", "主要违法事实": "串换药品。", "执法依据": "条例第三十八条",
           "处罚类别": "罚款、责令退回", "罚款金额（元）": "5.2万", "处罚内容": "处罚款52000元。"} | over
    return [row[h] for h in PENALTY_HEAD]


def test_every_problem_is_reported_at_once_and_nothing_is_written(content, tmp_path):
    """Errors name the sheet, the Excel row, the column and the fix; an invalid row writes nothing."""
    book = workbook(tmp_path / "p.xlsx", "行政处罚", [
        PENALTY_HEAD,
        penalty("2026-0100", "测医保罚〔2026〕100号"),
        penalty("2026-0101", "测医保罚〔2026〕101号", **{"决定日期": "3/2/2026"}),
        penalty("2026-0102", "测医保罚〔2026〕102号", **{"罚款金额（元）": "伍万元", "执法事项": "XZCF-999"}),
        penalty("2026-0103", "测医保罚〔2026〕12号", **{"统一社会信用代码": "91220101MA00011112"}),
        penalty("2026-0104", "", **{"处罚类别": "罚款、拘留"})])
    before = snapshot(content)
    with pytest.raises(ContentInvalid) as exc:
        import_file(book, content, AS_OF)
    text = "\n".join(problems_of(exc))
    assert snapshot(content) == before
    for expected in ("第3行「决定日期」", "第4行「罚款金额（元）」", "第4行「执法事项」",
                     "第5行「统一社会信用代码」", "第5行「文书编号」", "第6行「文书编号」", "第6行「处罚类别」"):
        assert f"p.xlsx 工作表「行政处罚」 [{expected}]" in text, expected
    assert "第2行" not in text and "修改方法" in text
    assert len(exc.value.problems) == 8  # 测医保罚〔2026〕12号 is reported on both records using it


def test_text_dates_amounts_and_separators_are_understood(content, tmp_path):
    """2026年3月2日 / 2026.3.2, 52,000 / 5.2万 / 万元 columns and 、;,， separators all read the same."""
    rows = [penalty(f"2026-01{i}", f"测医保罚〔2026〕1{i}0号", **{"决定日期": d, "罚款金额（元）": a, "处罚类别": c})
            for i, (d, a, c) in enumerate([("2026年3月2日", "52,000", "罚款;责令退回"),
                                           ("2026.3.2", 52000, "罚款,责令退回"),
                                           (dt.datetime(2026, 3, 2), "52000元", "罚款，责令退回")])]
    import_file(workbook(tmp_path / "p.xlsx", "行政处罚", [PENALTY_HEAD, *rows]), content, AS_OF)
    cases = [c for c in validate_content(load_content(content), AS_OF).cases if c.id.startswith("2026-01")]
    assert len(cases) == 3
    assert {(c.decided_on, c.result.fine, c.result.categories) for c in cases} == {
        (dt.date(2026, 3, 2), Decimal(52000), ("罚款", "责令退回"))}


@pytest.mark.parametrize("value, message", [
    ("52,0000", "not an amount"), ("12.345", "two decimal places"), ("-5", "negative"),
    (0.1 + 0.2, "two decimal places")])
def test_ambiguous_amounts_are_errors(value, message):
    """Anything ambiguous is an error, never a guess."""
    with pytest.raises(CellError, match=message):
        parse_cell(Column("fine", "罚款", "amount"), value)


@pytest.mark.parametrize("value", ["3/2/2026", "26-3-2", "2026-02-30", 46083, "2026年3月"])
def test_ambiguous_dates_are_errors(value):
    """A date in any other form (or an Excel serial number) is refused."""
    with pytest.raises(CellError):
        parse_cell(Column("d", "日期", "date"), value)


@pytest.mark.parametrize("value, message", [
    (2.2010219660216e17, "2.20102196602160E+17 has more digits than Excel keeps"),
    ("2.20102E+17", "scientific notation"),
    (22010021001, "stored as a number")])
def test_numbers_in_code_columns_are_rejected(value, message, content, tmp_path):
    """An ID stored as a number (precision lost, leading zeros dropped) is rejected with the fix."""
    book = workbook(tmp_path / "o.xlsx", "执法人员清单", [
        ["姓名", "性别", "执法区域", "所在单位", "执法证件编号", "职务/岗位"],
        ["赵立新", "男", "测试市", "基金监管科", value, "科长"]])
    with pytest.raises(ContentInvalid) as exc:
        import_file(book, content, AS_OF, UPDATED)
    [problem] = problems_of(exc)
    assert "第2行「执法证件编号」" in problem and message in problem and "文本" in problem


def test_unknown_sheets_columns_and_duplicate_keys(content, tmp_path):
    """Nothing disappears silently: unknown columns and sheets with data, repeated keys."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "执法人员清单"
    for row in (["姓名", "性别", "执法区域", "所在单位", "执法证件编号", "职务/岗位", "手机号"],
                ["赵立新", "男", "测试市", "基金监管科", "22010021001", "科长", "138"],
                ["赵立新", "男", "测试市", "基金监管科", "22010021001", "科长", None]):
        ws.append(row)
    wb.create_sheet("Sheet2").append(["随便", "写点"])
    wb.save(tmp_path / "o.xlsx")
    with pytest.raises(ContentInvalid) as exc:
        import_file(tmp_path / "o.xlsx", content, AS_OF, UPDATED)
    text = "\n".join(problems_of(exc))
    assert "unknown column 「手机号」" in text
    assert "[第3行「执法证件编号」]: 22010021001 appears again (first in row 2)" in text
    assert "工作表「Sheet2」: not a sheet gongshi knows" in text


def test_a_title_row_merged_headers_and_trailing_empty_rows(content, tmp_path):
    """A provincial-style sheet: merged title, 当事人 group header over its columns, blank tail."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["2026年行政处罚结果公示"])
    ws.merge_cells("A1:M1")
    head = PENALTY_HEAD[:5] + ["当事人", None, None] + PENALTY_HEAD[8:]
    ws.append(head)
    ws.append(PENALTY_HEAD[:5] + ["类型", "名称", "统一社会信用代码"] + PENALTY_HEAD[8:])
    ws.merge_cells("F2:H2")
    for col in [c for c in range(1, 14) if c not in (6, 7, 8)]:
        ws.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
    ws.append(penalty("2026-0200", "测医保罚〔2026〕200号"))
    for _ in range(3):
        ws.append([None] * 12 + [" "])
    wb.save(tmp_path / "m.xlsx")
    report = import_file(tmp_path / "m.xlsx", content, AS_OF)
    assert report.created == ["cases/2026/2026-0200.md"]
    text = (content / "cases/2026/2026-0200.md").read_text()
    assert "party: {kind: organisation, name: 测试新药房有限公司, credit_code: 91220101MA00011111}" in text


# ---------------------------------------------------------------- csv

OFFICERS_CSV = "姓名,性别,执法区域,所在单位,执法证件编号,职务/岗位\n赵立新,男,测试市,基金监管科,022010021001,科长\n钱晓梅,女,测试市,基金监管科,22010021002,科员\n,,,,,\n"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_csv_in_utf8_or_gbk(encoding, content, tmp_path):
    """CSV files from Excel (UTF-8 with BOM) or WPS (GBK) import alike; codes keep leading zeros."""
    path = tmp_path / "officers.csv"
    path.write_bytes(OFFICERS_CSV.replace("\n", "\r\n").encode(encoding))
    import_file(path, content, AS_OF, UPDATED)
    rows = validate_content(load_content(content), AS_OF).lists["officers"].rows
    assert [r["cert_no"] for r in rows] == ["022010021001", "22010021002"]


def test_csv_scientific_notation_is_rejected(content, tmp_path):
    """A CSV saved by Excel after it turned an ID into 2.20102E+17 is refused."""
    path = tmp_path / "执法人员清单.csv"
    path.write_text(OFFICERS_CSV.replace("022010021001", "2.20102E+17"), encoding="utf-8")
    with pytest.raises(ContentInvalid, match=r"执法人员清单.csv \[第2行「执法证件编号」\]: 2.20102E\+17"):
        import_file(path, content, AS_OF, UPDATED)


def test_list_rows_are_checked_like_list_files(content, tmp_path):
    """Required list fields point at their row and column; records the import breaks are named too."""
    officers = tmp_path / "officers.csv"
    officers.write_text(OFFICERS_CSV.replace(",科长", ","), encoding="utf-8")
    with pytest.raises(ContentInvalid) as exc:
        import_file(officers, content, AS_OF, UPDATED)
    assert problems_of(exc) == ["officers.csv [第2行「职务/岗位」]: required field is missing or empty\n"
                                "    修改方法 / fix: fill it in"]
    items = tmp_path / "行政执法事项清单.csv"
    items.write_text("事项编码,事项名称,事项类别,执法依据,实施主体\nXZCF-001,处罚,行政处罚,B01;B02,局\n",
                     encoding="utf-8")
    with pytest.raises(ContentInvalid) as exc:
        import_file(items, content, AS_OF, UPDATED)
    assert "cases/2025/2025-0005.md [item]: unknown 执法事项 'XZJC-001' (after this import)" in problems_of(exc)[0]


def test_change_note_of_law_needs_effective_date(exported, content, tmp_path):
    """R-LIST: a history entry caused by a change of law needs its effective date."""
    book = edit(exported, tmp_path / "b.xlsx", "执法人员清单", "赵立新", "职务/岗位", "副科长")
    change = ListChange(dt.date(2026, 6, 1), "依据新法调整", "law")
    with pytest.raises(ContentInvalid, match=r"history\[1\]\.effective_on"):
        import_file(book, content, AS_OF, change)
    import_file(book, content, AS_OF, dataclasses.replace(change, effective_on=dt.date(2026, 5, 1)))
    doc = validate_content(load_content(content), AS_OF).lists["officers"]
    assert doc.history[0].cause == "law" and doc.history[0].effective_on == dt.date(2026, 5, 1)


# ---------------------------------------------------------------- template

def test_templates_have_headers_help_and_dropdowns(tmp_path):
    """One template per list and result type, Chinese headers, 说明 sheet, dropdowns from the content."""
    paths = write_templates(tmp_path, FIXTURE_CONTENT)
    assert len(paths) == len(LIST_SCHEMAS) + len(CASE_SHEETS)
    wb = openpyxl.load_workbook(tmp_path / "清单-执法人员清单.xlsx")
    assert [c.value for c in wb["执法人员清单"][1]] == [label for _, label in LIST_SCHEMAS["officers"].columns]
    assert wb.sheetnames == ["执法人员清单", "说明", "选项"] and wb["选项"].sheet_state == "hidden"
    wb = openpyxl.load_workbook(tmp_path / "结果-行政处罚.xlsx")
    ws, options = wb["行政处罚"], wb["选项"]
    headers = [c.value for c in ws[1]]
    rules = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}

    def dropdown(header):
        letter = openpyxl.utils.get_column_letter(headers.index(header) + 1)
        dv = rules[f"{letter}2"]
        col = dv.formula1.split("!$")[1].split("$")[0]
        return dv, [c.value for c in options[col][1:] if c.value]

    assert dropdown("执法事项")[1] == ["XZCF-001", "XZJC-001", "XZQZ-001", "SJCC-001"]
    kind, values = dropdown("当事人类型")
    assert kind.errorStyle == "stop" and values == ["法人或其他组织", "个体工商户", "自然人"]
    assert dropdown("状态")[1][0] == "有效" and "责令退回" in dropdown("处罚类别")[1]
    assert rules[openpyxl.utils.get_column_letter(headers.index("决定日期") + 1) + "2"].type == "date"
    help_rows = list(wb["说明"].iter_rows(values_only=True))
    assert all(any(r[1] == h for r in help_rows) for h in headers)


def test_an_empty_template_imports_nothing(tmp_path, content):
    """Importing an unfilled template is an error that says so, not a silent no-op."""
    write_templates(tmp_path / "t")
    with pytest.raises(ContentInvalid, match="no data rows"):
        import_file(tmp_path / "t/结果-行政处罚.xlsx", content, AS_OF)


# ---------------------------------------------------------------- pieces

def test_list_file_splice_keeps_comments_and_falls_back_safely():
    """Only rows and updated_on change in an existing list file; odd layouts are rewritten whole."""
    old = "# 人员清单\ntitle: 执法人员清单\nupdated_on: 2026-01-05  # 最近\nrows:\n  - {name: 甲}\napproval: {approved_on: 2026-01-05}\n"
    new = render_list(old, {"updated_on": dt.date(2026, 2, 1)}, [{"name": "乙"}])
    assert new == "# 人员清单\ntitle: 执法人员清单\nupdated_on: 2026-02-01\nrows:\n  - {name: 乙}\napproval: {approved_on: 2026-01-05}\n"
    flow = "title: t\nupdated_on: 2026-01-05\nrows: [{name: 甲}]\n"
    assert render_list(flow, {"updated_on": dt.date(2026, 2, 1)}, [{"name": "乙"}]) == \
        "title: t\nupdated_on: 2026-02-01\nrows:\n  - {name: 乙}\n"


_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1).map(str.strip).filter(bool)


@settings(max_examples=60, deadline=None)
@given(text=_TEXT, amount=st.decimals(0, 10**9, places=2),
       day=st.dates(dt.date(1990, 1, 1), dt.date(2099, 12, 31)),
       names=st.lists(st.text("赵钱孙李周吴郑王某欧阳", min_size=1, max_size=4), max_size=4))
def test_cells_read_back_what_was_written(text, amount, day, names):
    """to_cell then parse_cell is the identity on canonical values (the export/import round trip)."""
    cases = [(Column("t", "t"), text), (Column("a", "a", "amount"), amount or None),
             (Column("d", "d", "date"), day), (Column("m", "m", "multi"), tuple(names))]
    for column, value in cases:
        assert parse_cell(column, to_cell(column, value)) == value


def test_cli_template_export_import(tmp_path):
    """The three commands run end to end and report what they did."""
    runner = CliRunner()
    content = copy_content(FIXTURE_CONTENT, tmp_path / "c")
    result = runner.invoke(cli, ["template", str(tmp_path / "t"), "--content", str(content)],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "结果-行政处罚.xlsx" in result.output
    result = runner.invoke(cli, ["export", "--content", str(content), str(tmp_path / "x.xlsx")],
                           catch_exceptions=False)
    assert result.exit_code == 0 and "行政处罚: 7 row(s)" in result.output, result.output
    result = runner.invoke(cli, ["import", str(tmp_path / "x.xlsx"), "--content", str(content),
                                 "--as-of", "2026-11-23", "--dry-run"], catch_exceptions=False)
    assert result.exit_code == 0 and "nothing changed" in result.output, result.output
    bad = edit(tmp_path / "x.xlsx", tmp_path / "y.xlsx", "行政处罚", "2026-0020", "决定日期", "2026-02-30")
    result = runner.invoke(cli, ["import", str(bad), "--content", str(content), "--as-of", "2026-11-23"])
    assert result.exit_code == 1 and "第" in result.output and "决定日期" in result.output


def test_docs_cover_the_commands():
    """docs/excel.md documents every command and option of the Excel workflow."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "excel.md").read_text(encoding="utf-8")
    for name in ("template", "import", "export"):
        command = cli.commands[name]
        assert f"gongshi {name}" in text
        for param in command.params:
            if param.opts[0].startswith("--") and param.name not in ("help",):
                assert param.opts[0] in text, param.opts[0]
