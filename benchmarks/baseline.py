"""Plain-Pelican baseline for the benchmarks (issue 9): the same case texts, no gongshi.

    python benchmarks/baseline.py --content DIR --work DIR

Writes one Markdown article per case file of a gongshi content dir (title = 文号 + party,
date = decided_on, category = type, author = deciding body, then the public fields and
the full decision text) and a minimal Pelican settings file, then runs ``pelican`` with its
default theme and no plugins.  ``benchmarks/run.py`` calls :func:`prepare` and times
:func:`pelican_command` itself, so gongshi and Pelican are measured the same way.

The only non-default setting is ``DEFAULT_PAGINATION = 50``: gongshi paginates its case
lists at 50 (CASES_PER_PAGE), and without pagination Pelican's index, category and author
pages would each list every article on one page (about 100 MB each at 100,000 articles).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 100,000 files in seconds
FRONT_RE = re.compile(r"\A---\n(.*?\n)---\n?(.*)\Z", re.S)
TYPE_LABELS = {"penalty": "行政处罚", "inspection": "行政检查", "random_check": "双随机抽查",
               "other": "其他执法决定"}
FIELDS = (  # (front-matter key, label) shown above the full text, as gongshi's case page does
    ("facts", "主要违法事实"), ("basis", "执法依据"), ("method", "检查方式"),
    ("check_items", "检查事项"), ("problems", "发现的问题"), ("rectification", "整改情况"),
    ("task", "抽查任务"), ("outcome", "抽查结果"), ("follow_up", "后续处理"),
    ("category", "执法类别"), ("conclusion", "执法结论"),
)
SETTINGS = '''\
# Plain Pelican baseline (benchmarks/baseline.py): default theme, no plugins.
SITENAME = "执法公示基线"
SITEURL = ""
TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh"
PLUGINS = []
# gongshi paginates its lists at 50; unpaginated, each index page would list every article.
DEFAULT_PAGINATION = 50
'''


def article(data: dict, body: str) -> str:
    """The Markdown article of one case (front matter ``data``, full text ``body``)."""
    party = data.get("party") or {}
    lines = [f"Title: {data.get('doc_no', '')} {party.get('name', '')}",
             f"Date: {data.get('decided_on')}",
             f"Category: {TYPE_LABELS.get(data.get('type'), '其他')}",
             f"Author: {data.get('agency', '')}",
             f"Slug: {data.get('id')}", "",
             f"**当事人**：{party.get('name', '')}", ""]
    for key, label in FIELDS:
        if data.get(key):
            lines += [f"**{label}**：{str(data[key]).strip()}", ""]
    summary = (data.get("result") or {}).get("summary")
    if summary:
        lines += [f"**处罚内容**：{summary}", ""]
    return "\n".join(lines) + "\n" + body


def write_markdown(content_dir: Path, md_dir: Path) -> int:
    """One article per ``cases/<year>/<id>.md`` of ``content_dir`` into ``md_dir``; returns the count.

    Raises ValueError naming a case file without front matter.
    """
    md_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(Path(content_dir, "cases").glob("*/*.md")):
        match = FRONT_RE.match(path.read_text(encoding="utf-8"))
        if not match:
            raise ValueError(f"{path}: no front matter")
        data = yaml.load(match.group(1), Loader=Loader)  # noqa: S506 - safe loader
        (md_dir / path.name).write_text(article(data, match.group(2)), encoding="utf-8")
        count += 1
    return count


def prepare(content_dir: Path, work: Path) -> tuple[Path, Path, int]:
    """Fresh ``work/content`` (Markdown) and ``work/pelicanconf.py``; returns (md dir, settings, count)."""
    shutil.rmtree(work, ignore_errors=True)
    md_dir, settings = work / "content", work / "pelicanconf.py"
    count = write_markdown(content_dir, md_dir)
    settings.write_text(SETTINGS, encoding="utf-8")
    return md_dir, settings, count


def pelican_command(md_dir: Path, output: Path, settings: Path) -> list[str]:
    """The ``pelican`` command line (the venv's pelican next to this Python, else PATH)."""
    exe = Path(sys.executable).with_name("pelican")
    return [str(exe) if exe.exists() else "pelican", str(md_dir), "-o", str(output),
            "-s", str(settings), "-q"]


def main(argv: list[str] | None = None) -> int:
    """CLI: write the Markdown and run Pelican once, printing the wall time."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--content", type=Path, required=True, help="a gongshi content dir")
    ap.add_argument("--work", type=Path, required=True, help="scratch dir (replaced)")
    args = ap.parse_args(argv)
    md_dir, settings, count = prepare(args.content, args.work)
    start = time.perf_counter()
    done = subprocess.run(pelican_command(md_dir, args.work / "output", settings), check=False)
    print(f"pelican: {count} articles in {time.perf_counter() - start:.1f}s (exit {done.returncode})")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
