"""gongshi settings: one table of defaults, merged once with pelican.conf.py.

Settings are passed explicitly to whoever needs them; nothing is stored in a
module-level global.
"""

from __future__ import annotations

from pathlib import Path

from pelican.settings import read_settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = PROJECT_ROOT / "pelican.conf.py"

DEFAULTS = {
    "CASES_PER_PAGE": 50,  # rows per page of the case lists
    "CHANGELOG_PER_PAGE": 100,  # events per page of the changelog
    "KEEP_RELEASES": 5,  # releases kept under ROOT/releases/ (publish)
    "PURGE_COMMAND": None,  # argument list of a CDN purge command; URLs are appended
    "LOCK_TIMEOUT": 600,  # seconds a publish waits for another run to finish
    "SEARCH_SHARD_BY_YEAR": True,  # one Pagefind index per decision year, merged in the browser
    "SEARCH_SHARD_PAGES": 5000,  # a year with more cases gets one index per month
    "SEARCH_FIRST_PAGES": 4000,  # a search (within its year filter) first covers this many newest cases
    "BUILD_WORKERS": 2,  # processes redacting, rendering, indexing (Pagefind) and verifying
}

# Renamed settings: old name -> new name (warned about, then applied).
RENAMED: dict[str, str] = {}


def load_settings(config: Path | None = None, **overrides) -> dict:
    """Read pelican.conf.py (or ``config``), apply gongshi defaults, then ``overrides``.

    Returns the merged settings dict.  Unknown keys are kept (Pelican owns many);
    renamed keys are moved to their new name.
    """
    path = Path(config) if config else DEFAULT_CONFIG
    settings = read_settings(str(path), override=dict(overrides) or None)
    for key, value in DEFAULTS.items():
        settings.setdefault(key, value)
    for old, new in RENAMED.items():
        if old in settings:
            settings.setdefault(new, settings.pop(old))
    return settings
