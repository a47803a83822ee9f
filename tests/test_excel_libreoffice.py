"""Import workbooks written by LibreOffice Calc, not only by openpyxl (issue 10).

Two real conversions (``soffice --headless --convert-to xlsx``), made once per module:
openpyxl workbooks re-saved by LibreOffice (an export of the fixture corpus; a register
with merged title and group headers, numbers stored as text, trailing formatted empty
rows), and a CSV whose 18-digit ID number
LibreOffice turns into a float (2.20102196602160E+17: digits lost), which the import
must refuse.  Needs the Debian package libreoffice-calc (``make system-deps``).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font

from gongshi.excel import ListChange, export_workbook, import_file
from pipeline.errors import ContentInvalid
from pipeline.load import load_content
from pipeline.validate import validate_content
from tests.support import FIXTURE_AS_OF, FIXTURE_CONTENT, copy_content

SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (libreoffice-calc) not installed")

OFFICER_HEAD = ["姓名", "性别", "执法区域", "所在单位", "执法证件编号", "职务/岗位"]
CASE_HEAD = ["记录编号", "文书编号", "执法事项", "执法机关", "决定日期", "当事人", None, None,
             "主要违法事实", "执法依据", "处罚类别", "罚款金额（万元）", "处罚内容", "批准日期"]
CASE_SUB = ["类型", "名称", "统一社会信用代码"]


def _register(path: Path) -> Path:
    """A provincial-style register as openpyxl writes it (LibreOffice re-saves it)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2026年行政处罚"
    ws.append(["测试市医疗保障局2026年行政处罚决定公示"])
    ws.merge_cells("A1:N1")
    ws.append(CASE_HEAD)
    ws.append([None] * 5 + CASE_SUB + [None] * 6)
    ws.merge_cells("F2:H2")
    for col in [c for c in range(1, 15) if c not in (6, 7, 8)]:
        ws.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
    ws.append(["2026-0300", "测医保罚〔2026〕300号", "XZCF-001", "测试市医疗保障局", "2026年3月2日",
               "法人或其他组织", "测试长青药房有限公司", "91220101MA00011111", "串换药品。",
               "条例第三十八条", "罚款、责令退回", "0.52", "处罚款5200元。", dt.date(2026, 3, 5)])
    ws.append(["2026-0301", "测医保罚〔2026〕301号", "XZCF-001", "测试市医疗保障局", dt.date(2026, 3, 9),
               "个人", "欧阳某某", None, "冒用医保凭证。", "条例第四十一条", "罚款", "1.2", "处罚款12000元。",
               "2026/3/10"])
    for row in range(6, 12):  # formatted but empty: LibreOffice keeps these rows
        for col in range(1, 15):
            ws.cell(row, col).font = Font(bold=True)
    officers = wb.create_sheet("执法人员清单")
    officers.append(OFFICER_HEAD)
    officers.append(["赵立新", "男", "测试市", "基金监管科", "022010021001", "科长"])  # text with a leading zero
    officers.append(["孙立", "女", "测试市", "基金监管科", "22010021009", "科员"])
    officers.cell(6, 5).font = Font(bold=True)
    wb.save(path)
    return path


def _csv(path: Path) -> Path:
    lines = [",".join(OFFICER_HEAD),
             "赵立新,男,测试市,基金监管科,220102196602160295,科长",  # an ID number typed into the column
             "钱晓梅,女,测试市,基金监管科,22010021002,科员", ",,,,,", ",,,,,", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    """Both files converted by LibreOffice (two soffice runs: the CSV needs its own input filter)."""
    src, out = tmp_path_factory.mktemp("lo-src"), tmp_path_factory.mktemp("lo-out")
    profile = tmp_path_factory.mktemp("lo-profile").as_uri()
    base = [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xlsx",
            "--outdir", str(out)]
    export_workbook(FIXTURE_CONTENT, src / "export.xlsx")
    runs = [[*base, str(_register(src / "register.xlsx")), str(src / "export.xlsx")],
            # CSV filter: comma, double quote, UTF-8 (76), from line 1
            [*base, "--infilter=CSV:44,34,76,1", str(_csv(src / "执法人员清单.csv"))]]
    for command in runs:
        done = subprocess.run(command, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr
    for name in ("register.xlsx", "export.xlsx", "执法人员清单.xlsx"):
        assert (out / name).exists(), name
    return out


def test_libreoffice_workbook_with_merged_headers_imports(converted, tmp_path):
    """Merged title and group headers, text numbers, 万元 amounts and trailing rows read correctly."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    report = import_file(converted / "register.xlsx", content, FIXTURE_AS_OF,
                         ListChange(dt.date(2026, 6, 1)))
    assert report.created == ["cases/2026/2026-0300.md", "cases/2026/2026-0301.md"]
    assert report.updated == ["lists/officers.yaml"]
    result = validate_content(load_content(content), FIXTURE_AS_OF)
    cases = {c.id: c for c in result.cases}
    assert cases["2026-0300"].decided_on == dt.date(2026, 3, 2)
    assert cases["2026-0300"].result.fine == 5200
    assert cases["2026-0300"].result.categories == ("罚款", "责令退回")
    assert cases["2026-0300"].party.credit_code == "91220101MA00011111"
    assert cases["2026-0301"].party.kind == "natural_person"
    assert cases["2026-0301"].approval.approved_on == dt.date(2026, 3, 10)
    assert [r["cert_no"] for r in result.lists["officers"].rows] == ["022010021001", "22010021009"]
    before = {p: p.read_bytes() for p in content.rglob("*") if p.is_file()}
    import_file(converted / "register.xlsx", content, FIXTURE_AS_OF, ListChange(dt.date(2026, 6, 1)))
    assert {p: p.read_bytes() for p in content.rglob("*") if p.is_file()} == before


def test_export_resaved_by_libreoffice_changes_nothing(converted, tmp_path):
    """import(LibreOffice(export(x))) == x: the template format survives a LibreOffice save."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    before = {p: p.read_bytes() for p in content.rglob("*") if p.is_file()}
    report = import_file(converted / "export.xlsx", content, FIXTURE_AS_OF)
    assert not report.created and not report.updated
    assert {p: p.read_bytes() for p in content.rglob("*") if p.is_file()} == before


def test_id_number_stored_as_float_is_rejected(converted, tmp_path):
    """An 18-digit number that LibreOffice stored as 2.20102196602160E+17 is refused, not imported."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    assert isinstance(openpyxl.load_workbook(converted / "执法人员清单.xlsx").active["E2"].value, float)
    with pytest.raises(ContentInvalid) as exc:
        import_file(converted / "执法人员清单.xlsx", content, FIXTURE_AS_OF, ListChange(dt.date(2026, 6, 1)))
    first, second = (str(p) for p in exc.value.problems)
    assert first.startswith("执法人员清单.xlsx 工作表「执法人员清单」 [第2行「执法证件编号」]: "
                            "the number 2.20102196602160E+17 has more digits than Excel keeps")
    assert "文本" in first
    assert "[第3行「执法证件编号」]: 22010021002 is stored as a number" in second
    assert (content / "lists/officers.yaml").read_bytes() == (FIXTURE_CONTENT / "lists/officers.yaml").read_bytes()
