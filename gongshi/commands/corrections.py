"""``gongshi correction …``: correction requests (R-CORR, 002 第十七条).

"医疗保障部门应当及时予以更正并书面答复申请人": the bureau replies in writing.
``gongshi correction reply ID`` renders that written reply (书面答复) as a printable
HTML letter.  The letter names the applicant and their contact, so it is PRIVATE:
it is written outside the public site (default ``<content>/../replies/<ID>.html``,
owner-only permissions) and the command refuses a path inside a built site or a
release.  The public case page only ever shows the dated "更正记录".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import click
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from gongshi.cli import as_of_option, cli, content_option, reports_errors
from pipeline.errors import GongshiError
from pipeline.model import Case, Content, Correction

LETTERS_DIR = Path(__file__).resolve().parents[2] / "themes" / "gongshi" / "letters"
REPLY_TEMPLATE = "reply.html"
# A directory holding any of these is a built site or a release (publish/postbuild.py
# writes sitemap.xml; Pelican copies the theme to theme/; deploy keeps releases/).
SITE_MARKERS = ("sitemap.xml", "theme/site.css", "pagefind", "releases")


class CorrectionNotFound(GongshiError):
    """No correction request has the id asked for."""


class ReplyNotReady(GongshiError):
    """The request has no decision yet, so there is nothing to reply."""


class UnsafeLetterPath(GongshiError):
    """The letter would be written where the public could download it (R-CORR)."""


def default_letter_path(content_dir: Path, correction_id: str) -> Path:
    """``<content>/../replies/<ID>.html``: beside the content, never under a site."""
    return Path(content_dir).resolve().parent / "replies" / f"{correction_id}.html"


def public_root_of(path: Path) -> Path | None:
    """The built site or publish root that contains ``path``, or None.

    Any existing ancestor holding a SITE_MARKERS entry counts (symlinks such as
    ``current`` are resolved first, so a path through them is caught too).
    """
    resolved = Path(path).resolve()
    for folder in [resolved, *resolved.parents]:
        if folder.is_dir() and any((folder / marker).exists() for marker in SITE_MARKERS):
            return folder
    return None


def find_correction(content: Content, correction_id: str) -> tuple[Correction, Case]:
    """The correction request ``correction_id`` and the (source) case it names.

    Raises CorrectionNotFound listing the known ids, or ReplyNotReady for a
    pending request (R-CORR: the reply follows the decision).
    """
    found = {c.id: c for c in content.corrections}
    corr = found.get(correction_id)
    if corr is None:
        known = ", ".join(sorted(found)) or "none"
        raise CorrectionNotFound(
            f"no correction request with id {correction_id!r} in corrections/ (known: {known})")
    if corr.decision == "pending" or corr.decided_on is None:
        raise ReplyNotReady(
            f"{corr.source}: the request has no decision yet\n"
            "    修改方法 / fix: set decision (accepted or rejected) and decided_on, then run again")
    case = next(c for c in content.cases if c.id == corr.case)  # validate_content checked it
    return corr, case


def _case_redactor(case: Case, allow: frozenset[str]):
    """Masks the persons of ``case`` in a text (R-PII: the applicant may be a third party)."""
    from pipeline.redact import redact_case  # late: keeps `gongshi --help` light

    def redact(text: str) -> str:
        probe = dataclasses.replace(case, facts=text, body="", status_note="")
        return redact_case(probe, allow).case.facts

    return redact


def render_reply(context: dict) -> str:
    """The letter HTML for a ``reply_letter_context`` dict plus ``letter_date``.

    Plain Jinja2 with autoescape (every value is escaped); a missing key is an error.
    """
    from publish.filters import FILTERS

    env = Environment(loader=FileSystemLoader(str(LETTERS_DIR)), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(FILTERS)
    return env.get_template(REPLY_TEMPLATE).render(**context)


def write_reply_letter(content_dir: Path, correction_id: str, output: Path | None,
                       as_of: dt.date) -> Path:
    """Write the written reply of ``correction_id`` to ``output``; returns the path.

    Loads and validates the content as of ``as_of`` (raises ContentInvalid), finds
    the request (CorrectionNotFound, ReplyNotReady), refuses an ``output`` inside a
    built site or publish root (UnsafeLetterPath).  The letter is dated the
    request's ``reply_on``, else ``as_of``; the file is created owner-only (0600).
    """
    from pipeline.corrections import reply_letter_context
    from pipeline.load import load_content
    from pipeline.validate import validate_content
    from publish.assemble import bureau_allow_list

    content = validate_content(load_content(Path(content_dir)), as_of)
    corr, case = find_correction(content, correction_id)
    target = Path(output) if output else default_letter_path(content_dir, corr.id)
    site = public_root_of(target)
    if site is not None:
        raise UnsafeLetterPath(
            f"{target} is inside {site}, a published site: the reply names the applicant "
            "and must never be public (R-CORR)\n"
            "    修改方法 / fix: pass --output outside the site, e.g. replies/"
            f"{corr.id}.html")
    context = reply_letter_context(corr, case, content.bureau,
                                   _case_redactor(case, bureau_allow_list(content)))
    html = render_reply(dict(context, letter_date=corr.reply_on or as_of))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(html)
    return target


@cli.group()
def correction():
    """Correction requests (更正申请, R-CORR): content/corrections/<ID>.yaml.

    Example: gongshi correction reply GZ-2026-001 --content content
    """


@correction.command()
@click.argument("correction_id", metavar="ID")
@content_option
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the letter (HTML). Default: replies/<ID>.html beside the "
                   "content directory. Refused inside a built site: the letter is private.")
@as_of_option
@reports_errors
def reply(correction_id, content_dir, output, as_of):
    """Write the written reply (书面答复) to a correction request as a printable letter.

    The letter names the applicant and their contact, states the decision and,
    for an accepted request, what was corrected (old → new).  Print it from a
    browser.  It is dated the request's reply_on, or --as-of.

    Example: gongshi correction reply GZ-2026-001 --content content --output replies/GZ-2026-001.html
    """
    path = write_reply_letter(content_dir, correction_id, output, as_of)
    click.echo(f"书面答复 written: {path} (private: send it to the applicant, never publish it)")
