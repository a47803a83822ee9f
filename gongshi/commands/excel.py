"""``gongshi template``, ``gongshi import``, ``gongshi export``: work on lists and results
in Excel, WPS or LibreOffice instead of YAML (docs/excel.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from gongshi.cli import as_of_option, cli, content_option, reports_errors


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: write YYYY-MM-DD, e.g. 2026-03-02") from None


@cli.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--content", "content_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Read the current 执法事项 codes and 执法依据 ids from this content "
                   "directory for the dropdowns (without it those columns have none).")
@reports_errors
def template(out_dir, content_dir):
    """Write one empty .xlsx template per list and per result type into OUT_DIR.

    Each has the Chinese headers in row 1, a 说明 sheet explaining every column,
    and dropdowns where the values are closed.

    Example: gongshi template templates --content content
    """
    from gongshi.excel import write_templates

    for path in write_templates(out_dir, content_dir):
        click.echo(str(path))


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@content_option
@click.option("--updated-on", callback=_date, metavar="YYYY-MM-DD",
              help="最近更新 date of every list whose rows change (required then; "
                   "never taken from the clock, R-LIST).")
@click.option("--change-note", default="", metavar="TEXT",
              help="Also add this entry to the change history of every list whose rows change.")
@click.option("--change-cause", type=click.Choice(["law", "function", "other"]), default="other",
              show_default=True, help="Cause of the change, for --change-note (R-LIST).")
@click.option("--effective-on", callback=_date, metavar="YYYY-MM-DD",
              help="When the law or function change took effect (needed for law/function).")
@as_of_option
@click.option("--dry-run", is_flag=True, help="Check and report, write nothing.")
@reports_errors
def import_(file, content_dir, updated_on, change_note, change_cause, effective_on, as_of, dry_run):
    """Import a filled template (.xlsx, or .csv in UTF-8 or GBK) into the content.

    Every row is checked with the same rules as the content files; on any problem
    all of them are listed (sheet, row, column, fix) and nothing is written.
    Re-importing an unchanged sheet changes no file.

    Example: gongshi import 执法人员清单.xlsx --content content --updated-on 2026-03-02
    """
    from gongshi.excel import ListChange, format_report, import_file

    change = ListChange(updated_on, change_note, change_cause, effective_on)
    report = import_file(file, content_dir, as_of, change, dry_run=dry_run)
    click.echo(format_report(report, dry_run))


@cli.command()
@content_option
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@reports_errors
def export(content_dir, out):
    """Write the current lists and results to one workbook OUT (.xlsx) in the template format.

    Importing it again into the same content changes nothing.

    Example: gongshi export --content content gongshi.xlsx
    """
    from gongshi.excel import export_workbook, format_export

    click.echo(format_export(export_workbook(content_dir, out), out))
