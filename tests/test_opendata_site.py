"""Open data on the built site (SPEC §6, 002 第十一条): files, fields, privacy, deltas."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.opendata import (
    KEY,
    PENALTY_FIELDS,
    RESULT_FIELDS,
    apply_delta,
    open_row,
    open_rows,
    penalty_rows,
    to_csv,
    to_json,
)
from publish.build import prepare
from publish.opendata_state import (
    OpendataStateError,
    advance,
    dump_state,
    parse_state,
    published_history,
    row_hash,
    stub,
)
from publish.sections import opendata
from publish.verify import scan_site
from tests.support import FIXTURE_CONTENT, all_output_text, build_site, copy_content

# Records of the fixture that must not be in any export, and why.
HIDDEN = {
    "测医保罚〔2025〕15号": "R-NOPUB (disclose: none)",
    "保密案件医院有限公司": "R-NOPUB (disclose: none)",
    "测医保罚〔2026〕30号": "R-APPROVAL (unapproved)",
    "永安堂隐藏药房有限公司": "R-APPROVAL (unapproved)",
    "测医保罚〔2025〕11号": "R-WITHDRAW (revoked)",
    "撤销案例大药房有限公司": "R-WITHDRAW (revoked)",
    "测医保罚〔2023〕3号": "R-RET2 (expired)",
    "过期甲乙": "R-RET2 (expired)",
    # personal data of the sources (R-PII)
    "刘秀英": "R-PII", "陈志强": "R-PII", "欧阳振华": "R-PII", "孙丽娟": "R-PII",
    "220102196602160295": "R-PII", "13806360837": "R-PII",
}


def _csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def _data_texts(site: Path) -> dict[str, str]:
    return {name: text for name, text in all_output_text(site).items() if name.startswith("data/")}


# ---------------------------------------------------------------- files on the built site


def test_csv_has_bom_crlf_and_the_shuanggongshi_headers(fixture_site):
    """SPEC §6 / 002 第十一条: results.csv and penalties.csv are UTF-8 with BOM, CRLF, and
    carry the flat and the 双公示 行政处罚 column names in order."""
    site, _ = fixture_site
    for name, fields in (("results.csv", RESULT_FIELDS), ("penalties.csv", PENALTY_FIELDS)):
        raw = (site / "data" / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), name
        # Every record ends in CRLF; a line break inside a quoted value is data.
        outside = re.sub(rb'"(?:[^"]|"")*"', b"", raw)
        assert raw.endswith(b"\r\n") and outside.count(b"\n") == outside.count(b"\r\n"), name
        assert outside.count(b"\r\n") == len(_csv(site / "data" / name)), name
        assert _csv(site / "data" / name)[0] == [f for f, _ in fields], name
    header = _csv(site / "data" / "penalties.csv")[0]
    for column in ("行政处罚决定书文号", "违法行为类型", "处罚依据", "处罚类别", "处罚内容",
                   "罚款金额（万元）", "处罚决定日期", "处罚机关", "处罚机关统一社会信用代码"):
        assert column in header


def test_exports_hold_exactly_the_live_results(fixture_site):
    """R-APPROVAL, R-NOPUB, R-WITHDRAW, R-RET2: the exports list the live results and nothing else."""
    site, report = fixture_site
    rows = json.loads((site / "data" / "results.json").read_text(encoding="utf-8"))
    assert len(rows) == report.published
    assert {r[KEY] for r in rows} == {"2025-0005", "2025-0009", "2026-0012", "2026-0020",
                                      "2026-0021", "2026-0031"}
    assert rows == sorted(rows, key=lambda r: (r["决定日期"], r[KEY]))
    penalties = json.loads((site / "data" / "penalties.json").read_text(encoding="utf-8"))
    assert {r[KEY] for r in penalties} == {"2026-0012", "2026-0020", "2026-0031"}
    by_id = {r[KEY]: r for r in rows}
    # 52000 元 is 5.2 万元, exactly; a natural person's name is masked (R-PII).
    assert by_id["2026-0012"]["罚款金额（万元）"] == "5.2"
    assert by_id["2026-0020"]["行政相对人名称"] == "欧阳某某"
    assert _csv(site / "data" / "results.csv")[1:] == [[r[f] for f, _ in RESULT_FIELDS] for r in rows]


def test_no_personal_or_hidden_value_in_any_data_file(fixture_site):
    """R-PII, R-APPROVAL, R-NOPUB, R-WITHDRAW, R-RET2: no data file holds a hidden record
    or a personal value of the sources."""
    site, _ = fixture_site
    texts = _data_texts(site)
    assert {"data/results.csv", "data/results.json", "data/penalties.csv",
            "data/penalties.json", "data/delta/base.json", "data/delta/index.json"} <= set(texts)
    for name, text in texts.items():
        for value, why in HIDDEN.items():
            assert value not in text, f"{name} contains a {why} value"


def test_verifier_scans_the_exports(fixture_site, tmp_path):
    """R-PII: the build's verifier reads the CSV and JSON exports — a hidden 文号 or a
    personal name planted in one is found, naming the file."""
    site, _ = fixture_site
    prepared = prepare(FIXTURE_CONTENT, dt.date(2026, 11, 23))
    for name, planted in (("results.csv", "测医保罚〔2026〕30号"), ("delta/base.json", "刘秀英")):
        copy = tmp_path / name.replace("/", "_")
        copy.mkdir()
        target = copy / "data" / name
        target.parent.mkdir(parents=True)
        target.write_bytes((site / "data" / name).read_bytes() + planted.encode("utf-8"))
        findings = scan_site(copy, prepared.secrets, check_links=False)
        assert [f.path for f in findings] == [f"data/{name}"], findings


def test_data_page_describes_every_field(fixture_site):
    """SPEC §6: the /data/ page names and explains every column of both schemas and links
    every file (links are checked by the verifier)."""
    site, _ = fixture_site
    page = (site / "data" / "index.html").read_text(encoding="utf-8")
    for name, note in RESULT_FIELDS + PENALTY_FIELDS:
        assert f"<td>{name}</td>" in page.replace("&amp;", "&"), name
        if note:
            assert note in page, name
    for href in ("data/results.csv", "data/results.json", "data/penalties.csv",
                 "data/penalties.json", "data/delta/index.json", "data/delta/base.json"):
        assert href in page
    home = (site / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<a href="[./]*data/">开放数据</a>', home)


# ---------------------------------------------------------------- delta round trip over builds

EXPIRING = """---
id: 2021-0007
type: penalty
doc_no: 测医保罚〔2021〕7号
item: XZCF-001
agency: 测试市医疗保障局
decided_on: 2021-11-19
published_on: 2021-11-25
party: {kind: organisation, name: 测试期满药房有限公司, credit_code: 91220101MA00044444, legal_rep: 期满}
facts: 该药房串换药品，涉及医保基金900元。
basis: 《医疗保障基金使用监督管理条例》第三十八条
result: {category: 罚款, fine: 1800, summary: 处罚款1800元。}
approval: {reviewed_by: 法规科, secrecy_review: 办公室, approved_by: 局长办公会, approved_on: 2021-11-22}
---
"""
ADDED = """---
id: 2026-0040
type: penalty
doc_no: 测医保罚〔2026〕40号
item: XZCF-001
agency: 测试市医疗保障局
decided_on: 2026-11-20
party: {kind: organisation, name: 测试新增医院有限公司, credit_code: 91220101MA00044444, legal_rep: 新增}
facts: 该院分解住院，涉及医保基金2500元。
basis: 《医疗保障基金使用监督管理条例》第三十八条
result: {category: 罚款, fine: 5000, summary: 处罚款5000元。}
approval: {reviewed_by: 法规科, secrecy_review: 办公室, approved_by: 局长办公会, approved_on: 2026-11-23}
---
"""


def _replay(site: Path) -> list[dict]:
    """base.json with every delta of index.json applied in order, as a consumer would."""
    delta_dir = site / "data" / "delta"
    index = json.loads((delta_dir / "index.json").read_text(encoding="utf-8"))
    rows = json.loads((delta_dir / index["base"]["file"]).read_text(encoding="utf-8"))
    for entry in index["deltas"]:
        rows = apply_delta(rows, json.loads((delta_dir / entry["file"]).read_text(encoding="utf-8")))
    return rows


def _delta(site: Path, day: str) -> dict:
    return json.loads((site / "data" / "delta" / f"{day}.json").read_text(encoding="utf-8"))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _check_round_trip(site: Path) -> list[dict]:
    full = (site / "data" / "results.json").read_text(encoding="utf-8")
    index = json.loads((site / "data" / "delta" / "index.json").read_text(encoding="utf-8"))
    assert index["full"]["sha256"] == hashlib.sha256(full.encode("utf-8")).hexdigest()
    assert _replay(site) == json.loads(full)
    return json.loads(full)


@pytest.mark.slow
def test_deltas_replay_to_todays_file_over_successive_builds(tmp_path):
    """SPEC §6 open data: across builds that add, correct, withdraw (R-WITHDRAW) and expire
    (R-RET5) records, base.json + the daily deltas in order == results.json every day;
    removed records keep only their 记录编号 in the history; a same-day rebuild is
    byte-identical (SPEC §7)."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    (content / "ledger.jsonl").write_text("", encoding="utf-8")
    (content / "cases" / "2021").mkdir()
    (content / "cases" / "2021" / "2021-0007.md").write_text(EXPIRING, encoding="utf-8")
    site = tmp_path / "site"

    build_site(content, site, dt.date(2026, 11, 23))
    rows = _check_round_trip(site)
    assert "2021-0007" in {r[KEY] for r in rows}
    assert json.loads((site / "data/delta/index.json").read_text(encoding="utf-8"))["deltas"] == []

    # day 2: one result added, one corrected
    (content / "cases" / "2026" / "2026-0040.md").write_text(ADDED, encoding="utf-8")
    _edit(content / "cases" / "2026" / "2026-0021.md", "期限30日。", "期限30日，至2026年5月2日。")
    build_site(content, site, dt.date(2026, 11, 24))
    _check_round_trip(site)
    day2 = _delta(site, "2026-11-24")
    assert [r[KEY] for r in day2["added"]] == ["2026-0040"]
    assert [r[KEY] for r in day2["corrected"]] == ["2026-0021"]
    assert day2["corrected"][0]["执法结论"].endswith("至2026年5月2日。")
    assert day2["removed"] == [] and day2["previous"] == "2026-11-23"

    # day 3: a result withdrawn — gone from every file, its history reduced to the key
    _edit(content / "cases" / "2026" / "2026-0021.md", "approval:",
          "status: revoked\nstatus_changed_on: 2026-11-25\nstatus_note: 经复议撤销。\napproval:")
    build_site(content, site, dt.date(2026, 11, 25))
    _check_round_trip(site)
    assert _delta(site, "2026-11-25")["removed"] == ["2026-0021"]
    for name, text in _data_texts(site).items():
        assert "测试安康诊所有限公司" not in text and "测医保强〔2026〕1号" not in text, name
    assert _delta(site, "2026-11-24")["corrected"] == [stub("2026-0021")]

    # day 5: the 2021 result's five years are over (shown through 2026-11-25) — R-RET5
    build_site(content, site, dt.date(2026, 11, 27))
    rows = _check_round_trip(site)
    assert "2021-0007" not in {r[KEY] for r in rows}
    assert _delta(site, "2026-11-27")["removed"] == ["2021-0007"]
    assert not (site / "data" / "delta" / "2026-11-26.json").exists()  # no build, no file
    index = json.loads((site / "data/delta/index.json").read_text(encoding="utf-8"))
    assert [d["date"] for d in index["deltas"]] == ["2026-11-24", "2026-11-25", "2026-11-27"]

    # a second build on the same day with the same content changes nothing
    before = {p.relative_to(site): p.read_bytes() for p in (site / "data").rglob("*") if p.is_file()}
    state = (content / "opendata" / "state.json").read_bytes()
    build_site(content, site, dt.date(2026, 11, 27))
    after = {p.relative_to(site): p.read_bytes() for p in (site / "data").rglob("*") if p.is_file()}
    assert after == before
    assert (content / "opendata" / "state.json").read_bytes() == state

    # building before the recorded history is refused, not silently rewritten
    with pytest.raises(OpendataStateError, match="2026-11-27"):
        build_site(content, tmp_path / "old", dt.date(2026, 11, 26))


