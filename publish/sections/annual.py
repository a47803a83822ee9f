"""年报: the annual enforcement statistics, one page per finished year (R-ANNUAL).

003 三(三)3 and 004 (三): the previous year's figures are published by 31 January.
The 年报 is itself a record that needs approval (R-APPROVAL), given in
``content/annual/<year>.yaml`` (docs/content-format.md): a year's page appears only
when that file carries all four approvals and its publication date has come.
From 1 January the build warns while the previous year's report is missing.

Figures (``pipeline.stats.annual_stats``) count every approved result decided in the
year — withdrawn and expired ones too — except ``disclose: none`` records
(R-NOPUB, 002 第九条): with a handful of cases a count or a fine total would let
anyone subtract the published results and learn of a withheld decision, so the
aggregate fails closed.  The on-time rate is assessed as of the report's
publication date, so a published report's figure does not drift.

Pages: ``annual/`` (index) and ``annual/<year>/`` with bar charts drawn here as
inline SVG (role=img, <title>, <desc>) each beside a data table; the same figures
as ``annual/<year>/stats.csv`` (UTF-8 with BOM, CRLF) written after rendering.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from markupsafe import Markup

from pipeline.errors import CalendarMissing, ContentInvalid, Problem
from pipeline.load import decode_text, parse_yaml
from pipeline.model import CASE_TYPE_LABELS, Approval, Hold
from pipeline.stats import YearStats, annual_report_due, annual_stats, stats_csv_rows
from pipeline.timeliness import assess
from pipeline.values import format_amount, spreadsheet_text

from ..pages import Page, SiteData
from .timeliness import work_calendar

NAV = [("年报", "annual/")]
ORDER = 40
ANNUAL_DIR = "annual"
_FIELDS = frozenset({"year", "approval", "published_on", "note"})
_APPROVAL_FIELDS = ("reviewed_by", "secrecy_review", "approved_by", "approved_on")


@dataclass(frozen=True)
class AnnualRecord:
    """content/annual/<year>.yaml: the approval of one year's 年报."""

    year: int
    source: str
    approval: Approval = field(default_factory=Approval)
    published_on: dt.date | None = None  # defaults to approval.approved_on
    note: str = ""

    @property
    def publication_date(self) -> dt.date | None:
        """The day the report goes public: ``published_on``, else the approval date."""
        return self.published_on or self.approval.approved_on


@dataclass
class AnnualPlan:
    """What the 年报 section publishes this build, and what it reports."""

    reports: list[tuple[AnnualRecord, YearStats]] = field(default_factory=list)  # newest first
    held: list[Hold] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- reading


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _approval(data: object, source: str, problems: list[Problem]) -> Approval:
    if not isinstance(data, dict):
        problems.append(Problem(source, "approval", "approval must be a mapping",
                                "approval: {reviewed_by: …, secrecy_review: …, approved_by: …, approved_on: YYYY-MM-DD}"))
        return Approval()
    for key in sorted(set(data) - set(_APPROVAL_FIELDS)):
        problems.append(Problem(source, f"approval.{key}", "unknown field",
                                "allowed: " + ", ".join(_APPROVAL_FIELDS)))
    approved_on = data.get("approved_on")
    if approved_on is not None and _date(approved_on) is None:
        problems.append(Problem(source, "approval.approved_on", f"{approved_on!r} is not a date",
                                "write YYYY-MM-DD"))
    return Approval(*(str(data.get(k) or "").strip() for k in _APPROVAL_FIELDS[:3]),
                    _date(approved_on) if approved_on is not None else None)


