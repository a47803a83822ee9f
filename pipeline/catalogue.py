"""The content catalogue (SPEC §2): every list and result type, its fields and labels.

One table serves validation, the site's column headings, and the Excel templates,
so a field is named the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ListSchema:
    kind: str  # file stem under content/lists/
    rule: str  # catalogue ID in SPEC §2
    title: str  # default Chinese title
    columns: tuple[tuple[str, str], ...]  # (field, label) in display order
    required: tuple[str, ...]
    nested: tuple[str, ...] = ()  # fields holding lists, rendered specially
    slug: str = ""

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.columns) | frozenset(self.nested)

    def label(self, name: str) -> str:
        return dict(self.columns).get(name, name)


def _schema(kind, rule, title, columns, required=None, nested=()):
    return ListSchema(
        kind, rule, title, tuple(columns),
        tuple(required if required is not None else [c for c, _ in columns]),
        tuple(nested), slug=kind,
    )


LIST_SCHEMAS: dict[str, ListSchema] = {
    s.kind: s
    for s in (
        _schema("officers", "L-OFFICER", "执法人员清单", [
            ("name", "姓名"), ("gender", "性别"), ("region", "执法区域"),
            ("unit", "所在单位"), ("cert_no", "执法证件编号"), ("post", "职务/岗位")]),
        _schema("bases", "L-BASIS", "执法依据", [
            ("id", "编号"), ("title", "名称"), ("level", "效力层级"), ("issuer", "制定机关"),
            ("number", "文号"), ("effective_on", "施行日期"), ("link", "原文链接")],
            required=["id", "title", "issuer", "effective_on"]),
        _schema("items", "L-ITEM", "行政执法事项清单", [
            ("code", "事项编码"), ("name", "事项名称"), ("category", "事项类别"),
            ("basis", "执法依据"), ("basis_articles", "依据条款"), ("body", "实施主体")],
            required=["code", "name", "category", "basis", "body"], nested=["discretion"]),
        _schema("flows", "L-FLOW", "执法流程图", [
            ("id", "编号"), ("title", "名称"), ("procedure", "程序类型")],
            nested=["steps"], required=["id", "title", "procedure", "steps"]),
        _schema("remedies", "L-REMEDY", "救济方式", [
            ("kind", "救济方式"), ("where", "受理机关"), ("how", "提出方式"), ("limit", "期限")]),
        _schema("random", "L-RANDOM", "随机抽查事项清单", [
            ("code", "事项编码"), ("name", "抽查事项"), ("basis", "抽查依据"), ("body", "抽查主体"),
            ("object", "抽查对象"), ("content", "抽查内容"), ("method", "抽查方式"),
            ("ratio", "抽查比例"), ("frequency", "抽查频次")]),
        _schema("guides", "L-GUIDE", "服务指南", [
            ("id", "编号"), ("item", "执法事项"), ("title", "名称"), ("basis", "办理依据"),
            ("accepting_body", "受理机构"), ("deciding_body", "决定机构"),
            ("time_limit", "办理时限"), ("fees", "收费标准"), ("supervision", "监督方式"),
            ("remedies", "救济途径"), ("office_hours", "办公时间"), ("address", "办公地址"),
            ("phone", "咨询电话")], nested=["materials", "process"],
            required=["id", "item", "title", "basis", "accepting_body", "deciding_body",
                      "materials", "process", "time_limit", "fees", "supervision", "remedies",
                      "office_hours", "address", "phone"]),
        _schema("reviews", "L-REVIEW", "重大执法决定法制审核事项清单", [
            ("name", "审核事项"), ("basis", "审核依据"), ("scope", "审核范围/标准"),
            ("body", "审核机构")]),
        _schema("av", "L-AV", "音像记录事项清单", [
            ("name", "记录事项"), ("stage", "执法环节"), ("requirement", "记录要求"),
            ("basis", "依据")]),
    )
}

# Order in which the 事前公开 lists appear on the home page and in the navigation.
LIST_ORDER = ("items", "bases", "officers", "flows", "guides", "random", "remedies",
              "reviews", "av")

# Labels of case fields as the public sees them (002 第八条; 双公示 wording).
CASE_FIELD_LABELS = {
    "doc_no": "文书编号",
    "party.name": "当事人名称",
    "party.credit_code": "统一社会信用代码",
    "party.legal_rep": "法定代表人",
    "item": "执法事项",
    "facts": "主要违法事实",
    "basis": "执法依据",
    "result.summary": "处罚内容",
    "result.categories": "处罚类别",
    "result.fine": "罚款金额",
    "result.refund": "责令退回金额",
    "result.confiscated": "没收违法所得",
    "agency": "执法机关",
    "decided_on": "决定日期",
    "method": "检查方式",
    "check_items": "检查事项",
    "problems": "发现的问题",
    "rectification": "整改情况",
    "task": "抽查任务",
    "outcome": "抽查结果",
    "follow_up": "后续处理",
    "category": "执法类别",
    "conclusion": "执法结论",
    "body": "决定书全文",
    "status_note": "说明",
}

# Fields allowed per case type, beyond the common ones.
COMMON_CASE_FIELDS = frozenset({
    "id", "type", "doc_no", "item", "agency", "decided_on", "party", "persons", "facts",
    "basis", "disclose", "disclose_reason", "approval", "status", "status_changed_on",
    "status_note", "replaced_by", "published_on",
})
TYPE_FIELDS = {
    "penalty": frozenset({"result"}),
    "inspection": frozenset({"method", "check_items", "problems", "rectification"}),
    "random_check": frozenset({"task", "method", "check_items", "outcome", "problems", "follow_up"}),
    "other": frozenset({"category", "conclusion"}),
}
TYPE_REQUIRED = {
    "penalty": ("facts", "basis", "result"),
    "inspection": ("basis", "method", "check_items", "problems"),
    "random_check": ("basis", "task", "check_items", "outcome"),
    "other": ("basis", "category", "conclusion"),
}
PARTY_FIELDS = frozenset({"kind", "name", "credit_code", "registration_no", "legal_rep", "operator"})
RESULT_FIELDS = frozenset({"category", "fine", "confiscated", "refund", "summary"})
APPROVAL_FIELDS = ("reviewed_by", "secrecy_review", "approved_by", "approved_on")
OTHER_CATEGORIES = ("行政强制", "行政奖励", "行政确认", "行政许可", "其他")
