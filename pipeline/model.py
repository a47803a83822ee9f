"""Plain data objects that flow between the pipeline stages.

Every stage takes these objects and returns new ones (``dataclasses.replace``);
none of them does I/O.  Only ``pipeline.load`` reads files and only ``publish``
writes them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

CASE_TYPES = ("penalty", "inspection", "random_check", "other")
CASE_TYPE_LABELS = {
    "penalty": "行政处罚",
    "inspection": "行政检查",
    "random_check": "双随机抽查",
    "other": "其他执法决定",
}
PARTY_KINDS = ("organisation", "individual_business", "natural_person")
PARTY_KIND_LABELS = {
    "organisation": "法人或其他组织",
    "individual_business": "个体工商户",
    "natural_person": "自然人",
}
DISCLOSE_MODES = ("summary", "full", "none")
STATUSES = ("active", "revoked", "confirmed_illegal", "remade")
STATUS_LABELS = {
    "active": "有效",
    "revoked": "已撤销",
    "confirmed_illegal": "已确认违法",
    "remade": "已责令重作",
}
# 处罚类别 of 《行政处罚法》第九条 plus the measures a 医保 decision commonly combines.
PENALTY_CATEGORIES = (
    "警告",
    "通报批评",
    "罚款",
    "没收违法所得",
    "没收非法财物",
    "暂停医药服务",
    "暂停相关责任人员医保支付资格",
    "责令改正",
    "责令退回",
    "解除服务协议",
    "吊销许可证件",
    "限制从业",
)
RANDOM_OUTCOMES = ("正常", "发现问题")


@dataclass(frozen=True)
class Approval:
    """R-APPROVAL: internal review, secrecy review, head-of-unit approval."""

    reviewed_by: str = ""
    secrecy_review: str = ""
    approved_by: str = ""
    approved_on: dt.date | None = None

    def missing(self) -> tuple[str, ...]:
        """Names of the approval fields that are empty."""
        return tuple(
            name
            for name in ("reviewed_by", "secrecy_review", "approved_by", "approved_on")
            if not getattr(self, name)
        )


@dataclass(frozen=True)
class Party:
    kind: str
    name: str
    credit_code: str = ""
    registration_no: str = ""
    legal_rep: str = ""
    operator: str = ""  # 个体工商户 经营者: a natural person, masked on output

    @property
    def is_natural(self) -> bool:
        """R-RET2: a 个体工商户 counts as a natural person (民法典第五十四条)."""
        return self.kind in ("natural_person", "individual_business")


@dataclass(frozen=True)
class Result:
    """The outcome of a penalty (处罚结果)."""

    categories: tuple[str, ...] = ()
    fine: Decimal = Decimal(0)
    confiscated: Decimal = Decimal(0)
    refund: Decimal = Decimal(0)
    summary: str = ""


@dataclass(frozen=True)
class Case:
    """One enforcement result (事后公开): penalty, inspection, random check, other."""

    id: str
    type: str
    doc_no: str
    item: str
    agency: str
    decided_on: dt.date
    party: Party
    source: str  # content-relative path, for error messages
    persons: tuple[str, ...] = ()
    facts: str = ""
    basis: str = ""
    result: Result = field(default_factory=Result)
    # inspection / random_check / other
    method: str = ""
    check_items: str = ""
    problems: str = ""
    rectification: str = ""
    task: str = ""
    outcome: str = ""  # random_check: 正常 | 发现问题
    follow_up: str = ""
    category: str = ""  # other: 行政强制 …
    conclusion: str = ""
    disclose: str = "summary"
    disclose_reason: str = ""
    approval: Approval = field(default_factory=Approval)
    status: str = "active"
    status_changed_on: dt.date | None = None
    status_note: str = ""
    replaced_by: str = ""
    published_on: dt.date | None = None  # only for records imported from an older site
    body: str = ""  # full decision text (Markdown), published when disclose == "full"

    @property
    def year(self) -> int:
        return self.decided_on.year

    @property
    def withdrawn(self) -> bool:
        return self.status != "active"

    @property
    def type_label(self) -> str:
        return CASE_TYPE_LABELS[self.type]


# Text fields of a case that may carry personal data and are published.
CASE_TEXT_FIELDS = (
    "facts",
    "basis",
    "method",
    "check_items",
    "problems",
    "rectification",
    "task",
    "follow_up",
    "conclusion",
    "status_note",
    "body",
)


@dataclass(frozen=True)
class ListChange:
    """One entry of a list's change history (R-LIST)."""

    date: dt.date
    summary: str
    cause: str = "other"  # law | function | other
    effective_on: dt.date | None = None  # for cause law/function: when the change took effect


@dataclass(frozen=True)
class ListDoc:
    """One 事前公开 list (content/lists/<kind>.yaml)."""

    kind: str  # officers | bases | items | flows | remedies | random | guides | reviews | av
    title: str
    source: str
    updated_on: dt.date
    rows: tuple[dict, ...]
    intro: str = ""
    rules: str = ""  # e.g. 随机抽查工作细则
    history: tuple[ListChange, ...] = ()
    approval: Approval = field(default_factory=Approval)


@dataclass(frozen=True)
class Correction:
    """A correction request (R-CORR). The applicant never reaches the public site."""

    id: str
    case: str
    received_on: dt.date
    source: str
    applicant: str = ""  # private
    contact: str = ""  # private
    claim: str = ""
    evidence: str = ""
    decision: str = "pending"  # pending | accepted | rejected
    decided_on: dt.date | None = None
    changes: tuple[dict, ...] = ()  # {field, old, new}: public values
    reply_on: dt.date | None = None
    reply: str = ""  # text of the written reply


@dataclass(frozen=True)
class Bureau:
    """The site's own identity and the 执法主体 (L-BODY, L-REPORT)."""

    data: dict
    source: str = "bureau.yaml"

    def __getitem__(self, key):
        return self.data[key]

    def get(self, key, default=None):
        return self.data.get(key, default)


@dataclass(frozen=True)
class Content:
    """Everything loaded and validated from a content directory."""

    bureau: Bureau
    lists: dict[str, ListDoc]
    cases: tuple[Case, ...]
    corrections: tuple[Correction, ...] = ()
    calendar: dict = field(default_factory=dict)  # year -> {holidays, workdays}


@dataclass(frozen=True)
class Hold:
    """A record held back from publication, with the reason (build report)."""

    record_id: str
    source: str
    rule: str  # R-APPROVAL, R-NOPUB, R-PII …
    reason: str
