"""Property tests for redaction (R-PII, SPEC §4; STYLE §6 "property tests for data rules")."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipeline.model import Case, Party
from pipeline.pii import find_number_patterns
from pipeline.redact import redact_case

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
# What people and software put between digits: spaces, dashes, line breaks, the
# ideographic space, and invisible characters (zero-width space/joiner, soft hyphen, BOM…).
SEPARATORS = ["", "", "", " ", "-", "\n", "\u3000", "\u200b", "\u200c", "\u200d", "\u00ad",
              "\u2060", "\ufeff", "\u202c"]
# Context without digits, so that any digit left in the output came from the value.
CONTEXT = st.sampled_from(["经查，参保人", "身份证号", "电话：", "患者住院期间，", "联系方式 ", "，",
                           "（", "）", "。", "银行卡", "当事人陈述申辩称", "医保基金", ""])
ORG = Party(kind="organisation", name="春城仁和医院有限公司", credit_code="91220101XG612DD26T",
            legal_rep="王建华")


def make_case(facts: str, persons=(), party: Party = ORG) -> Case:
    return Case(id="p-1", type="penalty", doc_no="春医保罚〔2026〕1号", item="XZCF-003",
                agency="春城市医疗保障局", decided_on=dt.date(2026, 3, 2), party=party,
                source="cases/2026/p-1.md", persons=tuple(persons), facts=facts)


def id_check_digit(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


@st.composite
def id_numbers(draw) -> str:
    """18-digit 公民身份号码: area code, birth date, sequence, check digit (valid or not)."""
    area = draw(st.integers(110000, 829999))
    born = draw(st.dates(dt.date(1920, 1, 1), dt.date(2025, 12, 31)))
    body = f"{area}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    check = id_check_digit(body) if draw(st.booleans()) else draw(st.sampled_from("0123456789X"))
    return body + check


mobiles = st.builds(lambda p, rest: f"1{p}{rest:09d}", st.sampled_from("3456789"),
                    st.integers(0, 10**9 - 1))
def luhn_complete(partial: str) -> str:
    """``partial`` plus the Luhn check digit that real bank card numbers end with."""
    digits = [int(d) for d in reversed(partial)]
    total = sum(sum(divmod(2 * d, 10)) for d in digits[0::2]) + sum(digits[1::2])
    return partial + str((10 - total % 10) % 10)


bank_cards = st.builds(lambda head, n, rest: luhn_complete((head + f"{rest:019d}")[: n - 1]),
                       st.sampled_from(["62", "4", "5", "9558", "6013", "3"]), st.integers(16, 19),
                       st.integers(0, 10**19 - 1))


@st.composite
def disguised(draw, number: str) -> str:
    """``number`` written the way real texts do: separators, full-width digits, +86."""
    out = []
    for i, ch in enumerate(number):
        if draw(st.booleans()) and ch in FULL_WIDTH:
            ch = FULL_WIDTH[ch]
        out.append(ch)
        if i < len(number) - 1:
            out.append(draw(st.sampled_from(SEPARATORS)))
    return "".join(out)


def _no_value_survives(value: str, text: str) -> None:
    result = redact_case(make_case(text))
    out = result.case.facts
    assert not re.search(r"\d", out), "digits of a personal number survived (no partial digits)"
    assert find_number_patterns(out) == []


@SETTINGS
@given(st.data(), id_numbers(), CONTEXT, CONTEXT)
def test_no_id_number_survives(data, number, before, after):
    """R-PII: no 18-digit ID number survives, however it is written (spaces, dashes, line
    breaks, full-width digits, zero-width characters), checksum valid or not."""
    _no_value_survives(number, before + data.draw(disguised(number)) + after)


@SETTINGS
@given(st.data(), mobiles, st.sampled_from(["", "+86", "+86 ", "0086-", "(+86)"]), CONTEXT, CONTEXT)
def test_no_mobile_survives(data, number, prefix, before, after):
    """R-PII: no mobile number survives, with or without +86 and separators."""
    _no_value_survives(number, before + prefix + data.draw(disguised(number)) + after)


@SETTINGS
@given(st.data(), bank_cards, CONTEXT, CONTEXT)
def test_no_bank_card_survives(data, number, before, after):
    """R-PII: no 16–19 digit bank card number (with its Luhn check digit) survives."""
    _no_value_survives(number, before + data.draw(disguised(number)) + after)


# ---------------------------------------------------------------- idempotence
SURNAMES = "王李张刘陈杨黄赵吴周孙"
GIVEN = "秀英志强建国丽娟明华"
names = st.builds(lambda s, g: s + g, st.sampled_from([*SURNAMES, "欧阳", "司马"]),
                  st.text(GIVEN, min_size=1, max_size=2))
FRAGMENTS = st.one_of(
    st.sampled_from(["经查，", "患者", "医师", "参保人", "当事人陈述申辩称", "超量开药，", "住院号：ZY2025001，",
                     "住吉林省春城市南关区幸福街道12号，", "出生日期：1966年2月16日，", "罚款52000元，",
                     "2026年3月2日，", "王*梅", "李**", "422429****0129", "车牌吉A12345，", "。", "\n",
                     "统一社会信用代码91220101XG612DD26T，", "春医保罚〔2026〕12号", "li.ming@qq.com"]),
    id_numbers(), mobiles, names,
)


@SETTINGS
@given(st.lists(FRAGMENTS, max_size=14), st.lists(names, max_size=3))
def test_redaction_is_idempotent(fragments, persons):
    """R-PII: redacting a redacted case changes nothing: redact(redact(x)) == redact(x)."""
    text = "".join(fragments + persons)
    once = redact_case(make_case(text, persons)).case
    twice = redact_case(once).case
    assert twice == once


# ---------------------------------------------------------------- what must stay
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_check(first17: str) -> str:
    """GB 32100-2015 check character, written independently of the code under test."""
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARS[(31 - total % 31) % 31]


@st.composite
def credit_codes(draw) -> str:
    """A valid 统一社会信用代码 whose 主体标识码 contains a letter (as most do)."""
    head = draw(st.sampled_from(["91", "92", "12", "52", "93", "11"]))
    area = f"{draw(st.integers(110000, 659999)):06d}"
    org = draw(st.text(CREDIT_CHARS, min_size=9, max_size=9))
    assume(any(c.isalpha() for c in org))
    body = head + area + org
    return body + credit_check(body)


org_names = st.builds(lambda place, word, kind: place + word + kind,
                      st.sampled_from(["春城", "吉林", "南关区", "朝阳"]),
                      st.sampled_from(["仁和", "康宁", "同济", "百草堂", "惠民"]),
                      st.sampled_from(["医院有限公司", "大药房", "诊所", "医药连锁有限公司", "卫生院"]))


@SETTINGS
@given(credit_codes(), org_names, CONTEXT)
def test_organisations_and_credit_codes_survive(code, name, before):
    """R-PII: organisation names and valid 统一社会信用代码 are public and survive."""
    party = Party(kind="organisation", name=name, credit_code=code, legal_rep="王建华")
    text = f"{before}当事人{name}（统一社会信用代码{code}）与{code}号"
    result = redact_case(make_case(text, party=party))
    assert result.case.facts == text
    assert result.case.party.name == name and result.case.party.credit_code == code
    assert find_number_patterns(text) == []
