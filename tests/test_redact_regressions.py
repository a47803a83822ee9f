"""R-PII regressions found on the demo bureau."""

from __future__ import annotations

import pytest

from pipeline.pii import find_undeclared_names
from pipeline.pii_patterns import county_prefix


@pytest.mark.parametrize("text", [
    "经核对患者姜金花等人的出院病历",  # jieba reads 金花 as a common noun
    "医师王伟和护士",
])
def test_dictionary_word_names_after_a_role_are_held(text):
    """R-PII fail closed: a surname + 1–2 characters alone after 患者/医师 is a name."""
    assert find_undeclared_names(text)


@pytest.mark.parametrize("text", ["经核对患者姜某某等人的出院病历", "患者住院期间", "参保人员", "患者本人",
                                  "款项汇入当事人银行卡（卡号"])
def test_masked_or_ordinary_words_are_not_names(text):
    assert not find_undeclared_names(text)


def test_a_district_named_garden_is_a_county():
    """R-PII keeps an address up to the county: 绿园区 is a district, 工业园区 an estate."""
    assert county_prefix("春城市绿园区幸福街12号") == "春城市绿园区"
    assert county_prefix("春城市朝阳区某工业园区3号") == "春城市朝阳区"


@pytest.mark.parametrize("text,expected", [
    ("（电话：13806360837）等", "（电话：【已删除】）等"),
    ("电话：0431-8888 6666）", "电话：【已删除】）"),
    ("电话(0431)88886666", "电话【已删除】"),
])
def test_a_phone_takes_its_digits_not_the_closing_bracket(text, expected):
    """R-PII removes the number completely and nothing after it."""
    from pipeline.pii import normalise_text, redact_patterns

    assert redact_patterns(normalise_text(text))[0] == expected
