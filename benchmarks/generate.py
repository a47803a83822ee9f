"""Deterministic generator of a realistic gongshi content directory (issue 9 benchmarks).

    python benchmarks/generate.py --count 10000 --out benchmarks/work/content \\
        [--as-of 2026-11-23] [--seed 9] [--no-ledger]

Writes a complete, self-contained content dir (docs/content-format.md): ``bureau.yaml``,
every ``lists/<kind>.yaml``, ``count`` results under ``cases/<year>/``, a few accepted
corrections, and an empty ``ledger.jsonl`` (so a build records first publications, as a
running site does).  Same arguments ⇒ byte-identical files: one seeded ``random.Random``,
no clock, no set iteration.

Every record passes the real pipeline: GB 32100 credit codes (``credit_check_char``),
unique ids and 文号, 执法事项 from the generated lists, approvals present, decided_on
within the 5 years before ``--as-of``.  Every natural person named in a text is declared
in ``persons:`` (R-PII), with ID numbers, phones, 住院号, home addresses and birth dates
for the redaction stage to remove.  Person names and public names (legal representatives,
officers) use disjoint given-name characters, so the verifier never sees a masked name
in public text.  A few records are special ON PURPOSE (``GenerateResult``): one per 1,000
lacks the secrecy review (held, R-APPROVAL), is ``disclose: none`` (held, R-NOPUB), or is
revoked (R-WITHDRAW); one per 2,000 has an accepted correction (R-CORR).

Full decision texts have 600–1,500 Chinese characters.  Speed: files are written from
template strings (no yaml.dump per record); 100,000 results take well under a minute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.values import credit_check_char

AS_OF = dt.date(2026, 11, 23)
SEED = 9
BODY_MIN, BODY_MAX = 600, 1500  # Chinese characters of a full decision text
NOT_HAN_RE = re.compile(r"[^\u4e00-\u9fff]+")
CITY = "春城市"
BUREAU = "春城市医疗保障局"
APPROVAL = "{reviewed_by: 法规科, secrecy_review: 办公室, approved_by: 局长办公会, approved_on: %s}"
UNAPPROVED = "{reviewed_by: 法规科, approved_by: 局长办公会, approved_on: %s}"  # no 保密审查
# (agency, 文号 prefix, 区划代码, weight).  No prefix is a substring of another (文号 stay unique as text).
AGENCIES = (
    (BUREAU, "春医保", "220100", 40),
    ("春城市南关区医疗保障局", "春南医保", "220102", 15),
    ("春城市东湖区医疗保障局", "春东医保", "220103", 15),
    ("春城市西山区医疗保障局", "春西医保", "220104", 15),
    ("春城市北城区医疗保障局", "春北医保", "220105", 15),
)
DISTRICTS = ("南关区", "东湖区", "西山区", "北城区", "新河区", "清水县", "柳林县", "石桥县")
TYPE_WEIGHTS = (("penalty", 55), ("inspection", 20), ("random_check", 15), ("other", 10))
TYPE_CHAR = {"penalty": "罚", "inspection": "检", "random_check": "抽", "other": "强"}

# --- names.  Persons (masked on output) and public names (legal representatives, officers)
# use DISJOINT given-name characters, so no masked person's name is ever inside a public one.
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜"
                "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛") + [
    "欧阳", "司马", "上官", "诸葛"]
PERSON_GIVEN = ("秀英 桂兰 玉珍 淑芬 凤琴 丽娟 海燕 红梅 雪梅 秋菊 美玲 慧敏 婉婷 梦瑶 欣悦 诗涵 雨萱 "
                "梓涵 志强 建军 振宇 浩宇 子轩 俊熙 宇轩 鹏飞 翠兰 云飞 晓峰 冬梅 海波 素琴 彩霞 玉兰 "
                "桂芳 凤英 艳萍 丽萍 秀珍 淑兰 月娥 志刚 建平 亚军 红军 晓丽 丽霞 玉梅 淑珍 秀兰 桂英 "
                "凤兰 晓燕 晓红 晓霞 建强 志勇 志伟 俊辉 浩然 伟强 雅琴 文娟 秀芝 桂珍 玉芬 建英 海霞 "
                "红霞 丽芳").split()
PERSON_GIVEN1 = list("婷璐玥琰喆昊晗磊鑫淼")
PUBLIC_GIVEN = ("立群 守仁 守义 世杰 世昌 继光 继业 耀祖 耀宗 兆麟 兆基 启航 崇礼 思齐 思源 鸿儒 "
                "鸿远 令仪 若水 静姝 之恒 之谦 伯言 仲谋 叔夜 季常 士奇 士廉 敬之 敬亭 友谅 友直 "
                "怀瑾 怀远 孝先 孝直 执中 允恭 慎行 笃行 景行 嘉言 懋功 懋德 仕林 仕通 绍基 绍庭").split()

# --- organisations and vocabulary
BRANDS = ("仁和 同济 安泰 益寿 德顺 百草 惠众 济世 福瑞 天佑 长青 博爱 康泰 永安 瑞丰 同仁 恒泰 "
          "民生 万方 嘉禾 泰和 宏济 普济 广济 协和 惠康 怡康 颐和 金桥 银杏 松鹤 鹤年 青松 杏林 "
          "春晖 华夏 中正 立达 信和 兴隆 安济 宝元 和畅 同德 九州 百信 养和 祥瑞 泰康 佑安 万和 "
          "国风 正和 锦华 丰泽 庆丰 恒康 弘德 众安 诚信 聚德").split()
ORG_KINDS = (  # (suffix, credit code prefix, party kind, family)
    ("医院有限公司", "91", "organisation", "hospital"), ("中医医院", "52", "organisation", "hospital"),
    ("康复医院有限公司", "91", "organisation", "hospital"), ("口腔门诊部", "91", "organisation", "clinic"),
    ("中医诊所有限公司", "91", "organisation", "clinic"), ("大药房有限公司", "91", "organisation", "pharmacy"),
    ("医药连锁有限公司", "91", "organisation", "pharmacy"), ("社区卫生服务站", "52", "organisation", "clinic"),
    ("药店", "92", "individual_business", "pharmacy"), ("诊所", "92", "individual_business", "clinic"),
)
BIG_HOSPITALS = ("春城市第一人民医院", "春城市中心医院", "春城市中医院", "春城市妇幼保健院")  # never parties
DRUGS = ("胰岛素注射液 阿托伐他汀钙片 硫酸氢氯吡格雷片 甲钴胺片 头孢呋辛酯片 奥美拉唑肠溶胶囊 "
         "二甲双胍缓释片 硝苯地平控释片 复方丹参滴丸 血塞通注射液 前列地尔注射液 瑞舒伐他汀钙片 "
         "阿卡波糖片 缬沙坦胶囊 单硝酸异山梨酯缓释片 氨氯地平片 莫西沙星片 布地奈德混悬液").split()
GOODS = "保健食品 化妆品 生活用品 医疗器械 营养品 中药饮片礼盒".split()
SERVICES = ("针灸 推拿 中频脉冲电治疗 红外线治疗 磁共振检查 彩色多普勒超声检查 血液透析 康复评定 "
            "静脉输液 心电图检查 肺功能检查 骨密度检查 中药熏洗 拔罐 刮痧 牵引治疗").split()
DEPTS = "内科 外科 康复科 中医科 骨科 心内科 内分泌科 肾内科 针灸科".split()
VIOLATIONS = (  # (item code, facts clause for an organisation); {a},{b},{n} filled per case
    ("XZCF-001", "将{a}串换为{b}进行医保结算"), ("XZCF-002", "为参保人员超量开具{a}"),
    ("XZCF-003", "虚记{s}费用{n}人次"), ("XZCF-004", "对{s}项目重复收费{n}人次"),
    ("XZCF-005", "将不符合入院指征的参保人员收治住院{n}人次"), ("XZCF-006", "分解住院{n}人次"),
    ("XZCF-007", "将{g}串换为医保药品进行结算"), ("XZCF-008", "超标准收取{s}费用{n}人次"),
    ("XZCF-009", "将医保目录外的{s}项目纳入医保基金结算"), ("XZCF-010", "伪造{s}治疗记录{n}份"),
)
PERSON_VIOLATIONS = (  # natural persons
    ("XZCF-020", "冒用参保人{p}的医保凭证就医购药{n}次"),
    ("XZCF-021", "将本人医保凭证交由他人冒名使用{n}次"),
    ("XZCF-022", "利用享受医保待遇的机会转卖{a}{n}盒"),
    ("XZCF-023", "使用伪造的住院票据申报报销{n}次"),
)
CHECK_ITEMS = ("医保基金使用情况 药品和医用耗材进销存台账 医保结算数据 住院病历 处方和医嘱 "
               "收费票据 医保医师管理 实名就医核验 进销存系统与医保结算系统对照 费用清单").split()
PROBLEM_TEXTS = ("部分诊疗项目收费与医保目录不符 个别处方超量开药 进销存台账登记不全 "
                 "住院病历记录不完整 医保药品追溯码采集不全 部分费用清单与医嘱不一致").split()
RESULT_PLANS = (  # penalty categories for an organisation
    ("罚款", "责令退回"), ("罚款", "责令退回"), ("罚款", "责令退回", "暂停医药服务"),
    ("警告", "责令改正"), ("罚款", "责令退回", "暂停相关责任人员医保支付资格"),
    ("罚款", "没收违法所得"), ("罚款", "责令退回", "解除服务协议"),
)
CN_NUM = "一二三四五六七八九十"


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def fmt_amount(value: float) -> str:
    """An amount of 元 as written in a decision: 26000 or 2044.49."""
    return f"{value:.2f}" if value != int(value) else str(int(value))


def cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def han_count(text: str) -> int:
    """Number of Chinese characters in ``text`` (the unit of BODY_MIN/BODY_MAX)."""
    return len(NOT_HAN_RE.sub("", text))


def credit_code(prefix: str, area: str, serial: int) -> str:
    """A GB 32100 统一社会信用代码 with a right check character; the org part starts MA."""
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = ""
    for _ in range(7):
        serial, rest = divmod(serial, 31)
        body = chars[rest] + body
    code17 = prefix + area + "MA" + body
    return code17 + credit_check_char(code17)


def id_number(rng: random.Random, born: dt.date) -> str:
    """An 18-digit 公民身份号码 with a valid GB 11643 check digit."""
    head = f"2201{rng.randrange(2, 12):02d}{born:%Y%m%d}{rng.randrange(1, 999):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return head + "10X98765432"[sum(int(d) * w for d, w in zip(head, weights, strict=True)) % 11]


@dataclass
class Person:
    name: str
    born: dt.date
    id_no: str
    phone: str
    address: str


@dataclass
class Org:
    kind: str  # organisation | individual_business
    name: str
    code: str
    family: str  # hospital | clinic | pharmacy
    rep: str  # legal representative (public) or operator (a person, masked)


@dataclass
class Rec:
    """One result before rendering."""

    i: int
    type: str
    agency: tuple
    decided: dt.date
    party: Org | Person
    persons: list[Person]
    special: str = ""  # "" | unapproved | undisclosed | revoked | corrected
    id: str = ""
    doc_no: str = ""


@dataclass
class GenerateResult:
    """What :func:`generate` wrote, and the records it made special on purpose."""

    out: Path
    count: int
    by_type: dict[str, int]
    held: dict[str, str] = field(default_factory=dict)  # case id -> rule (R-APPROVAL / R-NOPUB)
    revoked: list[str] = field(default_factory=list)
    corrected: list[str] = field(default_factory=list)  # case ids with an accepted correction
    plain_penalties: list[str] = field(default_factory=list)  # live penalty cases, no correction
    files: int = 0


class _Names:
    """Person and public-name factory on one RNG."""

    def __init__(self, rng: random.Random, as_of: dt.date):
        self.rng, self.as_of = rng, as_of

    def person_name(self) -> str:
        sur = self.rng.choice(SURNAMES)
        if self.rng.random() < 0.1:
            return sur + self.rng.choice(PERSON_GIVEN1)
        return sur + self.rng.choice(PERSON_GIVEN)

    def public_name(self) -> str:
        return self.rng.choice(SURNAMES[:-4]) + self.rng.choice(PUBLIC_GIVEN)

    def person(self) -> Person:
        r = self.rng
        born = dt.date(r.randrange(1940, 2004), r.randrange(1, 13), r.randrange(1, 29))
        phone = f"1{r.choice('3578')}{r.randrange(0, 10**9):09d}"
        address = (f"{CITY}{r.choice(DISTRICTS)}{r.choice(BRANDS)}小区{r.randrange(1, 40)}栋"
                   f"{r.randrange(1, 7)}单元{r.randrange(1, 30)}{r.randrange(1, 5):02d}室")
        return Person(self.person_name(), born, id_number(r, born), phone, address)


def make_orgs(rng: random.Random, names: _Names, count: int) -> list[Org]:
    """``count`` distinct organisations and 个体工商户 with unique names and credit codes."""
    orgs, seen, serial = [], set(), 1000
    while len(orgs) < count:
        suffix, prefix, kind, family = rng.choice(ORG_KINDS)
        district = rng.choice(DISTRICTS)
        brand = rng.choice(BRANDS) + (rng.choice(BRANDS) if len(seen) > 3000 else "")
        name = f"{CITY}{district}{brand}{suffix}"
        if name in seen:
            continue
        seen.add(name)
        serial += 1 + rng.randrange(50)
        area = "2201" + f"{DISTRICTS.index(district) + 2:02d}"
        rep = names.person_name() if kind == "individual_business" else names.public_name()
        orgs.append(Org(kind, name, credit_code(prefix, area, serial), family, rep))
    return orgs


def _weighted(rng: random.Random, pairs) -> object:
    return rng.choices([p[0] for p in pairs], weights=[p[-1] for p in pairs])[0]


def _decided(rng: random.Random, as_of: dt.date) -> dt.date:
    """A working-week day within the 5 years before ``as_of`` (never after it)."""
    day = as_of - dt.timedelta(days=rng.randrange(0, 5 * 365))
    return day - dt.timedelta(days=max(0, day.weekday() - 4))


def plan_records(rng: random.Random, count: int, as_of: dt.date) -> list[Rec]:
    """The records in decision order, with ids, 文号 and the on-purpose special ones."""
    names = _Names(rng, as_of)
    orgs = make_orgs(rng, names, max(40, count // 4))
    recs = []
    for i in range(count):
        rtype = _weighted(rng, TYPE_WEIGHTS)
        agency = rng.choices(AGENCIES, weights=[a[3] for a in AGENCIES])[0]
        natural = rtype == "penalty" and rng.random() < 0.2
        party = names.person() if natural else rng.choice(orgs)
        k = rng.choice((0, 1, 1, 2, 2, 3)) if rtype == "penalty" else rng.choice((0, 0, 1))
        persons = [names.person() for _ in range(k + (1 if natural else 0))]
        recs.append(Rec(i, rtype, agency, _decided(rng, as_of), party, persons))
    recs.sort(key=lambda r: (r.decided, r.i))
    per_year, per_doc = {}, {}
    for rec in recs:
        y = rec.decided.year
        per_year[y] = per_year.get(y, 0) + 1
        rec.id = f"{y}-{per_year[y]:06d}"
        key = (rec.agency[1], rec.type, y)
        per_doc[key] = per_doc.get(key, 0) + 1
        rec.doc_no = f"{rec.agency[1]}{TYPE_CHAR[rec.type]}〔{y}〕{per_doc[key]}号"
    _mark_special(rng, recs, as_of)
    return recs


def _mark_special(rng: random.Random, recs: list[Rec], as_of: dt.date) -> None:
    """One per 1,000 unapproved / undisclosed / revoked, one per 2,000 corrected (≥ 1 each)."""
    old = [r for r in recs if (as_of - r.decided).days > 150]
    n = max(1, len(recs) // 1000)
    for j, rec in enumerate(rng.sample(old, min(len(old), 3 * n))):
        rec.special = ("unapproved", "undisclosed", "revoked")[j // n]
    # A correction needs a live penalty with a summary to correct.
    penalties = [r for r in old if r.type == "penalty" and not r.special]
    for rec in rng.sample(penalties, min(len(penalties), max(1, len(recs) // 2000))):
        rec.special = "corrected"


# ------------------------------------------------------------------ texts
class _Text:
    """The text of one record: facts, result, and the full decision text."""

    def __init__(self, rng: random.Random, rec: Rec):
        self.rng, self.rec = rng, rec
        r = rng
        self.drug_a, self.drug_b = r.sample(DRUGS, 2)
        self.service = r.choice(SERVICES)
        self.n = r.randrange(3, 240)
        start = rec.decided - dt.timedelta(days=r.randrange(200, 700))
        end = start + dt.timedelta(days=r.randrange(60, 180))
        self.period = f"{start.year}年{start.month}月至{end.year}年{end.month}月"
        self.loss = round(10 ** r.uniform(2.9, 5.7), r.choice((0, 0, 2)))
        self.times = r.choice((1, 1, 2, 2, 3))
        self.filed = rec.decided - dt.timedelta(days=r.randrange(40, 120))
        self.notified = rec.decided - dt.timedelta(days=r.randrange(12, 35))
        self.item_code = ""

    def amount(self, value: float) -> str:
        return fmt_amount(value)

    def who(self) -> str:
        p = self.rec.party
        return "你" if isinstance(p, Person) else ("你店" if p.kind == "individual_business" else "你单位")

    def person_clause(self, p: Person, role: str) -> str:
        r = self.rng.random()
        if role == "患者" and r < 0.3:
            return f"患者{p.name}（住院号ZY{self.rng.randrange(10**7, 10**8)}）"
        if r < 0.6:
            return f"{role}{p.name}（身份证号{p.id_no}，联系电话{p.phone}）"
        return f"{role}{p.name}"

    def facts(self) -> str:
        rec, r = self.rec, self.rng
        if isinstance(rec.party, Person):
            return self._person_facts()
        code, clause = r.choice(VIOLATIONS)
        self.item_code = code
        what = clause.format(a=self.drug_a, b=self.drug_b, s=self.service, n=self.n, g=r.choice(GOODS))
        parts = [f"经查，{self.period}，{rec.party.name}存在{what}等违规行为"]
        for j, p in enumerate(rec.persons):
            role = ("参保人", "医师", "患者")[j % 3]
            if role == "医师":
                parts.append(f"其中{r.choice(DEPTS)}医师{p.name}将{self.service}串换为医保支付项目进行结算")
            else:
                parts.append(f"为{self.person_clause(p, role)}超量开具{self.drug_a}{r.randrange(4, 30)}盒")
        return "；".join(parts) + f"。上述行为造成医保基金损失{self.amount(self.loss)}元。"

    def _person_facts(self) -> str:
        rec, r = self.rec, self.rng
        code, clause = r.choice(PERSON_VIOLATIONS)
        self.item_code = code
        others = rec.persons[1:] if "{p}" in clause else rec.persons
        what = clause.format(p=others[0].name if others else "他人", a=self.drug_a, n=self.n)
        text = (f"经查，当事人{rec.party.name}（身份证号{rec.party.id_no}）于{self.period}期间，"
                f"在{r.choice(BIG_HOSPITALS)}等定点医药机构{what}，骗取医保基金{self.amount(self.loss)}元。")
        for p in others[1:] if "{p}" in clause else others:
            text += f"证人{p.name}（联系电话{p.phone}）的证言证实了上述事实。"
        return text

    def result(self) -> tuple[list[str], str, float, float]:
        """(categories, summary, fine, refund) of a penalty."""
        if isinstance(self.rec.party, Person):
            cats = ["责令退回", "罚款"]
        else:
            cats = list(self.rng.choice(RESULT_PLANS))
        refund = self.loss if "责令退回" in cats or "没收违法所得" in cats else 0
        fine = round(self.loss * self.times, 2) if "罚款" in cats else 0
        parts = []
        for c in cats:
            if c == "罚款":
                parts.append(f"处违法违规金额{self.times}倍罚款{self.amount(fine)}元")
            elif c in ("责令退回", "没收违法所得"):
                parts.append(f"{c}医保基金{self.amount(refund)}元")
            elif c.startswith("暂停"):
                parts.append(f"{c}{self.rng.choice((3, 6, 12))}个月")
            else:
                parts.append(c)
        return cats, "，".join(parts) + "。", fine, refund

    # ------------------------------------------------------------ full texts
    def _paras(self, head: list[str], pool: list[str], tail: list[str]) -> str:
        """head + optional paragraphs (in random order) + tail, 600–1,500 Chinese characters."""
        target = self.rng.randrange(BODY_MIN, BODY_MAX + 1)
        total = sum(han_count(p) for p in head + tail)
        middle = []
        for para in self.rng.sample(pool, len(pool)):
            n = han_count(para)
            if total >= target:
                break
            if total + n <= BODY_MAX:
                middle.append(para)
                total += n
        return "\n\n".join(head + middle + tail) + "\n"

    def _party_lines(self, label: str = "当事人") -> list[str]:
        p = self.rec.party
        if isinstance(p, Person):
            sex = self.rng.choice(("男", "女"))
            return [f"{label}：{p.name}，{sex}，{cn_date(p.born)}出生，身份证号：{p.id_no}，"
                    f"住址：{p.address}。"]
        lines = [f"{label}：{p.name}", f"统一社会信用代码：{p.code}"]
        if p.kind == "individual_business":
            return lines + [f"经营者：{p.rep}"]
        return lines + [f"法定代表人：{p.rep}"]

    def _tail(self, agency: str) -> list[str]:
        court = f"{CITY}{self.rng.choice(DISTRICTS[:4])}人民法院"
        return [f"如不服本决定，可以在收到本决定书之日起六十日内向{CITY}人民政府申请行政复议，"
                f"或者在六个月内依法向{court}提起行政诉讼。申请行政复议或者提起行政诉讼期间，"
                "本决定不停止执行。", agency, cn_date(self.rec.decided)]

    def _shared_pool(self) -> list[str]:
        who, r = self.who(), self.rng
        if isinstance(self.rec.party, Person):
            return self._person_pool()
        return [
            f"调查期间，执法人员依法出示了执法证件，告知了{who}依法享有的权利和义务，"
            f"对{who}的医保结算数据、药品进销存台账、费用清单等资料进行了调取和核查，并制作了现场检查笔录。",
            "本局依法对本案进行了法制审核。法制审核机构认为，本案事实清楚，证据确凿，程序合法，"
            "适用依据正确，处理适当，同意作出本决定。",
            "定点医药机构应当按照规定提供医药服务，建立健全医疗保障基金使用内部管理制度，由专门机构或者"
            "人员负责医疗保障基金使用管理工作，并按照规定保管财务账目、会计凭证、处方、病历、治疗检查"
            "记录、费用明细、药品和医用耗材出入库记录等资料。",
            f"本局已将本案有关情况通报{CITY}医疗保障事务中心，由经办机构依据医疗保障定点服务协议另行处理，"
            "并将本决定信息依法向社会公开，接受社会监督。",
            f"根据医疗保障信用管理的有关规定，本局将依法对{who}作出相应的信用评价，"
            "相关信息将按规定共享至信用信息平台。",
            f"{who}应当引以为戒，进一步加强医保政策学习，规范诊疗和收费行为，"
            "完善内部管理制度，切实维护医疗保障基金安全。",
            f"本局于{cn_date(self.filed + dt.timedelta(days=r.randrange(3, 20)))}依法向{who}"
            "调取了相关期间的医保结算明细和药品购销凭证，经比对分析，相关数据能够相互印证。",
        ]

    def _person_pool(self) -> list[str]:
        who, r = self.who(), self.rng
        return [
            f"调查期间，执法人员依法出示了执法证件，告知了{who}依法享有的权利和义务，调取了{who}在相关"
            "定点医药机构的就医购药记录、医保结算明细和费用清单，并制作了询问笔录。",
            "本局依法对本案进行了法制审核。法制审核机构认为，本案事实清楚，证据确凿，程序合法，"
            "适用依据正确，处理适当，同意作出本决定。",
            "参保人员应当持本人医疗保障凭证就医、购药，并主动出示接受查验；不得将本人的医疗保障凭证"
            "交由他人冒名使用，不得重复享受医疗保障待遇，不得利用享受医疗保障待遇的机会转卖药品。",
            f"根据医疗保障信用管理的有关规定，本局将依法对{who}作出相应的信用评价，"
            "相关信息将按规定共享至信用信息平台。",
            f"{who}应当引以为戒，严格遵守医疗保障法律法规，依法依规享受医疗保障待遇，"
            "自觉维护医疗保障基金安全。",
            f"本局于{cn_date(self.filed + dt.timedelta(days=r.randrange(3, 20)))}依法调取了{who}"
            "相关期间的医保结算明细和就医记录，经比对分析，相关数据能够相互印证。",
            f"经医疗保障经办机构核实，{who}在上述期间的医保结算记录共{self.n}条，"
            "其中与本案有关的结算记录均已逐笔核对，并由经办机构出具了书面说明。",
        ]

    def penalty_body(self, facts: str, cats: list[str], summary: str) -> str:
        rec, who, r = self.rec, self.who(), self.rng
        agency, prefix = rec.agency[0], rec.agency[1]
        art = r.choice(("第三十八条", "第四十条")) if not isinstance(rec.party, Person) else "第四十一条"
        defended = r.random() < 0.3
        head = [f"{agency}行政处罚决定书", rec.doc_no, *self._party_lines(),
                f"{agency}于{cn_date(self.filed)}对{who}涉嫌违反医疗保障基金使用管理规定一案立案调查，"
                "本案现已调查终结。", "经查明：" + facts.removeprefix("经查，"),
                f"本局于{cn_date(self.notified)}向{who}送达了《行政处罚事先告知书》"
                f"（{prefix}罚告〔{self.notified.year}〕{r.randrange(1, 300)}号），告知{who}拟作出行政处罚的"
                f"事实、理由、依据和处罚内容，以及依法享有的陈述、申辩和要求听证的权利。"
                + (f"{who}在法定期限内提出了陈述、申辩意见，本局经复核认为其理由不能成立，不予采纳。"
                   if defended else f"{who}在法定期限内未提出陈述、申辩意见，也未要求听证。")]
        lines = [f"{CN_NUM[j]}、{part}" for j, part in enumerate(summary.rstrip("。").split("，"))]
        tail = [f"本局认为，{who}的上述行为违反了《医疗保障基金使用监督管理条例》的有关规定。依据"
                f"《医疗保障基金使用监督管理条例》{art}的规定，决定作出如下行政处罚：",
                "；".join(lines) + "。"]
        if "罚款" in cats:
            tail.append(f"{who}应当自收到本决定书之日起十五日内，持本决定书到指定银行缴纳罚款。逾期不缴纳"
                        "罚款的，本局将依据《中华人民共和国行政处罚法》第七十二条的规定，每日按罚款数额的"
                        "百分之三加处罚款。")
        return self._paras(head, self._shared_pool() + self._penalty_pool(defended), tail + self._tail(agency))

    def _penalty_pool(self, defended: bool) -> list[str]:
        who, r = self.who(), self.rng
        pool = [
            f"上述事实有现场检查笔录、询问笔录、医保结算明细、药品进销存台账、费用清单以及{who}提供的"
            "相关书面说明等证据证明，证据之间能够相互印证，足以认定。",
            f"根据《{CITY}医疗保障行政处罚裁量基准》，{who}的违法违规金额属于较大情形，但{who}能够积极"
            "配合调查并主动退回部分医保基金，依法可以从轻处罚，故本局在法定幅度内从轻作出处罚。",
            f"经核算，上述违规行为涉及参保人员{self.n}人次，造成医保基金损失{self.amount(self.loss)}元，"
            "其中统筹基金和个人账户支付部分均已逐笔核实。",
            "因本案涉及较大数额罚款，本局依照《中华人民共和国行政处罚法》第五十七条的规定，"
            "经本局负责人集体讨论，决定作出本行政处罚。",
            f"此前本局曾对{who}进行约谈，并书面提示其规范医保基金使用行为，但{who}未能有效整改，"
            "违规行为持续发生。",
        ]
        if defended:
            pool.append(f"{who}在陈述申辩中提出，相关违规行为系工作疏忽所致，且已主动退回部分资金，请求减轻"
                        f"处罚。经复核，{who}所提意见与本局查明的事实不符，且缺乏相应证据，本局不予采纳。")
        if not isinstance(self.rec.party, Person):
            pool.append(f"调查期间，{who}对相关问题进行了自查自纠，完善了医保管理制度，"
                        f"加强了对{r.choice(('医务人员', '工作人员'))}的医保政策培训，本局在裁量时予以考虑。")
            pool.append(f"经对{self.period}期间医保结算数据与药品进销存数据进行比对分析，{self.drug_a}的医保"
                        "结算数量明显大于同期进货数量，差额部分当事人无法作出合理说明。")
        return pool

    def inspection_fields(self) -> dict[str, str]:
        rec, r = self.rec, self.rng
        self.item_code = r.choice(("XZJC-001", "XZJC-002"))
        items = "、".join(r.sample(CHECK_ITEMS, r.randrange(2, 5)))
        found = r.random() < 0.6 or bool(rec.persons)
        problems = "；".join(r.sample(PROBLEM_TEXTS, r.randrange(1, 3))) if found else "未发现问题"
        for p in rec.persons:
            problems += f"；{r.choice(DEPTS)}医师{p.name}开具的部分处方超出规定用量"
        return {"method": r.choice(("现场检查", "现场检查、查阅资料", "非现场检查、数据核查")),
                "check_items": items, "problems": problems + ("。" if found else ""),
                "rectification": ("已责令限期整改，整改情况将纳入下次检查。" if found else "")}

    def inspection_body(self, f: dict[str, str], title: str, extra: list[str] | None = None) -> str:
        rec, who = self.rec, self.who()
        agency = rec.agency[0]
        start = rec.decided - dt.timedelta(days=self.rng.randrange(10, 40))
        head = [f"{agency}{title}", rec.doc_no, *self._party_lines("被检查单位"), *(extra or []),
                f"根据《医疗保障基金使用监督管理条例》第二十七条的规定，本局于{cn_date(start)}至"
                f"{cn_date(rec.decided)}对{who}医疗保障基金使用情况进行了检查，检查方式为{f['method']}。",
                f"检查内容：{f['check_items']}。", f"检查发现的问题：{f['problems']}"]
        tail = [f"处理意见：{f.get('rectification') or f.get('follow_up') or '未发现问题，不作处理。'}"]
        pool = self._shared_pool() + [
            f"检查中，{who}能够积极配合，按要求提供了相关资料，并对检查人员提出的问题作出了说明。",
            f"请{who}对照检查发现的问题，逐项制定整改措施，明确整改责任和时限，"
            "并于收到本告知书之日起三十日内将整改情况书面报送本局。",
            "本局将对整改落实情况进行跟踪复查，对整改不到位或者拒不整改的，依法依规严肃处理。",
            f"本次检查共抽查病历和处方{self.n}份，核查医保结算数据{self.n * 12}条，"
            "对重点药品和医用耗材的进销存情况进行了实地盘点。",
            f"{who}应当进一步健全医保基金使用内部管理制度，加强对{self.drug_a}等重点药品的管理，"
            "确保医保结算与实际发生的医药服务相符。",
        ]
        return self._paras(head, pool, tail + self._tail(agency)[1:])

    def random_fields(self) -> dict[str, str]:
        r = self.rng
        f = self.inspection_fields()
        self.item_code = r.choice(("SJCC-001", "SJCC-002", "SJCC-003", "SJCC-004"))
        found = f["problems"] != "未发现问题"
        return {"task": f"{self.rec.decided.year}年度定点医药机构医保基金使用情况双随机抽查",
                "method": f["method"], "check_items": f["check_items"],
                "outcome": "发现问题" if found else "正常", "problems": f["problems"],
                "follow_up": "已责令限期整改，并将整改情况纳入年度考核。" if found else "无需后续处理。"}

    def other_fields(self) -> dict[str, str]:
        rec, r = self.rec, self.rng
        self.item_code = r.choice(("XZQZ-001", "XZQZ-002"))
        what = r.choice(("财务账册和会计凭证", f"{self.drug_a}等药品", "医保结算票据和处方"))
        facts = (f"本局在对{rec.party.name}进行检查时发现，其{what}可能被转移、隐匿或者灭失，"
                 "为防止证据灭失，需依法采取查封、扣押措施。")
        return {"category": "行政强制", "facts": facts,
                "conclusion": f"依法对{what}予以查封，期限为三十日。"}

    def other_body(self, f: dict[str, str]) -> str:
        rec, who = self.rec, self.who()
        agency = rec.agency[0]
        head = [f"{agency}查封（扣押）决定书", rec.doc_no, *self._party_lines(), f["facts"],
                "依据《医疗保障基金使用监督管理条例》第二十七条第二项的规定，本局决定：" + f["conclusion"],
                "查封（扣押）的场所、设施或者财物详见《查封（扣押）物品清单》。"]
        pool = self._shared_pool() + [
            f"查封期间，{who}不得擅自启封、转移、损毁、隐匿被查封的财物；对查封的资料，"
            "本局将妥善保管，不得使用或者损毁。",
            "本局将在查封期限内查清事实，对违法事实清楚、依法应当没收的，依法作出处理决定；"
            "对与违法行为无关的，及时解除查封。",
            f"本次查封经本局负责人批准，执法人员当场告知了{who}采取行政强制措施的理由、依据"
            "以及依法享有的权利和救济途径，并听取了陈述和申辩。",
            "查封物品清单一式两份，由当事人和本局分别保存，执法人员和当事人在清单上签名确认。",
        ]
        return self._paras(head, pool, self._tail(agency))


# ------------------------------------------------------------------ case files
def _party_yaml(p: Org | Person) -> str:
    if isinstance(p, Person):
        return f"party: {{kind: natural_person, name: {q(p.name)}}}\n"
    rep = "operator" if p.kind == "individual_business" else "legal_rep"
    return (f"party: {{kind: {p.kind}, name: {q(p.name)}, credit_code: {p.code}, "
            f"{rep}: {q(p.rep)}}}\n")


def _special_yaml(rec: Rec) -> str:
    if rec.special == "undisclosed":
        return "disclose: none\ndisclose_reason: 公开后可能妨碍正在进行的关联案件调查\n"
    if rec.special == "revoked":
        changed = rec.decided + dt.timedelta(days=90)
        return (f"disclose: full\nstatus: revoked\nstatus_changed_on: {changed}\n"
                f"status_note: 经行政复议，{CITY}人民政府决定撤销该决定，本局已依法撤回。\n")
    return "disclose: full\n"


def case_text(rng: random.Random, rec: Rec, as_of: dt.date) -> tuple[str, dict]:
    """The file text of one result, and its penalty result (for corrections)."""
    t = _Text(rng, rec)
    names = [p.name for p in rec.persons]
    if isinstance(rec.party, Person):
        names = [rec.party.name, *names]
    fields, result = "", {}
    if rec.type == "penalty":
        facts = t.facts()
        cats, summary, fine, refund = t.result()
        result = {"summary": summary, "fine": fine}
        money = f"  fine: {t.amount(fine)}\n" if fine else ""
        if refund:
            key = "confiscated" if "没收违法所得" in cats else "refund"
            money += f"  {key}: {t.amount(refund)}\n"
        fields = (f"facts: |\n  {facts}\nbasis: 《医疗保障基金使用监督管理条例》\n"
                  f"result:\n  category: {q(cats) if len(cats) > 1 else q(cats[0])}\n{money}"
                  f"  summary: {q(summary)}\n")
        body = t.penalty_body(facts, cats, summary)
    elif rec.type in ("inspection", "random_check"):
        f = t.inspection_fields() if rec.type == "inspection" else t.random_fields()
        fields = "basis: 《医疗保障基金使用监督管理条例》第二十七条\n" + "".join(
            f"{k}: {q(v)}\n" for k, v in f.items() if v)
        title = "行政检查结果告知书" if rec.type == "inspection" else "双随机抽查结果告知书"
        extra = [f"抽查任务：{f['task']}"] if rec.type == "random_check" else None
        body = t.inspection_body(f, title, extra)
    else:
        f = t.other_fields()
        fields = "basis: 《医疗保障基金使用监督管理条例》第二十七条第二项\n" + "".join(
            f"{k}: {q(v)}\n" for k, v in f.items())
        body = t.other_body(f)
    approved = min(rec.decided + dt.timedelta(days=rng.randrange(1, 5)), as_of)
    approval = (UNAPPROVED if rec.special == "unapproved" else APPROVAL) % approved
    head = (f"---\nid: {rec.id}\ntype: {rec.type}\ndoc_no: {q(rec.doc_no)}\nitem: {t.item_code}\n"
            f"agency: {rec.agency[0]}\ndecided_on: {rec.decided}\n{_party_yaml(rec.party)}"
            + (f"persons: {q(names)}\n" if names else ""))
    return head + fields + _special_yaml(rec) + f"approval: {approval}\n---\n" + body, result



def correction_text(rng: random.Random, rec: Rec, result: dict) -> str:
    """An accepted correction of ``rec``'s result.summary (R-CORR); the case file has the new text."""
    new = result["summary"]
    fine = result["fine"]
    if fine:  # the published amount had a digit too many
        old = new.replace(f"罚款{fmt_amount(fine)}元", f"罚款{fmt_amount(round(fine * 10, 2))}元")
    else:
        old = new.rstrip("。") + "，并予以通报批评。"
    received = rec.decided + dt.timedelta(days=rng.randrange(20, 40))
    decided = received + dt.timedelta(days=rng.randrange(3, 10))
    applicant = _Names(rng, rec.decided).person()
    return (f"id: GZ-{rec.id}\ncase: {rec.id}\nreceived_on: {received}\n"
            f"applicant: {q(applicant.name)}\ncontact: {q(applicant.phone)}\n"
            f"claim: 处罚内容的表述与决定书原件不一致。\nevidence: 行政处罚决定书原件复印件\n"
            f"decision: accepted\ndecided_on: {decided}\nchanges:\n  - field: result.summary\n"
            f"    old: {q(old)}\n    new: {q(new)}\nreply_on: {decided + dt.timedelta(days=1)}\n"
            "reply: 经核实，您反映的情况属实，我局已对公示内容予以更正。\n")


