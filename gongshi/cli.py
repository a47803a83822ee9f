"""The ``gongshi`` command line.

Each command is a thin wrapper that parses options and calls one library function.
Library errors (pipeline.errors.GongshiError) become a clean message and exit code 1;
nothing below the CLI prints or exits.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from pathlib import Path

import click

from pipeline.errors import GongshiError


def _parse_as_of(ctx, param, value):
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: write YYYY-MM-DD, e.g. 2026-11-23") from None


def as_of_option(fn):
    """--as-of: the date every date-dependent rule treats as today."""
    return click.option(
        "--as-of", callback=_parse_as_of, metavar="YYYY-MM-DD",
        help="The date treated as 'today' by every date rule (retention, deadlines, ledger). "
             "Default: today. Same content + same --as-of gives byte-identical output.",
    )(fn)


def content_option(fn):
    return click.option(
        "--content", "content_dir", type=click.Path(file_okay=False, path_type=Path),
        default=Path("content"), show_default=True,
        help="Content directory (bureau.yaml, lists/, cases/, corrections/, ledger.jsonl).",
    )(fn)


def reports_errors(fn):
    """Turn library errors into a plain message and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except GongshiError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


def progress_printer(quiet: bool):
    """A progress callback that prints one line per stage to stderr."""
    if quiet:
        return None

    def progress(message, total=None):
        if total is not None:
            click.echo(f"  … {message}/{total} pages", err=True)
        else:
            click.echo(f"• {message}", err=True)

    return progress


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="gongshi")
def cli():
    """gongshi (公示): publish a 医保局's administrative-enforcement disclosures
    (行政执法公示) as a static, searchable website.

    \b
    Typical use:
      gongshi build --content content --output output --as-of 2026-11-23
      gongshi verify output
      gongshi publish --content content --root /srv/gongshi

    Content format: docs/content-format.md. Every command explains itself with --help.
    """


@cli.command()
@content_option
@click.option("--output", "output_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("output"), show_default=True, help="Where to write the site.")
@as_of_option
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary.")
@reports_errors
def build(content_dir, output_dir, as_of, quiet):
    """Build the site without deploying it.

    Runs load → validate → approval gate → redact → retention → render → search
    index → verify.  The output directory is replaced only when every step passed.
    With a ledger.jsonl in the content directory, first publications are recorded.

    Example: gongshi build --content content --output output --as-of 2026-11-23
    """
    from publish.build import build as build_site
    from publish.summary import format_summary

    report = build_site(content_dir, output_dir, as_of, progress=progress_printer(quiet))
    click.echo(format_summary(report))


@cli.command()
@click.argument("site_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--content", "content_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also check for every personal value found in this content directory.")
@as_of_option
@reports_errors
def verify(site_dir, content_dir, as_of):
    """Scan a built site for personal data, hidden records and broken links.

    Without --content it checks number patterns (ID, phone, card) and links; with
    --content it also looks for every personal value and every held-back,
    withdrawn or expired record of that content.  Exit code 1 on any finding.

    Example: gongshi verify output --content content
    """
    from publish.assemble import bureau_allow_list
    from publish.build import prepare
    from publish.verify import verify_site

    secrets, allow = set(), frozenset()
    if content_dir:
        prepared = prepare(content_dir, as_of)
        secrets, allow = prepared.secrets, bureau_allow_list(prepared.content)
    verify_site(site_dir, secrets, allow)
    click.echo(f"{site_dir}: clean (no personal data, no hidden record, no broken link)")


def _load_command_modules() -> None:
    """Import every module of gongshi.commands; each adds its commands to ``cli``."""
    import importlib
    import pkgutil

    from gongshi import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        importlib.import_module(f"gongshi.commands.{info.name}")


_load_command_modules()


def main() -> None:
    """Console-script entry point: one command, then the process ends, so what each
    stage leaves alive may stay frozen out of the cycle collector (publish.heap)."""
    from publish.heap import keep_survivors_frozen

    keep_survivors_frozen()
    sys.exit(cli(prog_name="gongshi"))  # noqa: RET503
