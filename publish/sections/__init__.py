"""Site sections that plug into the build (the public hook interface; see publish/hooks.py).

Each module in this package may define, all optional:

* ``NAV``: list of (label, url) added to the main navigation, e.g. [("年报", "annual/")].
* ``ORDER``: int, when its post-build step runs (lower first; search indexing is last).
* ``pages(site: SiteData, settings: dict) -> list[Page]``: extra pages to render.
* ``postbuild(prepared, out: Path, settings: dict) -> None``: files made after rendering
  (feeds, exports, the search index), before the verifier scans the whole tree.
* ``APART = True``: its pages() and postbuild need only the prepared site and the
  settings of the page plan, and its postbuild writes only files of its own and fills
  ``report.state_files``/``report.warnings``; with two or more BUILD_WORKERS both then run
  in a forked child beside the planning and rendering of the rest (publish.apart).
* A postbuild about to wait for other processes (the search index, for Pagefind) may call
  ``settings["GONGSHI_WAITING"]()`` first: the verifier's matcher is then compiled, and its
  kept proofs read, on a thread until that postbuild returns, so it must not fork
  (``subprocess`` is fine) after the call.

Built-in sections use exactly this interface, like any third-party one would.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache


@cache
def load_sections() -> tuple:
    """Every section module, sorted by (ORDER, name)."""
    modules = [importlib.import_module(f"{__name__}.{info.name}")
               for info in pkgutil.iter_modules(__path__)]
    return tuple(sorted(modules, key=lambda m: (getattr(m, "ORDER", 50), m.__name__)))


def section_name(module) -> str:
    """A section's short name ("opendata"): its stage name and its key among jobs."""
    return module.__name__.rsplit(".", 1)[-1]


def nav_links() -> list[tuple[str, str]]:
    """(label, url) of every section's navigation entries, in section order."""
    return [link for module in load_sections() for link in getattr(module, "NAV", [])]