# ------------------------------------------------------------------ bureau and lists
def bureau_yaml(as_of: dt.date) -> str:
    """bureau.yaml of the fictional 春城市医疗保障局 (L-BODY, L-REPORT, site footer)."""
    code = "11220100MB0000009"
    units = "".join(f"  - name: {u}\n    duties: {d}\n" for u, d in (
        ("基金监管科", "承担医保基金使用监督检查和行政处罚案件办理。"),
        ("法规科", "承担重大执法决定法制审核、行政复议应诉和执法监督工作。"),
        ("稽核科", "承担双随机抽查、专项检查和数据筛查工作。")))
    return (f"name: {BUREAU}\ncredit_code: {code}{credit_check_char(code)}\nduties: |\n"
            "  负责本市医疗保障基金监督管理，依法查处医疗保障领域违法违规行为，组织开展医保基金使用"
            "监督检查。\n"
            f"units:\n{units}jurisdiction: 本市行政区域内定点医药机构、参保人员的医保基金使用行为。\n"
            f"region: {CITY}行政区域\naddress: {CITY}人民大街1000号\npostcode: \"130000\"\n"
            "phone: 0431-88880000\nemail: ybj@chuncheng.gov.cn\n"
            "office_hours: 工作日 8:30-11:30，13:30-17:00\n"
            f"report:\n  address: {CITY}人民大街1000号 基金监管科\n  postcode: \"130000\"\n"
            "  phone: 0431-88881234\n  email: jubao@chuncheng.gov.cn\n  procedure: |\n"
            "    收到举报后5个工作日内决定是否受理，并告知举报人；查实的，按规定给予奖励。\n"
            f"site:\n  title: {BUREAU}行政执法公示\n  identifier: \"2201000099\"\n"
            "  icp: 吉ICP备00000000号-1\n  psb: 吉公网安备 22010202000000号\n"
            f"  host: {BUREAU}\n  url: https://ybj.chuncheng.gov.cn/gongshi/\n"
            f"approval: {APPROVAL % (as_of - dt.timedelta(days=300))}\n")