# ---------------------------------------------------------------- state, without a site

_ROWS = st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]),
                        st.sampled_from(["x", "y", "z"]), max_size=5)


def _full(rows: dict[str, str]) -> list[dict]:
    return [{KEY: k, "决定日期": "2026-01-0" + str(ord(k) % 9 + 1), "v": v} for k, v in sorted(rows.items())]


def _sorted(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["决定日期"], r[KEY]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), _ROWS), min_size=1, max_size=8))
def test_any_sequence_of_builds_replays_exactly(steps):
    """SPEC §6: for any sequence of full files, built on the same or later days, the
    published base + deltas replay to the latest file, and the state file round-trips."""
    history, day = None, dt.date(2026, 1, 1)
    for gap, rows in steps:
        day += dt.timedelta(days=gap)
        full = _sorted(_full(rows))
        history = advance(history, full, day)
        assert parse_state(dump_state(history)) == history
        base, deltas = published_history(history, full)
        replay = base
        for delta in deltas:
            replay = apply_delta(replay, delta)
        assert replay == full
        assert not [r for r in base if r[KEY] not in rows and r != stub(r[KEY])]


def test_state_rejects_hand_edits_and_past_dates():
    """SPEC §5 by analogy with the ledger: a broken open-data state stops the build with a
    message naming the file; a build dated before the history is refused."""
    history = advance(None, _full({"a": "x"}), dt.date(2026, 1, 1))
    history = advance(history, _full({"a": "y", "b": "x"}), dt.date(2026, 1, 2))
    text = dump_state(history)
    broken = re.sub(r'"added": \[\n\s+"b"\n\s+\]', '"added": []', text)
    assert broken != text
    with pytest.raises(OpendataStateError, match="opendata/state.json"):
        parse_state(broken)
    with pytest.raises(OpendataStateError, match="not valid JSON"):
        parse_state(text[:-5])
    with pytest.raises(OpendataStateError, match="--as-of 2026-01-02"):
        advance(history, _full({"a": "y"}), dt.date(2026, 1, 1))


