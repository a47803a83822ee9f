"""Issue 9: the redaction cache keeps a redacted case as the fields that differ from its
source case; what comes back is equal to what redaction made, field by field."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from pipeline.model import Party
from pipeline.redact import redact_case
from publish.build import prepare
from publish.redaction import CaseCaches, _restore_redacted, _store_redacted, apply_delta, delta
from tests.support import FIXTURE_AS_OF, FIXTURE_CONTENT


def _same(a, b) -> bool:
    """Equal, of the same types all the way down (a date is not a str)."""
    if type(a) is not type(b):
        return False
    if dataclasses.is_dataclass(a):
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    return a == b


def test_every_fixture_case_comes_back_as_redaction_made_it(tmp_path):
    """R-PII: from the cache (the second run) each redacted case equals the one redaction
    made without a cache, and is a case object of its own."""
    fresh = prepare(FIXTURE_CONTENT, FIXTURE_AS_OF)  # no cache
    prepare(FIXTURE_CONTENT, FIXTURE_AS_OF, cache_dir=tmp_path)  # fills it
    cached = prepare(FIXTURE_CONTENT, FIXTURE_AS_OF, cache_dir=tmp_path)
    assert (tmp_path / "redacted").is_dir()
    want = {c.id: c for c in fresh.site.cases}
    got = {c.id: c for c in cached.site.cases}
    assert want.keys() == got.keys() and len(want) >= 5
    assert all(_same(want[k], got[k]) for k in want)
    sources = {c.id: c for c in cached.content.cases}
    assert all(got[k] is not sources[k] for k in got)  # unchanged fields: shared (frozen)
    assert any(got[k].facts is sources[k].facts for k in got)
    masked = [k for k in got if got[k].party.name != sources[k].party.name]
    assert masked  # the fixture has natural persons: the delta is not always empty


def test_redaction_through_the_cache_equals_redaction_without(tmp_path):
    """The first run (results stored, then restored) answers like the uncached redaction."""
    content = prepare(FIXTURE_CONTENT, FIXTURE_AS_OF).content
    plain = CaseCaches(None).redact(content.cases, frozenset())
    stored = CaseCaches(tmp_path).redact(content.cases, frozenset())
    again = CaseCaches(tmp_path).redact(content.cases, frozenset())
    assert _same(plain[0], stored[0]) and _same(plain[0], again[0])
    assert plain[1] == stored[1] == again[1]


def test_a_kept_redaction_result_comes_back_whole():
    """Every field of a RedactionResult survives the cache (it is rebuilt without __init__)."""
    content = prepare(FIXTURE_CONTENT, FIXTURE_AS_OF).content
    for source in content.cases:
        result = redact_case(source, frozenset())
        back, digest = _restore_redacted(_store_redacted((result, "h"), source), source)
        assert _same(back, result) and digest == "h"


_TEXT = st.text(alphabet="张三某abc0 ", max_size=6)
_PARTY = st.builds(Party, kind=st.sampled_from(["natural_person", "organisation"]), name=_TEXT,
                   credit_code=_TEXT, legal_rep=_TEXT)
_VALUE = st.one_of(_TEXT, st.integers(), st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2027, 1, 1)),
                   st.tuples(_TEXT, _TEXT), _PARTY)


@given(_PARTY, _PARTY)
def test_a_delta_rebuilds_the_changed_dataclass(source, changed):
    assert _same(apply_delta(source, delta(source, changed)), changed)


@given(_VALUE, _VALUE)
def test_a_delta_rebuilds_any_changed_value(source, changed):
    assert _same(apply_delta(source, delta(source, changed)), changed)