def _items() -> list[dict]:
    names = {
        "XZCF-001": "对定点医药机构串换药品、医用耗材、诊疗项目和服务设施的处罚",
        "XZCF-002": "对定点医药机构违反诊疗规范过度诊疗、超量开药的处罚",
        "XZCF-003": "对定点医药机构虚构医药服务项目的处罚",
        "XZCF-004": "对定点医药机构重复收费、分解项目收费的处罚",
        "XZCF-005": "对定点医疗机构违反规定收治住院的处罚",
        "XZCF-006": "对定点医疗机构分解住院、挂床住院的处罚",
        "XZCF-007": "对定点零售药店将非医保药品或者其他商品串换成医保药品的处罚",
        "XZCF-008": "对定点医药机构超标准收费的处罚",
        "XZCF-009": "对定点医药机构将不属于医保基金支付范围的费用纳入结算的处罚",
        "XZCF-010": "对定点医药机构伪造、变造医学文书等有关资料的处罚",
        "XZCF-020": "对个人冒用他人医疗保障凭证就医购药的处罚",
        "XZCF-021": "对个人将本人医疗保障凭证交由他人冒名使用的处罚",
        "XZCF-022": "对个人利用享受医疗保障待遇的机会转卖药品的处罚",
        "XZCF-023": "对个人使用伪造票据骗取医保基金的处罚",
    }
    rows = [{"code": code, "name": name, "category": "行政处罚", "basis": ["B01", "B02"],
             "basis_articles": "《医疗保障基金使用监督管理条例》第三十八条至第四十一条", "body": BUREAU,
             "discretion": [
                 {"level": "从轻", "condition": "首次违法且主动退回", "standard": "处违法违规金额1倍罚款"},
                 {"level": "一般", "condition": "违法违规金额较大", "standard": "处违法违规金额2倍罚款"},
                 {"level": "从重", "condition": "多次违法或拒不整改", "standard": "处违法违规金额3至5倍罚款"}]}
            for code, name in names.items()]
    rows += [{"code": "XZJC-001", "name": "对定点医药机构医保基金使用情况的行政检查", "category": "行政检查",
              "basis": ["B01"], "body": BUREAU},
             {"code": "XZJC-002", "name": "对定点医药机构医保政策执行情况的专项检查", "category": "行政检查",
              "basis": ["B01", "B04"], "body": BUREAU},
             {"code": "XZQZ-001", "name": "查封、扣押可能被转移、隐匿或者灭失的资料", "category": "行政强制",
              "basis": ["B01", "B03"], "body": BUREAU},
             {"code": "XZQZ-002", "name": "查封、扣押与违法行为有关的药品和医用耗材", "category": "行政强制",
              "basis": ["B01", "B03"], "body": BUREAU}]
    return rows


