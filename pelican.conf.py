"""Pelican settings for gongshi sites.

gongshi drives Pelican as a framework (theme, Jinja environment, writer,
static files); the pages themselves come from the gongshi generator in
``publish/pelican_plugin.py``, fed by the in-memory pipeline.  Pelican's own
article, page, tag, author and feed output is switched off.
Relative paths below are resolved against this file by Pelican.
"""

THEME = "themes/gongshi"
THEME_STATIC_DIR = "theme"
PATH = "themes/empty-content"  # Pelican must read no Markdown of its own
ARTICLE_PATHS: list = []
PAGE_PATHS: list = []
STATIC_PATHS: list = []
TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh-CN"
# Relative links everywhere: the site works from any sub-path of a CDN (SPEC §6).
RELATIVE_URLS = True
SITEURL = ""
DELETE_OUTPUT_DIRECTORY = False
# Autoescape every template: no content field reaches a page unescaped (issue 11).
JINJA_ENVIRONMENT = {"trim_blocks": True, "lstrip_blocks": True, "autoescape": True}
DIRECT_TEMPLATES: list = []
PAGINATED_TEMPLATES: dict = {}
FEED_ALL_ATOM = None
FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
TAG_SAVE_AS = CATEGORY_SAVE_AS = AUTHOR_SAVE_AS = ""
TAGS_SAVE_AS = CATEGORIES_SAVE_AS = AUTHORS_SAVE_AS = ARCHIVES_SAVE_AS = ""
ARTICLE_SAVE_AS = PAGE_SAVE_AS = DRAFT_SAVE_AS = DRAFT_PAGE_SAVE_AS = ""
YEAR_ARCHIVE_SAVE_AS = MONTH_ARCHIVE_SAVE_AS = DAY_ARCHIVE_SAVE_AS = ""
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False

# gongshi settings (UPPER_CASE, defaults merged once in publish/settings.py)
CASES_PER_PAGE = 50
CHANGELOG_PER_PAGE = 100
