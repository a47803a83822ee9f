"""Site search (SPEC §6): the search page, and the Pagefind index built after rendering.

No NAV entry: every page header already has a search box that submits to search/.
ORDER 90 so the index is built after every other section has written its pages.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.model import CASE_TYPE_LABELS

from ..pages import Page, SiteData
from ..search import build_index, case_shards, case_years

ORDER = 90

# URL parameter -> (Pagefind filter name as written by case.html, label on the form).
FILTERS = (
    ("type", "类型", "类型"),
    ("year", "年份", "决定年份"),
    ("item", "执法事项", "执法事项"),
    ("category", "处罚类别", "处罚类别"),
    ("body", "执法机关", "执法机关"),
)


def _item_names(site: SiteData) -> dict[str, str]:
    """执法事项 code -> name, as case.html shows it (falls back to the code)."""
    return {str(r["code"]): str(r.get("name") or r["code"])
            for kind in ("items", "random") if kind in site.lists for r in site.lists[kind].rows}


def filter_options(site: SiteData) -> dict[str, list[str]]:
    """The values each filter can take over the live cases, keyed by URL parameter.

    Values are exactly the strings case.html hands Pagefind, so a choice made on
    the form matches the index.  Only live cases count: nothing held back,
    withdrawn or expired can leak into the form (R-APPROVAL, R-WITHDRAW).
    """
    names = _item_names(site)
    types = [label for key, label in CASE_TYPE_LABELS.items() if any(c.type == key for c in site.cases)]
    categories = {cat for c in site.cases if c.type == "penalty" for cat in c.result.categories}
    return {
        "type": types,
        "year": [str(y) for y in case_years(site)],
        "item": sorted({names.get(c.item, c.item) for c in site.cases}),
        "category": sorted(categories),
        "body": sorted({c.agency for c in site.cases}),
    }


def pages(site: SiteData, settings: dict) -> list[Page]:
    """The search page (search/index.html) with its filter choices and index shards."""
    by_year = settings.get("SEARCH_SHARD_BY_YEAR", True)
    years = [str(y) for y in case_years(site)]
    shards = case_shards(site.cases, settings.get("SEARCH_SHARD_PAGES", 5000)) if by_year else {}
    options = filter_options(site)
    filters = [{"param": param, "name": name, "label": label, "choices": options[param]}
               for param, name, label in FILTERS]
    return [Page("search/index.html", "search", {
        "filters": filters, "years": years, "shards": list(shards), "shard_pages": [len(c) for c in shards.values()],
        "first_pages": int(settings.get("SEARCH_FIRST_PAGES", 4000)),
    })]


def postbuild(prepared, out: Path, settings: dict) -> None:
    """Build the Pagefind index over the staged site (raises SearchIndexError)."""
    # Pages the render hard-linked from the live release: their digests are in its manifest.
    release = settings.get("GONGSHI_RELEASE") or {}
    files = release.get("files", {})
    known = {rel: files[rel] for rel in settings.get("GONGSHI_REUSED", ()) if rel in files}
    build_index(prepared.site, Path(out), settings.get("SEARCH_SHARD_BY_YEAR", True),
                previous=settings.get("GONGSHI_PREVIOUS"), keys=settings.get("GONGSHI_FINGERPRINTS"),
                max_pages=settings.get("SEARCH_SHARD_PAGES", 5000),
                workers=int(settings.get("BUILD_WORKERS", 1)), known=known,
                store_root=release.get("store"), made=release.get("made"),
                waiting=settings.get("GONGSHI_WAITING"))
