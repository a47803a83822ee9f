"""The Pelican plugin that renders gongshi's page plan.

``publish.pages`` computes every page (path, template, context) in memory; this
generator hands each one to Pelican's Writer, which renders it with our theme
and refuses to write the same path twice.
"""

from __future__ import annotations

from pelican import signals
from pelican.generators import Generator

from .filters import FILTERS


class SiteGenerator(Generator):
    """Writes the pages listed in settings['GONGSHI_PAGES']."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.env.filters.update(FILTERS)

    def generate_output(self, writer) -> None:
        pages = self.settings.get("GONGSHI_PAGES") or ()
        progress = self.settings.get("GONGSHI_PROGRESS")
        shared = dict(self.context, **self.settings.get("GONGSHI_GLOBALS", {}))
        templates = {}
        for n, page in enumerate(pages, 1):
            template = templates.get(page.template)
            if template is None:
                template = templates[page.template] = self.get_template(page.template)
            writer.write_file(page.path, template, shared, relative_urls=True, **page.context)
            if progress and n % 2000 == 0:
                progress(n, len(pages))


def _get_generators(_pelican):
    return SiteGenerator


def register() -> None:
    """Pelican plugin entry point."""
    signals.get_generators.connect(_get_generators)
