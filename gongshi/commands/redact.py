"""`gongshi redact FILE`: the review preview of one record (R-PII) before it is approved."""

from __future__ import annotations

from pathlib import Path

import click

from gongshi.cli import as_of_option, cli, reports_errors


def preview(path: Path, as_of, content_dir: Path | None = None) -> str:
    """The record as it would be published, each replacement marked, plus hold reasons.

    Raises ContentInvalid for a file that does not validate.  The preview shows the
    original values (the reviewer has the file anyway); it is printed, never published.
    """
    from pipeline.errors import ContentInvalid
    from pipeline.load import RawFile, decode_text, split_front_matter
    from pipeline.redact import redact_case
    from pipeline.validate import validate_case_file
    from publish.assemble import bureau_allow_list

    source = path.as_posix()
    text, problem = decode_text(path.read_bytes(), source)
    data, body, problem = split_front_matter(text, source) if text is not None else (None, "", problem)
    if problem:
        raise ContentInvalid([problem])
    case = validate_case_file(RawFile(_content_relative(path), data, body), as_of)
    allow = frozenset()
    if content_dir:
        from pipeline.load import load_content
        from pipeline.model import Bureau, Content

        raw = load_content(Path(content_dir))
        bureau = Bureau(raw.bureau.data) if raw.bureau else Bureau({})
        allow = bureau_allow_list(Content(bureau, {}, ()))
    result = redact_case(case, allow)
    lines = [f"{case.id} {case.doc_no} — as it would be published (R-PII review preview)", ""]
    published = result.case
    for field in ("party.name", "party.operator", "facts", "basis", "result.summary", "method",
                  "check_items", "problems", "rectification", "task", "follow_up", "conclusion",
                  "status_note", "body"):
        value = _get(published, field)
        if value:
            lines.append(f"[{field}]")
            lines.append(_mark(value, [r for r in result.replacements if r.field == field]))
            lines.append("")
    lines.append(f"replacements: {len(result.replacements)}")
    lines += [f"  {r.field}: {r.kind}: {r.original} → {r.replacement}" for r in result.replacements]
    if result.hold_reasons:
        lines.append("HELD BACK (would not be published):")
        lines += [f"  - {reason}" for reason in result.hold_reasons]
    else:
        lines.append("publishable: yes (once approved)")
    return "\n".join(lines)


def _content_relative(path: Path) -> str:
    parts = path.resolve().parts
    return "/".join(parts[-3:]) if len(parts) >= 3 and parts[-3] == "cases" else path.name


def _get(case, dotted: str) -> str:
    value = case
    for part in dotted.split("."):
        value = getattr(value, part, "")
    return str(value or "")


def _mark(text: str, replacements) -> str:
    """Put «» around every replacement value in the published text."""
    for r in {r.replacement for r in replacements if r.replacement}:
        text = text.replace(r, f"«{r}»")
    return text


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--content", "content_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Content directory whose bureau.yaml contacts are kept (the bureau's own phones).")
@as_of_option
@reports_errors
def redact(file, content_dir, as_of):
    """Show one case file as it would be published, every replacement marked «…».

    For the legal unit's review before approval: lists each replacement (field, kind,
    original → mask) and says whether the record would be held back (R-PII).

    Example: gongshi redact content/cases/2026/2026-0012.md --content content
    """
    click.echo(preview(file, as_of, content_dir))