# ---------------------------------------------------------------- parts kept between builds


def _reference_files(rows: list[dict], history, as_of: dt.date) -> dict[str, bytes]:
    """The open-data files as written before parts were kept (issue 9): every row made
    and encoded again through to_json, to_csv and json.dumps."""
    def dump(obj) -> bytes:
        return (json.dumps(obj, ensure_ascii=False, indent=1) + "\n").encode("utf-8")

    penalties = penalty_rows(rows)
    base, deltas = published_history(history, rows)
    out = {"data/results.json": to_json(rows, RESULT_FIELDS).encode("utf-8"),
           "data/delta/base.json": to_json(base, RESULT_FIELDS).encode("utf-8"),
           "data/results.csv": to_csv(opendata._cells(rows), RESULT_FIELDS).encode("utf-8"),
           "data/penalties.csv": to_csv(opendata._cells(penalties), PENALTY_FIELDS).encode("utf-8"),
           "data/penalties.json": to_json(penalties, PENALTY_FIELDS).encode("utf-8")}
    out.update((f"data/delta/{d['date']}.json", dump(d)) for d in deltas)
    out["data/delta/index.json"] = dump({
        "key": KEY, "as_of": as_of.isoformat(),
        "base": {"date": history.base_date.isoformat(), "file": "base.json", "rows": len(base)},
        "deltas": [{"date": d["date"], "previous": d["previous"], "file": f"{d['date']}.json",
                    "added": len(d["added"]), "corrected": len(d["corrected"]),
                    "removed": len(d["removed"])} for d in deltas],
        "full": {"file": "../results.json", "rows": len(rows),
                 "sha256": hashlib.sha256(out["data/results.json"]).hexdigest()}})
    return out


