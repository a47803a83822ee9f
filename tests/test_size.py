"""Issue 11, size: a 5 MB decision text and a 20,000-row list build without a quadratic
slow-down.

Each input is built at two sizes, 5× apart (1 MB and 5 MB of full text; 4,000 and
20,000 officer rows), and the build's own stage timings are compared: a linear stage
takes about 5× as long, a quadratic one 25×.  The test fails at 10× — a ratio, not a
wall time, so a slow or busy machine does not fail it.  A stage's small-size time is
counted as at least 0.2 s, so that noise on a stage that barely ran cannot fake a
ratio (a quadratic stage that takes 0.2 s at the small size takes 5 s at the large).
"""

from __future__ import annotations

import gzip
import random
import re
import time
from pathlib import Path

import pytest

from pipeline.pii import find_undeclared_names
from publish.verify import verify_site
from tests.support import FIXTURE_CONTENT, build_site, copy_content

pytestmark = pytest.mark.slow

LIMIT = 10  # for 5× the input; linear ≈ 5, quadratic ≈ 25
FLOOR = 0.2  # seconds: the least a stage's small-size time counts as
WORDS = ("医疗保障 基金 定点 医药 机构 违规 结算 药品 诊疗 项目 串换 超量 开具 检查 核实 退回 "
         "罚款 条例 规定 责令 改正 处理 决定 当事人 陈述 申辩 听证 调查 取证 票据 账册 收费 目录 "
         "住院 门诊 费用 明细 记录 审核 材料 证据 事实 清楚 适用 依据 准确 程序 合法").split()
CASE = "cases/2026/2026-0012.md"


def decision_text(size: int, seed: int = 11) -> str:
    """About ``size`` bytes of decision-like Chinese text in paragraphs, with amounts,
    dates and already-masked persons (参保人李某某), as a long full text has."""
    rng = random.Random(seed)
    parts, total = [], 0
    while total < size:
        words = "".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20)))
        extra = rng.choice(["", f"，涉及金额{rng.randint(100, 99999)}元", "，参保人李某某住院期间",
                            f"，于2025年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"])
        sentence = words + extra + ("。\n\n" if rng.random() < 0.2 else "。")
        parts.append(sentence)
        total += len(sentence.encode("utf-8"))
    return "".join(parts)


def _build_with_body(tmp: Path, size: int):
    content = copy_content(FIXTURE_CONTENT, tmp / "content")
    case = content / CASE
    front = case.read_text(encoding="utf-8").split("\n---\n", 1)[0]
    case.write_text(front + "\n---\n" + decision_text(size), encoding="utf-8")
    return _timed_build(content, tmp / "site")


def _build_with_rows(tmp: Path, n: int):
    content = copy_content(FIXTURE_CONTENT, tmp / "content")
    path = content / "lists" / "officers.yaml"
    head = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("  - {name")]
    rng = random.Random(f"officers-{n}")
    rows = "".join(
        f"  - {{name: {rng.choice('赵钱孙李周吴郑王冯陈')}{rng.choice('立新晓梅建国志强秀英')}, gender: 男, "
        f"region: 测试市, unit: 第{i % 50}监管科, cert_no: '2201{i:07d}', post: 科员}}\n" for i in range(n))
    path.write_text("\n".join(head) + "\n" + rows, encoding="utf-8")
    return _timed_build(content, tmp / "site")


def _timed_build(content: Path, out: Path) -> tuple[float, dict, Path]:
    start = time.perf_counter()
    report = build_site(content, out)
    assert not [h for h in report.held if h.record_id == "2026-0012"], report.held
    return time.perf_counter() - start, dict(report.timings), out


def _ratios(small: dict, large: dict) -> dict[str, float]:
    return {stage: round(large[stage] / max(small.get(stage, 0.0), FLOOR), 1) for stage in large}


def test_a_5mb_decision_text_builds_in_linear_time(tmp_path):
    """Issue 11: 1 MB and 5 MB full texts (disclose: full) — every stage (load, redact,
    render, search index, verifier) and the whole build stay under 10× for 5× the text,
    and the whole text is published."""
    find_undeclared_names("参保人张某某")  # load jieba's dictionary first: a one-time cost
    t1, stages1, _ = _build_with_body(tmp_path / "a", 1_000_000)
    t5, stages5, site = _build_with_body(tmp_path / "b", 5_000_000)
    page = (site / "cases/2026/2026-0012/index.html").read_text(encoding="utf-8")
    assert len(page.encode("utf-8")) > 5_000_000
    ratios = _ratios(stages1, stages5)
    assert all(r < LIMIT for r in ratios.values()), (ratios, stages1, stages5)
    assert t5 / t1 < LIMIT, (t1, t5)


def test_a_20000_row_list_builds_in_linear_time(tmp_path):
    """Issue 11: an officer list of 4,000 and of 20,000 rows — every stage and the whole
    build stay under 10× for 5× the rows, and every row is on the page."""
    t1, stages1, _ = _build_with_rows(tmp_path / "a", 4_000)
    t5, stages5, site = _build_with_rows(tmp_path / "b", 20_000)
    page = (site / "lists/officers/index.html").read_text(encoding="utf-8")
    assert len(re.findall(r"<tr>", page)) >= 20_000
    ratios = _ratios(stages1, stages5)
    assert all(r < LIMIT for r in ratios.values()), (ratios, stages1, stages5)
    assert t5 / t1 < LIMIT, (t1, t5)


def test_binary_index_bytes_are_not_a_qq_account(tmp_path):
    """Issue 11 (found by the 20,000-row build, which it failed): in a Pagefind word index
    the bytes 'QQ' of the binary encoding, then the next word's length byte 'k' and an
    officer's 执法证件编号, are not a QQ number — the verifier (R-PII) passes the site."""
    data = b"\x00\x02QQk22010008961\t8\x18\x1a\x00\x02Qbk22010008962"
    (tmp_path / "zh_1.pf_index").write_bytes(gzip.compress(data))
    verify_site(tmp_path, set(), frozenset())
