"""The page plan: every output page as (path, template, context), computed in memory.

Nothing here writes files.  Two pages mapping to one path is an error
(``DuplicatePath``), so two records can never overwrite each other's URL.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from pipeline.catalogue import LIST_ORDER, LIST_SCHEMAS
from pipeline.errors import GongshiError
from pipeline.model import CASE_TYPE_LABELS, CASE_TYPES, Bureau, Case, ListDoc

from .flowchart import flow_svg


class DuplicatePath(GongshiError):
    """Two pages would be written to the same output path."""


@dataclass(frozen=True)
class Page:
    path: str  # output path relative to the site root, e.g. cases/2026/2026-0012/index.html
    template: str  # template name without .html
    context: dict


@dataclass
class SiteData:
    """Everything the templates need, after every pipeline stage has run."""

    bureau: Bureau
    lists: dict[str, ListDoc]
    cases: list[Case]  # live, redacted, newest first
    as_of: dt.date
    withdrawn: list[Case] = field(default_factory=list)  # redacted; notice pages only
    ends: dict[str, dt.date] = field(default_factory=dict)  # id -> 公示截止日期
    first_pub: dict[str, dt.date] = field(default_factory=dict)
    corrections: dict[str, list] = field(default_factory=dict)  # id -> public 更正记录 entries
    events: list = field(default_factory=list)  # ledger events (public summaries)
    extra_pages: list[Page] = field(default_factory=list)  # changelog, 年报, data, search …


def case_url(case: Case) -> str:
    """The URL path of a case page, relative to the site root (ends with '/')."""
    return f"cases/{case.decided_on.year}/{case.id}/"


def _index(url: str) -> str:
    return url + "index.html" if url.endswith("/") or not url else url


def paginate(items: list, per_page: int, base_url: str, template: str, context: dict) -> list[Page]:
    """Split ``items`` into pages at base_url, base_url/page/2/, … (at least one page)."""
    chunks = [items[i:i + per_page] for i in range(0, len(items), per_page)] or [[]]
    urls = [base_url] + [f"{base_url}page/{n}/" for n in range(2, len(chunks) + 1)]
    pages = []
    for n, chunk in enumerate(chunks, 1):
        pager = {"number": n, "count": len(chunks), "total": len(items),
                 "prev": urls[n - 2] if n > 1 else None, "next": urls[n] if n < len(chunks) else None,
                 "urls": urls}
        pages.append(Page(_index(urls[n - 1]), template, dict(context, items=chunk, pager=pager)))
    return pages


def paginate_stable(items: list, per_page: int, base_url: str, template: str, context: dict,
                    index_context: dict | None = None) -> list[Page]:
    """Split ``items`` (newest first, growing at the front) into pages that stay put.

    Archive pages are numbered from the OLDEST item: ``base_url/page/1/`` holds the
    ``per_page`` oldest items, page 2 the next ones, and so on; only complete pages are
    archived.  ``base_url`` holds the rest, newest first: between ``per_page`` and
    ``2 × per_page − 1`` items once there are that many.  So a new item changes the first
    page only (and, once every ``per_page`` items, adds an archive page and relinks the one
    before it), where numbering from the newest would shift every page: at 100,000 ledger
    events a correction rewrote, re-verified and purged 999 changelog pages (issue 9).
    An archive page therefore shows no total and no page count; ``index_context``
    (e.g. the date of the latest change) goes on the first page only.
    """
    per_page = max(1, per_page)
    archived = max(len(items) // per_page - 1, 0)
    urls = {k: f"{base_url}page/{k}/" for k in range(1, archived + 1)}
    head = len(items) - archived * per_page
    first = {"stable": True, "number": 0, "total": len(items), "shown": head,
             "prev": None, "next": urls.get(archived), "first": base_url}
    pages = [Page(_index(base_url), template,
                  dict(context, **(index_context or {}), items=items[:head], pager=first))]
    for k in range(archived, 0, -1):
        end = len(items) - (k - 1) * per_page
        pager = {"stable": True, "number": k, "prev": urls.get(k + 1, base_url),
                 "next": urls.get(k - 1), "first": base_url}
        pages.append(Page(_index(urls[k]), template,
                          dict(context, items=items[end - per_page:end], pager=pager)))
    return pages


@dataclass(frozen=True)
class Later:
    """The place in a plan of a section's pages that a child process is still making."""

    job: object  # publish.apart.Apart


def plan_pages(site: SiteData, per_page: int = 50, settings: dict | None = None,
               apart: dict | None = None, wait: bool = True) -> list:
    """Every page of the site, in a deterministic order; raises DuplicatePath on a clash.

    ``apart``: {section name: publish.apart.Apart} of sections whose pages a child process
    is making: they are taken last (in their place), so the rest is planned meanwhile.
    With ``wait=False`` they are not waited for: a :class:`Later` stands in their place,
    and :func:`complete` gives the whole plan once the caller has done what it can."""
    from .sections import load_sections, section_name
    items_by_code = {str(r["code"]): r for kind in ("items", "random") if kind in site.lists
                     for r in site.lists[kind].rows}
    pages = [Page("index.html", "index", {"latest": site.cases[:10], "counts": _counts(site.cases)}),
             Page("404.html", "404", {}),
             Page("body/index.html", "body", {}),
             Page("report/index.html", "report", {})]
    pages += _list_pages(site, per_page)
    pages += _case_pages(site, items_by_code)
    pages += _result_lists(site, per_page)
    pages += site.extra_pages
    apart = apart or {}
    slots: list = []  # each section's pages, or the job still making them
    for section in load_sections():
        job = apart.get(section_name(section))
        if job is not None:
            slots.append(job)
        elif hasattr(section, "pages"):
            slots.append(section.pages(site, settings or {}))
    for slot in slots:
        pages += slot if isinstance(slot, list) else slot.pages() if wait else [Later(slot)]
    return complete(pages) if wait else pages