def _history_with_every_kind_of_day(rows: list[dict], as_of: dt.date):
    """A history whose days add, correct and remove keys, with stubs in the base and in
    a day's corrected rows (keys no longer public today)."""
    def gone(key: str, text: str) -> dict:
        return dict(stub(key), 备注=text)

    first = [dict(rows[0], 主要事实="更正前")] + rows[2:-1] + [gone("1999-0001", "x"), gone("1999-0002", "y")]
    second = [dict(rows[0], 主要事实="又更正")] + rows[1:-1] + [gone("1999-0002", "z")]
    history = advance(None, first, as_of - dt.timedelta(days=3))
    history = advance(history, second, as_of - dt.timedelta(days=1))
    return advance(history, rows, as_of)


@pytest.fixture(scope="module")
def prepared_fixture(tmp_path_factory):
    cache = tmp_path_factory.mktemp("prepare-cache")
    return prepare(FIXTURE_CONTENT, dt.date(2026, 11, 23), cache_dir=cache)


def test_files_from_kept_parts_are_byte_identical(prepared_fixture, tmp_path, monkeypatch):
    """Issue 9 (incremental == full) and SPEC §6: the files written from kept parts are
    byte for byte those made by encoding every row again — with deltas that add, correct
    and remove (stubs) — on the first build and on the next, which takes every part from
    the cache and makes no row."""
    site = prepared_fixture.site
    rows = open_rows(site.cases, site.ends, opendata._credit_codes(site), opendata._item_names(site))
    history = _history_with_every_kind_of_day(rows, site.as_of)
    assert [(len(d.added), len(d.corrected), len(d.removed)) for d in history.days] == [(1, 2, 1), (1, 1, 1)]
    expected = _reference_files(rows, history, site.as_of)
    monkeypatch.setattr(opendata, "advance_to", lambda _old, cur, _as_of: history)
    made = []
    monkeypatch.setattr(opendata, "open_row", lambda *a: made.append(a) or open_row(*a))
    for build in ("first", "second"):
        opendata._last_export = None
        data = opendata.export(site, None, prepared_fixture.identities, tmp_path)
        assert dict(opendata.files(data, site.as_of)) == expected, build
        assert [part.hash for part in data.parts] == [row_hash(r) for r in rows]
        data.keep()
        assert len(made) == (len(rows) if build == "first" else 0), build
        made.clear()