def _list_rows(rng: random.Random) -> dict[str, dict]:
    """The rows (and extras) of every 事前公开 list."""
    names, seen = _Names(rng, AS_OF), []
    while len(seen) < 40:
        n = names.public_name()
        if n not in seen:
            seen.append(n)
    units = ("基金监管科", "稽核科", "南关区医疗保障局", "东湖区医疗保障局", "西山区医疗保障局", "北城区医疗保障局")
    steps = [{"name": s, "limit": lim} for s, lim in (
        ("立案", "15个工作日"), ("调查取证", ""), ("法制审核", "7个工作日"),
        ("告知陈述申辩权", "5个工作日"), ("作出决定", "90日"), ("送达并公示", "7个工作日"))]
    return {
        "officers": {"rows": [{"name": n, "gender": rng.choice(("男", "女")), "region": CITY,
                               "unit": units[k % len(units)], "cert_no": f"22010021{k:03d}",
                               "post": "科长" if k % 8 == 0 else "科员"} for k, n in enumerate(seen, 1)]},
        "bases": {"rows": [
            {"id": "B01", "title": "医疗保障基金使用监督管理条例", "level": "行政法规", "issuer": "国务院",
             "number": "国务院令第735号", "effective_on": dt.date(2021, 5, 1)},
            {"id": "B02", "title": "中华人民共和国行政处罚法", "level": "法律",
             "issuer": "全国人民代表大会常务委员会", "effective_on": dt.date(2021, 7, 15)},
            {"id": "B03", "title": "中华人民共和国行政强制法", "level": "法律",
             "issuer": "全国人民代表大会常务委员会", "effective_on": dt.date(2012, 1, 1)},
            {"id": "B04", "title": "医疗保障行政处罚程序暂行规定", "level": "部门规章",
             "issuer": "国家医疗保障局", "number": "国家医疗保障局令第4号", "effective_on": dt.date(2021, 7, 15)}]},
        "items": {"rows": _items()},
        "flows": {"rows": [{"id": f"flow-{k}", "title": f"{proc}流程图", "procedure": proc, "steps": steps}
                           for k, proc in enumerate(("一般程序处罚", "简易程序", "行政检查", "行政强制", "听证"), 1)]},
        "remedies": {"rows": [
            {"kind": k, "where": w, "how": h, "limit": lim} for k, w, h, lim in (
                ("陈述", BUREAU, "书面或口头", "收到告知书之日起5个工作日内"),
                ("申辩", BUREAU, "书面或口头", "收到告知书之日起5个工作日内"),
                ("听证", BUREAU, "书面申请", "收到告知书之日起5个工作日内"),
                ("行政复议", f"{CITY}人民政府", "书面或口头申请", "知道决定之日起60日内"),
                ("行政诉讼", f"{CITY}南关区人民法院", "起诉状", "知道决定之日起6个月内"))]},
        "random": {"rules": "抽查对象从定点医药机构名录库中随机抽取，执法人员从执法人员名录库中随机选派。\n",
                   "rows": [{"code": f"SJCC-00{k}", "name": n, "basis": "医疗保障基金使用监督管理条例",
                             "body": BUREAU, "object": o, "content": "医保基金使用情况", "method": "现场检查",
                             "ratio": "5%", "frequency": "每年一次"} for k, (n, o) in enumerate((
                                 ("定点医疗机构医保基金使用情况抽查", "定点医疗机构"),
                                 ("定点零售药店医保基金使用情况抽查", "定点零售药店"),
                                 ("定点医药机构医保药品进销存情况抽查", "定点医药机构"),
                                 ("定点医疗机构住院费用专项抽查", "定点医疗机构")), 1)]},
        "guides": {"rows": [{"id": "G01", "item": "XZCF-001", "title": "行政处罚听证申请服务指南",
                             "basis": "中华人民共和国行政处罚法第六十三条", "accepting_body": f"{BUREAU}法规科",
                             "deciding_body": BUREAU, "materials": ["听证申请书", "身份证明"],
                             "process": ["提出申请", "审查受理", "举行听证", "制作笔录"],
                             "time_limit": "收到申请后5个工作日内决定", "fees": "不收费",
                             "supervision": f"{BUREAU}法规科 0431-88880001", "remedies": "行政复议或行政诉讼",
                             "office_hours": "工作日 8:30-11:30，13:30-17:00",
                             "address": f"{CITY}人民大街1000号", "phone": "0431-88880001"}]},
        "reviews": {"rows": [
            {"name": "较大数额罚款", "basis": "中华人民共和国行政处罚法第五十八条", "scope": "对法人罚款10万元以上",
             "body": "法规科"},
            {"name": "暂停医药服务", "basis": "医疗保障基金使用监督管理条例第三十八条", "scope": "暂停6个月以上",
             "body": "法规科"}]},
        "av": {"rows": [{"name": "现场检查", "stage": "调查取证", "requirement": "全过程音像记录",
                         "basis": "医疗保障行政处罚程序暂行规定"},
                        {"name": "查封扣押", "stage": "行政强制", "requirement": "全过程音像记录",
                         "basis": "中华人民共和国行政强制法"}]},
    }


