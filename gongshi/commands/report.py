"""``gongshi report …``: reports for supervisors, computed in memory (nothing is written)."""

from __future__ import annotations

import json

import click

from gongshi.cli import as_of_option, cli, content_option, reports_errors


@cli.group()
def report():
    """Reports for supervisors (timeliness of publication).

    Example: gongshi report timeliness --content content --as-of 2026-11-23 --json
    """


@report.command()
@content_option
@as_of_option
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON array, one object per result (SPEC §8), instead of a table.")
@reports_errors
def timeliness(content_dir, as_of, as_json):
    """Working days from decision to first publication, per result (R-7WD, R-20WD).

    For every result: decision date, first publication date (ledger, or this
    --as-of for a result the next build would publish), working days between
    (decision day not counted, publication day counted; State Council schedule
    with 调休, R-WD), the limit (7 for penalties, 20 otherwise), the deadline and
    the status: on_time, late, pending, due_soon (≤ 2 working days left) or
    pending_overdue.  A year with no known holiday schedule is an error naming
    the calendar file to add.

    Example: gongshi report timeliness --content content --as-of 2026-11-23 --json
    """
    from pipeline.timeliness import as_json as rows_as_json
    from publish.sections.timeliness import format_table, timeliness_report

    rows = timeliness_report(content_dir, as_of)
    if as_json:
        click.echo(json.dumps(rows_as_json(rows), ensure_ascii=False, indent=2))
    else:
        click.echo(format_table(rows, as_of))