def parse_record(data: object, source: str, stem: str) -> tuple[AnnualRecord | None, list[Problem]]:
    """One annual file's record and its problems (unknown field, bad date, year ≠ file name…)."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        return None, [Problem(source, "", "expected a mapping of field: value", "see docs/content-format.md")]
    for key in sorted(set(data) - _FIELDS):
        problems.append(Problem(source, key, "unknown field", "allowed: year, approval, published_on, note"))
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or str(year) != stem:
        problems.append(Problem(source, "year", f"year must be the file's year {stem}", f"year: {stem}"))
        return None, problems
    approval = _approval(data.get("approval"), source, problems)
    published_on = _date(data["published_on"]) if data.get("published_on") is not None else None
    if data.get("published_on") is not None and published_on is None:
        problems.append(Problem(source, "published_on", "not a date", "write YYYY-MM-DD"))
    for name, day in (("approval.approved_on", approval.approved_on), ("published_on", published_on)):
        if day is not None and day.year <= year:
            # A year's report can only be approved and published after the year has ended.
            problems.append(Problem(source, name, f"{day} is not after the end of {year}",
                                    f"a {year} report is approved and published in {year + 1} or later"))
    if published_on and approval.approved_on and published_on < approval.approved_on:
        problems.append(Problem(source, "published_on", "before approval.approved_on",
                                "publish on or after the approval date"))
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        problems.append(Problem(source, "note", "note must be text", "note: |"))
    return AnnualRecord(year, source, approval, published_on, note or ""), problems


def read_records(content_dir: Path | None) -> dict[int, AnnualRecord]:
    """Every ``annual/<year>.yaml`` in ``content_dir`` by year ({} if none or no dir).

    Raises ContentInvalid listing every problem of every file at once.
    """
    if content_dir is None:
        return {}
    records, problems = {}, []
    for path in sorted((Path(content_dir) / ANNUAL_DIR).glob("*.yaml")):
        source = f"{ANNUAL_DIR}/{path.name}"
        text, problem = decode_text(path.read_bytes(), source)
        data, problem = (None, problem) if problem else parse_yaml(text, source)
        record, found = (None, [problem]) if problem else parse_record(data, source, path.stem)
        problems += found
        if record is not None and not found:
            records[record.year] = record
    if problems:
        raise ContentInvalid(problems)
    return records


# ---------------------------------------------------------------- planning


def _item_names(site: SiteData) -> dict[str, str]:
    return {str(r["code"]): str(r.get("name", "")) for kind in ("items", "random")
            if kind in site.lists for r in site.lists[kind].rows}


def _year_stats(prepared, record: AnnualRecord, cases) -> YearStats:
    # Timeliness as of the publication date: later publications do not move the figure.
    as_of = min(record.publication_date, prepared.report.as_of)
    mine = [c for c in cases if c.decided_on.year == record.year]
    rows = assess(mine, prepared.site.first_pub, as_of, work_calendar(prepared))
    return annual_stats(cases, prepared.content.corrections, rows, _item_names(prepared.site),
                        record.year)


def _not_ready(record: AnnualRecord, as_of: dt.date) -> tuple[str, str] | None:
    """(rule, reason) when an approved record is not to be published yet, else None."""
    if record.year >= as_of.year:
        return "R-ANNUAL", f"{record.year}年尚未结束，年报不能公开"
    if record.publication_date > as_of:
        return "R-ANNUAL", f"定于{record.publication_date}公开"
    return None


def plan_annual(prepared) -> AnnualPlan:
    """The reports to publish as of the build date, with holds and warnings.

    A record missing an approval is held back (R-APPROVAL).  A record for an
    unfinished year or with a future publication date waits, with a warning.  A
    report whose on-time rate needs a year with no holiday schedule is held back
    with the CalendarMissing message (R-WD), so the rest of the site still publishes.
    Raises ContentInvalid for a malformed annual file.
    """
    as_of = prepared.report.as_of
    plan = AnnualPlan()
    cases = [c for c in prepared.content.cases if c.disclose != "none"]  # R-NOPUB, see module doc
    for year, record in sorted(read_records(prepared.content_dir).items(), reverse=True):
        missing = record.approval.missing()
        waiting = None if missing else _not_ready(record, as_of)
        if missing:
            plan.held.append(Hold(f"annual:{year}", record.source, "R-APPROVAL",
                                  "缺少审批: " + "、".join(f"approval.{m}" for m in missing)))
        elif waiting:
            plan.warnings.append(f"{record.source}: {year}年度年报暂不公开（{waiting[1]}）。")
        else:
            try:
                plan.reports.append((record, _year_stats(prepared, record, cases)))
            except CalendarMissing as exc:
                plan.held.append(Hold(f"annual:{year}", record.source, "R-WD", str(exc)))
    # From 1 January, until the previous year's report is out (R-ANNUAL; a year with
    # no result still owes its report: zeros are figures too).
    due = annual_report_due(as_of, {r.year for r, _ in plan.reports})
    if due:
        plan.warnings.append(due)
    return plan


# ---------------------------------------------------------------- charts

BAR_W, LABEL_W, ROW_H, PAD = 360, 220, 30, 12


def bar_chart(chart_id: str, title: str, data: list[tuple[str, int]], unit: str = "件") -> Markup:
    """A horizontal bar chart as inline SVG: role=img, <title> and <desc> carry the data.

    ``data`` is (label, value) with value >= 0; an empty list draws an empty chart
    whose <desc> says so.  Labels and title are XML-escaped; output is deterministic.
    """
    top = max((v for _, v in data), default=0) or 1
    width, height = LABEL_W + BAR_W + 90, PAD * 2 + max(len(data), 1) * ROW_H
    desc = "；".join(f"{label} {value}{unit}" for label, value in data) or "无数据"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="bars" viewBox="0 0 {width} {height}" '
             f'width="{width}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d">',
             f'<title id="{chart_id}-t">{escape(title)}</title>',
             f'<desc id="{chart_id}-d">{escape(desc)}</desc>']
    for i, (label, value) in enumerate(data):
        y = PAD + i * ROW_H
        length = round(BAR_W * value / top, 1)
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + 20}" text-anchor="end" font-size="14" '
                     f'fill="#1a1a1a">{escape(label)}</text>')
        parts.append(f'<rect x="{LABEL_W}" y="{y + 5}" width="{length}" height="{ROW_H - 10}" '
                     'fill="#1f4e79"/>')
        parts.append(f'<text x="{LABEL_W + length + 6}" y="{y + 20}" font-size="14" '
                     f'fill="#1a1a1a">{value}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


# ---------------------------------------------------------------- pages and files


def _charts(stats: YearStats) -> list[dict]:
    """Chart + table data for one year's page: by type, by penalty category, by 执法事项."""
    specs = [
        ("c-type", "按执法类别统计", "执法类别",
         [(CASE_TYPE_LABELS.get(t, t), n) for t, n in stats.by_type.items()], None),
        ("c-category", "行政处罚按处罚类别统计（一个决定可含多个类别）", "处罚类别",
         list(stats.by_category.items()), None),
        ("c-item", "按执法事项统计", "执法事项",
         [(code, n) for code, n in stats.by_item.items()],
         [(f"{code} {stats.item_names.get(code, '')}".strip(), n) for code, n in stats.by_item.items()]),
    ]
    return [{"id": cid, "title": title, "column": column, "svg": bar_chart(cid, title, data),
             "rows": table or data} for cid, title, column, data, table in specs]