class _PlainDumper(yaml.SafeDumper):
    """SafeDumper without anchors and aliases (&id001): list files read like hand-written ones."""

    def ignore_aliases(self, data) -> bool:
        return True


LIST_TITLES = {"officers": "执法人员清单", "bases": "执法依据", "items": "行政执法事项清单",
               "flows": "执法流程图", "remedies": "救济方式", "random": "随机抽查事项清单",
               "guides": "服务指南", "reviews": "重大执法决定法制审核事项清单", "av": "音像记录事项清单"}


def write_lists(rng: random.Random, out: Path, as_of: dt.date) -> int:
    """Write every lists/<kind>.yaml; returns the number of files."""
    (out / "lists").mkdir(parents=True, exist_ok=True)
    updated = as_of - dt.timedelta(days=200)
    approval = {"reviewed_by": "法规科", "secrecy_review": "办公室", "approved_by": "局长办公会",
                "approved_on": updated}
    for kind, extra in _list_rows(rng).items():
        doc = {"title": LIST_TITLES[kind], "updated_on": updated,
               "history": [{"date": updated, "summary": "年度清单动态调整", "cause": "other"}],
               "approval": approval, **extra}
        text = yaml.dump(doc, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False, width=1000)
        (out / "lists" / f"{kind}.yaml").write_text(text, encoding="utf-8")
    return len(LIST_TITLES)


