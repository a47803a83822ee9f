"""Every extension point of gongshi, in one place.

* Site sections — ``publish/sections/<name>.py`` (see publish.sections): NAV, ORDER,
  ``pages(site, settings)``, ``postbuild(prepared, out, settings)``.
* CLI commands — ``gongshi/commands/<name>.py``: import ``cli`` from gongshi.cli and
  decorate functions with ``@cli.command()``.
* Deploy target — settings ``PURGE_COMMAND`` (argument list of a CDN purge command).
"""

from publish.sections import load_sections, nav_links  # noqa: F401 - re-exported