def _summary(stats: YearStats) -> list[tuple[str, str]]:
    rate = stats.on_time_rate
    return [
        ("执法决定（结果）总数", f"{stats.total}件"),
        ("罚款金额", format_amount(stats.fines)),
        ("没收违法所得、没收非法财物金额", format_amount(stats.confiscated)),
        ("责令退回医保基金金额", format_amount(stats.refunds)),
        ("已核实更正的信息", f"{stats.corrections}件"),
        ("撤下的执法决定（撤销、确认违法、责令重作）", f"{stats.withdrawals}件"),
        ("按期公示", f"{stats.on_time}件（已到期 {stats.assessed}件）"),
        ("按期公示率", "—（无已到期的结果）" if rate is None else f"{rate * 100:.1f}%"),
    ]


def pages(site: SiteData, settings: dict) -> list[Page]:
    """annual/ and annual/<year>/ for every published report."""
    prepared = (settings or {}).get("GONGSHI_PREPARED")
    plan = plan_annual(prepared) if prepared is not None else AnnualPlan()
    index = [{"year": r.year, "published": r.publication_date, "total": s.total}
             for r, s in plan.reports]
    pages_ = [Page(f"{ANNUAL_DIR}/index.html", "annual_index", {"reports": index})]
    for record, stats in plan.reports:
        pages_.append(Page(f"{ANNUAL_DIR}/{record.year}/index.html", "annual", {
            "record": record, "stats": stats, "published": record.publication_date,
            "summary": _summary(stats), "charts": _charts(stats),
        }))
    return pages_


def stats_csv(stats: YearStats) -> bytes:
    """The year's figures as CSV: UTF-8 with BOM (Excel), CRLF line ends."""
    buf = io.StringIO()
    rows = ([spreadsheet_text(cell) for cell in row] for row in stats_csv_rows(stats))
    csv.writer(buf, lineterminator="\r\n").writerows(rows)  # no formulas (issue 11)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def postbuild(prepared, out: Path, settings: dict) -> None:
    """Write annual/<year>/stats.csv; report held-back reports and R-ANNUAL warnings."""
    plan = plan_annual(prepared)
    for record, stats in plan.reports:
        path = Path(out) / ANNUAL_DIR / str(record.year) / "stats.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(stats_csv(stats))
    prepared.report.held += plan.held
    prepared.report.warnings += plan.warnings