# ------------------------------------------------------------------ the generator
def generate(count: int, out: Path, as_of: dt.date = AS_OF, seed: int = SEED,
             ledger: bool = True) -> GenerateResult:
    """Write a content dir with ``count`` results into ``out`` (created; must not hold cases).

    Deterministic in (count, as_of, seed).  Returns what was written and which records
    are special on purpose.  Raises ValueError for count < 1 or an ``out`` that already
    has a cases/ folder (results from another run would mix in).
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    out = Path(out)
    if (out / "cases").exists():
        raise ValueError(f"{out}/cases already exists: generate into an empty directory")
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bureau.yaml").write_text(bureau_yaml(as_of), encoding="utf-8")
    files = 1 + write_lists(rng, out, as_of)
    recs = plan_records(rng, count, as_of)
    res = GenerateResult(out, count, {t: 0 for t, _ in TYPE_WEIGHTS})
    for year in sorted({r.decided.year for r in recs}):
        (out / "cases" / str(year)).mkdir(parents=True)
    (out / "corrections").mkdir()
    for rec in recs:
        text, result = case_text(rng, rec, as_of)
        (out / "cases" / str(rec.decided.year) / f"{rec.id}.md").write_text(text, encoding="utf-8")
        res.by_type[rec.type] += 1
        files += 1
        _note(res, rec)
        if rec.special == "corrected":
            ctext = correction_text(rng, rec, result)
            (out / "corrections" / f"GZ-{rec.id}.yaml").write_text(ctext, encoding="utf-8")
            files += 1
    if ledger:
        (out / "ledger.jsonl").write_text("", encoding="utf-8")
        files += 1
    res.files = files
    return res


def _note(res: GenerateResult, rec: Rec) -> None:
    if rec.special == "unapproved":
        res.held[rec.id] = "R-APPROVAL"
    elif rec.special == "undisclosed":
        res.held[rec.id] = "R-NOPUB"
    elif rec.special == "revoked":
        res.revoked.append(rec.id)
    elif rec.special == "corrected":
        res.corrected.append(rec.id)
    elif rec.type == "penalty":
        res.plain_penalties.append(rec.id)


def main(argv: list[str] | None = None) -> int:
    """CLI: write the content dir and print one summary line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, required=True, help="number of results to generate")
    ap.add_argument("--out", type=Path, required=True, help="content dir to create (must have no cases/)")
    ap.add_argument("--as-of", type=dt.date.fromisoformat, default=AS_OF,
                    help=f"no decision after this date; default {AS_OF}")
    ap.add_argument("--seed", type=int, default=SEED, help=f"random seed; default {SEED}")
    ap.add_argument("--no-ledger", action="store_true", help="do not create an empty ledger.jsonl")
    args = ap.parse_args(argv)
    try:
        res = generate(args.count, args.out, args.as_of, args.seed, not args.no_ledger)
    except ValueError as exc:
        print(f"generate.py: {exc}", file=sys.stderr)
        return 2
    kinds = ", ".join(f"{k} {v}" for k, v in res.by_type.items())
    print(f"wrote {res.count} results ({kinds}) in {res.files} files to {res.out}; "
          f"held on purpose {len(res.held)}, revoked {len(res.revoked)}, corrected {len(res.corrected)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