def test_a_kept_part_is_remade_when_what_it_shows_changes(prepared_fixture, tmp_path):
    """Issue 9: a part is kept under its case, its 公示截止期, its item's name and its
    body's code: a renamed 执法事项 or a moved end date is never served from the cache."""
    site = prepared_fixture.site

    def export(site):
        opendata._last_export = None
        data = opendata.export(site, None, prepared_fixture.identities, tmp_path)
        data.keep()
        return {part.key: json.loads(part.json) for part in data.parts}

    before = export(site)
    first = next(iter(before))
    item = next(c.item for c in site.cases if c.id == first)
    lists = dict(site.lists)
    lists["items"] = dataclasses.replace(lists["items"], rows=[
        dict(r, name="改名后的事项") if r["code"] == item else r for r in lists["items"].rows])
    later = site.ends[first] + dt.timedelta(days=1)
    bureau = dataclasses.replace(site.bureau, data=dict(site.bureau.data, credit_code="11220100MB0000000X"))
    for changed, column, shown in ((dict(lists=lists), "执法事项名称", "改名后的事项"),
                                   (dict(ends=dict(site.ends, **{first: later})), "公示截止期", later.isoformat()),
                                   (dict(bureau=bureau), "执法机关统一社会信用代码", "11220100MB0000000X")):
        assert export(dataclasses.replace(site, **changed))[first][column] == shown
        assert export(site) == before  # each time from the parts the build before kept
