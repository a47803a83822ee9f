from __future__ import annotations

import pytest

from tests.support import DEMO_CONTENT, FIXTURE_CONTENT, build_site


@pytest.fixture(scope="session")
def fixture_site(tmp_path_factory):
    """The fixture corpus built once: (site dir, BuildReport)."""
    out = tmp_path_factory.mktemp("fixture") / "site"
    report = build_site(FIXTURE_CONTENT, out)
    return out, report


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory):
    """The bundled demo bureau built once: (site dir, BuildReport)."""
    out = tmp_path_factory.mktemp("demo") / "site"
    report = build_site(DEMO_CONTENT, out)
    return out, report
