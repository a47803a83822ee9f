"""Issue 11: Hypothesis feeds generated front matter and bodies to the whole pipeline.

Each example starts from a valid case of a random type and breaks it: a few fields get
values of the wrong kind (control characters, NaN, huge numbers, dates that do not
exist, lists, mappings, XSS payloads, ``../`` paths …), a field disappears or an unknown
one appears, and sometimes the file text itself is cut or has characters inserted.
The case joins a tiny corpus (bureau, 执法事项, 抽查事项, guide and flowchart lists, one
good case), of which a third of the examples also break a bureau or list value; it is
then prepared — and, in the slower test, rendered into a temporary site.

The outcome must be a clean error (a ``GongshiError``; ``ContentInvalid`` with at
least one problem) or a valid site (the verifier runs inside ``render``) — never any
other exception, and nothing written outside the temporary directory.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import ContentInvalid, GongshiError
from publish.build import prepare, render
from tests.support import FIXTURE_AS_OF, FIXTURE_CONTENT
from tests.xss_payloads import PAYLOADS, payload

APPROVAL = {"reviewed_by": "法规科", "secrecy_review": "办公室", "approved_by": "局长办公会",
            "approved_on": dt.date(2026, 3, 5)}
CODE = "91220101MA00011111"
ITEM_OF = {"penalty": "XZCF-001", "inspection": "XZJC-001", "random_check": "SJCC-001",
           "other": "XZQZ-001"}
TYPE_FIELDS = {
    "penalty": {"facts": "该院串换药品。", "result": {"category": ["罚款"], "fine": 1000, "summary": "处罚款1000元。"}},
    "inspection": {"method": "现场检查", "check_items": "医保基金使用情况", "problems": "未发现问题"},
    "random_check": {"task": "年度抽查", "check_items": "医保基金", "outcome": "正常"},
    "other": {"category": "行政强制", "conclusion": "查封账册。"},
}
# Dotted paths that a mutation may replace or delete.
PATHS = ["id", "type", "doc_no", "item", "agency", "decided_on", "party", "party.kind",
         "party.name", "party.credit_code", "party.legal_rep", "persons", "facts", "basis",
         "result", "result.category", "result.fine", "result.refund", "result.summary",
         "disclose", "disclose_reason", "approval", "approval.approved_on", "status",
         "status_changed_on", "status_note", "published_on", "method", "outcome", "category",
         "conclusion", "replaced_by"]

ODD_TEXT = ["5万", "5.2万元", "伍万元", "52,000", "2026-02-30", "2026/3/2", "2026年3月2日", "26-3-2",
            "../../x", "/tmp/x", "2026 0012", "", " ", "\u3000", "null", "~", "-1", "0", ".nan",
            "1e400", "\u200b", "张\u200b三", "２２０１０２１９６６０２１６０２９５", "13806360837",
            "---", "{{ 7*7 }}", "\\", "\x00", "\x1b[31m", "\ufeff", "\u2028", "a\nb", "张三",
            "revoked", "full", "none", "penalty", "natural_person", "罚款", "XZCF-001"]
ODD = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20),
    st.sampled_from(ODD_TEXT),
    st.integers(0, len(PAYLOADS) - 1).map(payload),
    st.integers(-(10 ** 20), 10 ** 20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.none(), st.dates(), st.datetimes(),
    st.lists(st.sampled_from(ODD_TEXT + ["罚款", "警告"]), max_size=3),
    st.dictionaries(st.sampled_from(["kind", "name", "x", "category"]), st.sampled_from(ODD_TEXT), max_size=3),
)
# For the rendering test: values that validation may well accept, so that most examples
# get as far as the templates, the feed, the search index and the verifier.
MILD = st.one_of(
    st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=30),
    st.sampled_from([t for t in ODD_TEXT if t.isprintable()]),
    st.integers(0, len(PAYLOADS) - 1).map(payload),
    st.integers(0, 10 ** 9), st.dates(dt.date(2020, 1, 1), dt.date(2026, 11, 23)),
)
BODY = st.one_of(
    st.just(""),
    st.text(max_size=200),
    st.lists(st.integers(0, len(PAYLOADS) - 1).map(payload), max_size=5).map("\n\n".join),
    st.lists(st.sampled_from(["# 标题", "- 项", "| a | b |\n|---|---|\n| 1 | 2 |", "[链接](https://x.cn)",
                              "**粗体**", "> 引用", "```\ncode\n```", "---", "张\u200b三"]), max_size=6)
    .map("\n".join),
)


def _set(data: dict, path: str, value, delete: bool) -> None:
    *parents, last = path.split(".")
    for key in parents:
        if not isinstance(data.get(key), dict):
            return
        data = data[key]
    if delete:
        data.pop(last, None)
    else:
        data[last] = value


@st.composite
def case_files(draw, mild: bool = False) -> tuple[str, str]:
    """(file name, text) of a broken case file; ``mild``: at most one MILD value, never cut."""
    ctype = draw(st.sampled_from(sorted(TYPE_FIELDS)))
    data = {"id": "2026-0050", "type": ctype, "doc_no": "测医保〔2026〕50号", "item": ITEM_OF[ctype],
            "agency": "测试市医疗保障局", "decided_on": dt.date(2026, 3, 2),
            "party": {"kind": "organisation", "name": "测试福康医院有限公司", "credit_code": CODE,
                      "legal_rep": "王建华"},
            "basis": "《医疗保障基金使用监督管理条例》第三十八条", "disclose": "full",
            "approval": dict(APPROVAL), **yaml.safe_load(yaml.safe_dump(TYPE_FIELDS[ctype]))}
    values = MILD if mild else ODD
    for _ in range(draw(st.integers(0, 1 if mild else 3))):
        _set(data, draw(st.sampled_from(PATHS)), draw(values), draw(st.sampled_from([False, False, True])))
    if not mild and draw(st.integers(0, 9)) == 0:
        data[draw(st.sampled_from(["colour", "Id", "", "party "]))] = draw(ODD)
    text = "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---\n" + draw(BODY)
    cut = draw(st.integers(2 if mild else 0, 12))
    if cut == 0:  # the file is cut somewhere
        text = text[: draw(st.integers(0, len(text)))]
    elif cut == 1:  # stray characters land somewhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=5)) + text[at:]
    name = data.get("id") if isinstance(data.get("id"), str) and data["id"].isascii() else "2026-0050"
    safe = "".join(c for c in str(name) if c.isalnum() or c in "-_") or "2026-0050"
    return safe[:60] + ".md", text


# Other files a mutation may break: (file, path); "rows.0." addresses the first row.
FILE_PATHS = [
    ("bureau.yaml", p) for p in ("name", "credit_code", "duties", "units", "site", "site.title",
                                 "site.url", "report", "report.phone", "report.procedure", "address")
] + [(f"lists/{kind}.yaml", p) for kind, p in (
    ("items", "rows.0.name"), ("items", "rows.0.code"), ("items", "rows.0.discretion"),
    ("items", "rows.0.discretion.0"), ("items", "rows.0.basis"), ("items", "history"), ("items", "intro"),
    ("guides", "rows.0.materials"), ("guides", "rows.0.process"), ("guides", "rows.0.id"),
    ("guides", "rows.0.title"), ("flows", "rows.0.steps"), ("flows", "rows.0.steps.0"),
    ("flows", "rows.0.steps.0.name"), ("flows", "rows.0.title"), ("flows", "rows.0.id"),
    ("random", "rules"), ("random", "rows.0.code"), ("items", "updated_on"), ("flows", "rows"))]
CORPUS = ("bureau.yaml", "lists/items.yaml", "lists/random.yaml", "lists/guides.yaml",
          "lists/flows.yaml", "cases/2026/2026-0021.md")


@st.composite
def file_edits(draw, mild: bool = False) -> list[tuple[str, str, object, bool]]:
    """Mostly nothing; sometimes one or two broken values in the bureau or a list."""
    if draw(st.integers(0, 2)):
        return []
    edit = st.tuples(st.sampled_from(FILE_PATHS), MILD if mild else ODD, st.booleans())
    return draw(st.lists(edit, min_size=1, max_size=1 if mild else 2)
                .map(lambda edits: [(f, p, v, d) for (f, p), v, d in edits]))


def _edit_path(data, path: str, value, delete: bool) -> None:
    *parents, last = path.split(".")
    for key in parents:
        if isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        elif isinstance(data, dict) and isinstance(data.get(key), (dict, list)):
            data = data[key]
        else:
            return
    if isinstance(data, list) and last.isdigit() and int(last) < len(data):
        data[int(last)] = value
    elif isinstance(data, dict):
        _set(data, last, value, delete)


def _corpus(root: Path, name: str, text: str, edits=()) -> Path:
    content = root / "content"
    for rel in CORPUS:
        (content / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURE_CONTENT / rel, content / rel)
    for rel, path, value, delete in edits:
        data = yaml.safe_load((content / rel).read_text(encoding="utf-8"))
        _edit_path(data, path, value, delete)
        (content / rel).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (content / "cases/2026" / name).write_text(text, encoding="utf-8", errors="surrogatepass")
    return content


def _clean_error(exc: Exception) -> None:
    assert isinstance(exc, GongshiError), f"{type(exc).__name__}: {exc}"
    if isinstance(exc, ContentInvalid):
        assert exc.problems and all(p.source and p.message for p in exc.problems)
    assert str(exc).strip()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case_files(), file_edits())
def test_prepare_gives_a_clean_error_or_a_site(case_file, edits):
    """Issue 11: load → validate → approval → redact → ledger on a generated case (and
    sometimes a broken bureau or list value): a GongshiError listing its problems, or
    prepared data — never another exception."""
    name, text = case_file
    with tempfile.TemporaryDirectory() as tmp:
        content = _corpus(Path(tmp), name, text, edits)
        try:
            prepared = prepare(content, FIXTURE_AS_OF)
        except Exception as exc:  # noqa: BLE001 - the point: which exceptions come out
            _clean_error(exc)
            return
        assert any(c.id == "2026-0021" for c in prepared.site.cases)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case_files(mild=True), file_edits(mild=True))
def test_build_gives_a_clean_error_or_a_valid_site(case_file, edits):
    """Issue 11: the whole build (prepare, then render with Pelican, Pagefind and the
    verifier) on a generated case ends in a clean error or a valid site, and writes
    nothing outside its directory (no staging dir left behind either)."""
    name, text = case_file
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        content = _corpus(root, name, text, edits)
        out = root / "site"
        try:
            render(prepare(content, FIXTURE_AS_OF), out)
        except Exception as exc:  # noqa: BLE001 - the point: which exceptions come out
            _clean_error(exc)
            assert not out.exists()
        else:
            assert (out / "index.html").is_file() and (out / "cases/2026/2026-0021/index.html").is_file()
        # Only the site, and beside it the build's own bookkeeping files (.site.render.json);
        # no staging directory left behind, nothing else anywhere.
        stray = [p.name for p in root.iterdir() if p.name not in ("content", "site")
                 and not (p.is_file() and p.name.startswith(".site."))]
        assert not stray, stray