def complete(plan: list) -> list[Page]:
    """``plan`` with each :class:`Later` replaced by its section's pages (waits for the
    child making them); raises DuplicatePath on a clash."""
    pages: list[Page] = []
    for slot in plan:
        if isinstance(slot, Later):
            pages += slot.job.pages()
        else:
            pages.append(slot)
    _check_unique(pages)
    return pages


def _counts(cases: list[Case]) -> dict[str, int]:
    counts = dict.fromkeys(CASE_TYPES, 0)
    for case in cases:
        counts[case.type] += 1
    return counts


def _list_pages(site: SiteData, per_page: int = 50) -> list[Page]:
    pages = []
    bases = {str(r["id"]): r for r in site.lists["bases"].rows} if "bases" in site.lists else {}
    for kind in LIST_ORDER:
        doc = site.lists.get(kind)
        if doc is None:
            continue
        ctx = {"doc": doc, "schema": LIST_SCHEMAS[kind]}
        pages.append(Page(f"lists/{kind}/index.html", "list", ctx))
    by_item = defaultdict(list)
    for case in site.cases:
        by_item[case.item].append(case)
    for kind in ("items", "random"):
        for row in site.lists[kind].rows if kind in site.lists else ():
            code = str(row["code"])
            refs = [bases[b] for b in _as_list(row.get("basis")) if b in bases]
            pages += _item_pages(code, by_item.get(code, []), per_page,
                                 {"row": row, "kind": kind, "bases": refs})
    for row in site.lists["guides"].rows if "guides" in site.lists else ():
        pages.append(Page(f"guides/{row['id']}/index.html", "guide", {"row": row}))
    for row in site.lists["flows"].rows if "flows" in site.lists else ():
        pages.append(Page(f"flows/{row['id']}/index.html", "flow",
                          {"row": row, "svg": flow_svg(str(row["title"]), row.get("steps") or [])}))
    return pages


def _item_pages(code: str, results: list[Case], per_page: int, context: dict) -> list[Page]:
    """A 执法事项's page with its newest ``per_page`` results (``results``: newest first)
    and, when it has more, one page per month of decision with that month's results.

    One item has thousands of results in a province: its page had them all, up to 3 MB
    (issue 9).  A month's page changes only when one of its results is added, corrected,
    withdrawn or expires, and goes when its last one does: pages numbered by position
    would all shift whenever the oldest results expire."""
    months: dict[str, list[Case]] = {}  # none when the item's page shows all its results
    for case in results if len(results) > per_page else ():
        months.setdefault(f"{case.decided_on:%Y-%m}", []).append(case)
    index = [{"url": f"items/{code}/{month}/", "label": f"{month[:4]}年{int(month[5:])}月",
              "count": len(chosen)} for month, chosen in months.items()]
    pages = [Page(f"items/{code}/index.html", "item",
                  dict(context, items=results[:per_page], total=len(results), months=index))]
    for entry, chosen in zip(index, months.values(), strict=True):
        pages.append(Page(entry["url"] + "index.html", "item", dict(context, items=chosen, month=entry)))
    return pages


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _case_pages(site: SiteData, items_by_code: dict) -> list[Page]:
    pages = []
    for case in site.cases:
        pages.append(Page(_index(case_url(case)), "case", {
            "case": case, "item": items_by_code.get(case.item, {}),
            "end": site.ends.get(case.id), "first_pub": site.first_pub.get(case.id),
            "corrections": site.corrections.get(case.id, []),
        }))
    by_id = {c.id: c for c in site.cases}
    for case in site.withdrawn:
        replacement = by_id.get(case.replaced_by)
        pages.append(Page(_index(case_url(case)), "withdrawn", {
            "case": case, "replacement": replacement,
        }))
    return pages


def _result_lists(site: SiteData, per_page: int) -> list[Page]:
    years = sorted({c.decided_on.year for c in site.cases}, reverse=True)
    nav = {"years": years, "types": CASE_TYPE_LABELS}
    pages = paginate(site.cases, per_page, "results/", "results",
                     dict(nav, heading="全部执法结果", current="all"))
    for year in years:
        chosen = [c for c in site.cases if c.decided_on.year == year]
        pages += paginate(chosen, per_page, f"results/{year}/", "results",
                          dict(nav, heading=f"{year}年执法结果", current=str(year)))
    for ctype, label in CASE_TYPE_LABELS.items():
        chosen = [c for c in site.cases if c.type == ctype]
        pages += paginate(chosen, per_page, f"results/type/{ctype}/", "results",
                          dict(nav, heading=f"{label}结果", current=ctype))
    return pages


def _check_unique(pages: list[Page]) -> None:
    seen: dict[str, Page] = {}
    for page in pages:
        if page.path in seen:
            raise DuplicatePath(
                f"two pages would be written to {page.path} ({seen[page.path].template} and "
                f"{page.template}); give each record its own id"
            )
        seen[page.path] = page
