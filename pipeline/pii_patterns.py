"""The R-PII rule table: what personal data looks like in a 医保 decision, and what is kept.

Read this file as the redaction policy.  ``RULES`` is an ordered table; each row names
the KIND of data, the regex that finds it, what replaces it, and why (SPEC §4; 吉医保发
〔2020〕63号 附件1 第九条 "涉及个人隐私的不予公开" = "002 第九条"; and the Supreme People's
Court 《关于人民法院在互联网公布裁判文书的规定》 (法释〔2016〕19号) = "SPC 2016").
``pipeline.pii`` compiles the rows into ONE alternation and scans each text once.

Row order matters where two rows could match at the same place: keep-rows that can
never hide a personal value come first, then labelled values, then bare numbers.  A row's
``classify`` sees the matched value and returns the kind to remove it as, or ``None`` to
keep it (e.g. an 18-digit 统一社会信用代码 that is not an ID number).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

# Replaces every removed value.  No digits (nothing partial survives), none of the name
# mask characters (* × X ●, so a second pass cannot mistake it for a masked name or
# number), no Markdown syntax; readers see that something was deliberately removed.
MARK = "【已删除】"
KEEP = None  # replacement of a row whose matches are public and stay as written

# --- building blocks (text is already NFKC-normalised: ASCII digits, '-', '+', '@') ---
_SI = r"[ \t\u3000\u00a0\-]"  # separators people put inside numbers on one line
# … and line wrapping, inside a number; a Markdown list marker on the next line ("⏎2. ")
# is not a wrapped number.
_LIST_MARKER = r"[ \t\u3000\u00a0]*\d{1,2}(?:[.．]\s|、)"
_NL = rf"\r?\n(?!{_LIST_MARKER})"
SEP = rf"(?:[ \t\u3000\u00a0\-]|{_NL}){{0,3}}"
SEPI = _SI + "{0,3}"  # inside an open-length labelled value: never across a line break
START = r"(?<![0-9A-Za-z])"  # not glued to a longer token
# END also refuses "separator + digit", so a chain of digit groups is judged whole (no
# 16-digit window is cut out of a 24-digit run, leaving digits behind).  Text wraps lines
# anywhere (a soft break in Markdown), so "…0295⏎2026年" is one chain too: fail closed, the
# year goes with it.  Only a Markdown list marker on the next line ("⏎2. ") is a boundary.
# Digits glued to letters after the separator are another token (an e-mail's local part).
_MORE = r"\d+[Xx]?(?![0-9A-Za-z])"  # more digits (an ID may end in X), not glued to letters
END = (rf"(?![0-9A-Za-z])(?!{_SI}{{1,3}}{_MORE})"
       rf"(?![ \t\u3000\u00a0]*\r?\n(?!{_LIST_MARKER})[ \t\u3000\u00a0\r\n]*{_MORE})")
LABEL_GAP = r"(?:为|是|:|：|\s)*"
HAN = r"[\u4e00-\u9fff]"
NAME_MASK_CHARS = "*×xX●○□"  # masks people use in names: 王*梅, 李**, 王×梅, 张XX
NUM_MASK = r"[*＊×●xX]"
DATE = (
    r"(?:(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?"
    r"|(?:19|20)\d{2}[-/.]\d{1,2}(?:[-/.]\d{1,2})?"
    r"|(?:19|20)\d{6}"
    r"|[〇零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,2}月(?:[一二三四五六七八九十]{1,3}日)?)"
)
# A labelled code (住院号 ZY2025-001): letters and digits, dashes, and a line wrap inside.
TOKEN = r"[A-Za-z0-9](?:[\-_]?\r?\n?[A-Za-z0-9])*(?![A-Za-z0-9])"
TOKEN4 = r"(?=[A-Za-z0-9][A-Za-z0-9\-_\r\n]{3})" + TOKEN  # at least four characters
# An address: Han characters, digits, letters and the few signs addresses use (栋-单元-室,
# #); it ends at punctuation, a line break or anything else (binary index data).
_ADDRESS_CHARS = r"[\u4e00-\u9fff\u3400-\u4dbf0-9A-Za-z\-#－—· \u3000]"
_ADDRESS_VALUE = _ADDRESS_CHARS + "{2,60}"
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"


def _alt(words: str) -> str:
    """Regex alternation of space-separated words, longest first (so 身份证号码 beats 身份证)."""
    return "(?:" + "|".join(sorted(words.split(), key=len, reverse=True)) + ")"


# ---------------------------------------------------------------- validators
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def digits_of(value: str) -> str:
    """The digits and letters of ``value`` (separators dropped), upper-cased."""
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


def credit_code_valid(code: str) -> bool:
    """GB 32100-2015 check character of an 18-character 统一社会信用代码."""
    code = code.upper()
    if len(code) != 18 or any(c not in _CREDIT_CHARS for c in code):
        return False
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(code, _CREDIT_WEIGHTS, strict=False))
    return _CREDIT_CHARS[(31 - total % 31) % 31] == code[17]


_PROVINCES = frozenset("11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
                       "50 51 52 53 54 61 62 63 64 65 71 81 82".split())


def luhn_valid(number: str) -> bool:
    """ISO/IEC 7812 (Luhn) check digit, which bank card numbers carry."""
    if not number.isdigit():
        return False
    digits = [int(d) for d in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def _date_ok(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def looks_like_id18(number: str) -> bool:
    """True if an 18-character number has an ID's shape: area code 11–82, a birth date."""
    return (
        bool(re.fullmatch(r"[1-8]\d{16}[\dX]", number))
        and 1900 <= int(number[6:10]) <= 2099
        and _date_ok(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    )


def classify_18(value: str) -> str | None:
    """An 18-character all-digit token: ID number (removed) unless it is a credit code.

    SPEC §4 removes ID numbers "with or without valid checksum" but keeps 统一社会信用代码,
    which may also be all digits.  We keep it only when its GB 32100 check character is
    right AND it does not have an ID's shape (a birth date inside); otherwise fail closed
    (a declared ``party.credit_code`` is always kept through the allow-list).
    """
    number = digits_of(value)
    if looks_like_id18(number):
        return "id_number"
    if luhn_valid(number):  # bank cards carry a Luhn check digit
        return "bank_card"
    province = number[2:4]
    if credit_code_valid(number) and number[1] in "1239" and province in _PROVINCES:
        return None
    return "id_number"


def classify_15(value: str) -> str:
    """A 15-digit number: an old-style ID if a YYMMDD birth date sits at 7–12, else a long number."""
    n = digits_of(value)
    if len(n) != 15 or not n.isdigit():
        return "long_number"
    return "id_number" if _date_ok(1900 + int(n[6:8]), int(n[8:10]), int(n[10:12])) else "long_number"


def classify_labelled_code(value: str) -> str | None:
    """A value after 信用代码/注册号/备案号…: public, unless it is really an ID number."""
    number = digits_of(value)
    if len(number) == 18 and number[:17].isdigit() and classify_18(number):
        return "id_number"
    return None


def classify_phone(value: str) -> str | None:
    """A value after 电话/手机…: 7+ digits is personal; 3–5 digit service lines (12393) stay."""
    n = re.sub(r"^(?:\+|00)?86(?=1[3-9]\d{9}$)", "", digits_of(value))
    if len(n) < 7:
        return None
    return "mobile" if re.fullmatch(r"1[3-9]\d{9}", n) else "landline"


def classify_plate(value: str) -> str | None:
    """A plate has at least three digits in its tail; "吉AB"-like words are not plates."""
    return "plate" if sum(c.isdigit() for c in value) >= 3 else None


def classify_masked(value: str) -> str | None:
    """Partially masked numbers (422429****0129): the visible digits still go (SPEC §4)."""
    return "masked_number" if any(c.isdigit() for c in value) else None


def classify_long(value: str) -> str | None:
    """12 or more digits that no other row explains: an account or card number; removed."""
    return "long_number" if len(digits_of(value)) >= 12 else None


_COUNTY_RE = re.compile(
    rf"(?:{HAN}{{2,8}}?(?:省|自治区|特别行政区))?"
    rf"(?:{HAN}{{1,8}}?(?:自治州|地区|盟|市|州))?"
    rf"(?:{HAN}{{1,8}}?(?:自治县|自治旗|县|区|旗|市))?"
)
# 区/市 endings that are not counties (a housing estate, a supermarket).
# (Not plain 园区: 绿园区 is a district of 长春; 工业园区 and the like are estates.)
_NOT_COUNTY = ("小区", "社区", "工业园区", "产业园区", "科技园区", "物流园区", "创业园区", "校区",
               "街区", "景区", "片区", "厂区", "超市", "菜市", "门市")


def county_prefix(address: str) -> str:
    """The province/city/county head of an address: what SPC 2016 第十一条 lets stay."""
    head = _COUNTY_RE.match(address).group(0)
    while head.endswith(_NOT_COUNTY):
        head = _COUNTY_RE.match(head[:-1]).group(0) if len(head) > 1 else ""
        head = head if not head.endswith(_NOT_COUNTY) else head[:-2]
    return head


def classify_address(value: str) -> str | None:
    """A home address is personal beyond the county; an already-truncated one is left."""
    rest = value[len(county_prefix(value)):].strip()
    return "address" if rest and not rest.startswith(MARK) else None


def truncate_address(value: str) -> str:
    """Keep at most the county (SPC 2016 第十一条: 住所地所属县、区), drop the rest."""
    return county_prefix(value) + MARK


@dataclass(frozen=True)
class Rule:
    """One row of the R-PII table.

    ``pattern`` may name a group ``v``: then only that value is replaced and the label
    before it stays ("住院号：【已删除】").  ``replacement`` is ``KEEP``, a string, or a
    function of the value.  ``classify(value)`` returns the kind to remove as, or None
    to keep; without it every match is ``kind``.
    """

    kind: str
    pattern: str
    replacement: str | Callable[[str], str] | None
    why: str
    classify: Callable[[str], str | None] | None = None


_CODE_LABELS = _alt(
    "统一社会信用代码 社会信用代码 信用代码 组织机构代码 注册号 登记号 公网安备 ICP备 网站标识码 "
    "国药准字 批准文号 准字 械注准 械备 本位码 药品编码 耗材编码 项目编码 机构编码 定点编码 "
    "执法证号 执法证件编号 执法证编号"
)
_BIRTH_LABELS = r"(?:出生日期|出生年月日?|出生时间|出生于|(?<![发产衍派再])生于|出生)"
_ADDRESS_LABELS = _alt(
    "家庭住址 家庭地址 现住址 现住 住址 家住 户籍地址 户籍地 户籍所在地 户口所在地 居住地址 "
    "居住地 经常居住地 暂住地 住所地 住所"
)
_HOSPITAL_LABELS = _alt(
    "住院号码 住院号 住院登记号 住院病历号 门诊号码 门诊号 门诊登记号 病历号 病历编号 病案号码 "
    "病案号 病历卡号 就诊卡号 就诊号 床位号 床号 处方号 检验号 检查号"
)
_INSURANCE_LABELS = _alt(
    "社会保障卡号码 社会保障卡号 社保卡号码 社保卡号 社会保障号码 社会保障号 社保号 医保卡号 "
    "医疗保险卡号 医保号 医保编号 医保个人编号 参保号 个人编号 个人电脑号 医保码 医保电子凭证号"
)
_PASSPORT_LABELS = _alt(
    "护照号码 护照号 护照 往来港澳通行证 港澳通行证 台湾通行证 通行证号码 通行证号 通行证 "
    "台胞证号码 台胞证 回乡证号码 回乡证 证件号码 证件号"
)
_ID_LABELS = _alt("公民身份号码 身份证件号码 身份证号码 身份证号 身份证 身份号码")
_ACCOUNT_LABELS = _alt(
    "银行卡号码 银行卡号 银行账号 银行帐号 银行账户 开户账号 收款账号 收款账户 账号 帐号 卡号 账户"
)
_QQ_LABELS = _alt("QQ号码 QQ号 QQ")
_WECHAT_LABELS = _alt("微信号 微信")
_PHONE_LABELS = _alt("联系电话 电话号码 电话 手机号码 手机号 手机 座机 联系方式 TEL Tel tel")

RULES: tuple[Rule, ...] = (
    # ---- kept: public by rule; listed first so nothing inside them is cut out ----
    Rule("doc_no", r"[〔\[(（]\d{4}[〕\])）]\s*\d+\s*号", KEEP,
         "决定书文号 are public (002 第八条; SPEC §4 kept)"),
    Rule("labelled_code", rf"{_CODE_LABELS}{LABEL_GAP}(?P<v>[0-9A-Za-z][0-9A-Za-z\-]*)", KEEP,
         "统一社会信用代码 (GB 32100), 注册号, 备案号, drug/item codes, 执法证号 are public "
         "(SPEC §4 kept; L-BODY, L-OFFICER); an ID number written there is still removed",
         classify_labelled_code),
    Rule("credit_code", rf"{START}[0-9A-HJ-NPQRTUWXY]{{2}}\d{{6}}[0-9A-HJ-NPQRTUWXY]{{10}}"
         r"(?![0-9A-Za-z])", KEEP,
         "统一社会信用代码 (GB 32100) are public (SPEC §4 kept); an all-digit one shaped like an "
         "ID number (a birth date inside) or a bank card (Luhn) is removed (fail closed)",
         classify_labelled_code),
    # ---- labelled personal values: the label stays, the value goes ----
    Rule("birth_date", rf"{_BIRTH_LABELS}{LABEL_GAP}(?P<v>{DATE})", MARK,
         "dates of birth (SPEC §4 removed; SPC 2016 第十条)"),
    Rule("birth_date", rf"{START}(?P<v>{DATE})\s*(?=(?:出生|生人|生)(?:[，,。；;、\s)）]|$))", MARK,
         "'1966年2月16日生' is a date of birth (SPEC §4 removed)"),
    Rule("address", rf"{_ADDRESS_LABELS}(?:为|是|在|:|：|\s)*(?P<v>{_ADDRESS_VALUE})",
         truncate_address,
         "home address: keep at most the county (SPEC §4; SPC 2016 第十条(一), 第十一条)",
         classify_address),
    Rule("address",
         rf"(?<![入居暂常留记抓保户家现])住(?![院所宿址房宅户])"
         rf"(?P<v>{HAN}{{2,8}}?(?:省|自治区|市){_ADDRESS_CHARS}{{0,50}})",
         truncate_address, "SPC-style '住吉林省…' home address (SPEC §4)", classify_address),
    Rule("hospital_no", rf"{_HOSPITAL_LABELS}{LABEL_GAP}(?P<v>{TOKEN})", MARK,
         "住院号/门诊号/病历号/床号 identify a patient (SPEC §4 removed; 002 第九条)"),
    Rule("hospital_no", r"(?<![0-9A-Za-z])(?P<v>\d{1,3})\s*(?=(?:号床|床)(?:患者|病人|病员))",
         MARK, "'12床患者' names a bed (SPEC §4 removed)"),
    Rule("insurance_card", rf"{_INSURANCE_LABELS}{LABEL_GAP}(?P<v>{TOKEN4})",
         MARK, "social-security / medical-insurance card numbers (SPEC §4 removed)"),
    Rule("passport", rf"{_PASSPORT_LABELS}{LABEL_GAP}(?P<v>{TOKEN4})", MARK,
         "passport and travel-permit numbers (SPEC §4 removed)"),
    Rule("id_number", rf"{_ID_LABELS}{LABEL_GAP}(?P<v>\d(?:{SEP}\d){{16}}{SEP}[\dXx]{END}|\d(?:{SEP}\d){{14}}{END}"
         rf"|\d(?:{SEP}[\d*＊×●xX]){{4,}}+{END})",
         MARK, "whatever follows 身份证号 is an ID number, even mistyped (SPEC §4; SPC 2016 第十条)"),
    Rule("account", rf"{_ACCOUNT_LABELS}{LABEL_GAP}(?P<v>\d(?:{SEP}[\d*＊×●]){{5,29}}+{END})"
         r"(?![\d,.]*\s*[万亿]?元)", MARK,
         "bank card and account numbers (SPEC §4 removed; SPC 2016 第十条)"),
    # A QQ number is digits only: so the bytes 'QQ' of a binary search index, followed by
    # the next word's length byte ('k') and the word, are not read as one (issue 11).
    Rule("im_account", rf"{_QQ_LABELS}{LABEL_GAP}(?P<v>\d{{5,12}}{END})", MARK,
         "QQ numbers are 通讯方式 (SPC 2016 第十条(一))"),
    Rule("im_account", rf"{_WECHAT_LABELS}{LABEL_GAP}(?P<v>{TOKEN4})", MARK,
         "WeChat ids are 通讯方式 (SPC 2016 第十条(一))"),
    # The value may hold brackets ("(0431)8888…") but ends on a digit or mask, so a closing
    # "）" after the number stays in the text.
    Rule("phone", rf"{_PHONE_LABELS}{LABEL_GAP}(?P<v>(?:\+|00)?[(（]?\d"
                  rf"(?:{SEP}[\d()（）*＊×●]){{4,23}}{SEP}[\d*＊×●]{END})",
         MARK, "a number after 电话/手机 is a phone, even without area code (SPEC §4)",
         classify_phone),
    Rule("masked_number", r"尾号(?:为|是)?[:：\s]*(?P<v>\d{3,6})", MARK,
         "'尾号1234' is a partial number: no partial digits (SPEC §4)"),
    # ---- bare patterns ----
    Rule("email", r"(?<![0-9A-Za-z._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+"
         r"(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9])", MARK,
         "personal e-mail (SPEC §4); the bureau's own addresses come in the allow-list"),
    Rule("date_range", START + r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\s*[-~至到]"
         r"\s*(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d)", KEEP,
         "20250101-20250630 is a period, not a card number (SPEC §4 kept: dates)"),
    Rule("iso_date", START + r"(?:19|20)\d{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])"
         r"(?!\d)", KEEP, "dates are public (SPEC §4 kept); dates of birth are caught above"),
    # Possessive quantifiers (here and on open-length digit chains): long runs of x, * or
    # digit groups (minified JS, hostile input) must not backtrack exponentially.  A masked
    # number glued to letters (…0129li.ming@qq.com) still goes.
    Rule("masked_number", rf"{START}(?:\d{{2,}}(?:[ \-]?{NUM_MASK}{{2,}}+[ \-]?\d*+)++"
         rf"|{NUM_MASK}{{2,}}+(?:[ \-]?{NUM_MASK}++)*+[ \-]?\d{{3,}}+)", MARK,
         "422429****0129 / 138****1234: partially masked numbers go entirely (SPEC §4)",
         classify_masked),
    Rule("id_number", rf"{START}\d(?:{SEP}\d){{16}}{SEP}(?:\d{END}|[Xx](?![0-9A-Za-z]))", MARK,
         "18-digit 公民身份号码, checksum valid or not (SPEC §4; SPC 2016 第十条)", classify_18),
    Rule("mobile", rf"(?<![0-9A-Za-z+])(?:[(（]?(?:\+|00)?86[)）]?{SEP})?1{SEP}[3-9](?:{SEP}\d){{9}}{END}",
         MARK, "mobile numbers, also with +86 (SPEC §4; SPC 2016 第十条 通讯方式)"),
    Rule("landline", rf"{START}(?:[(（]0\d{{2,3}}[)）]|0\d{{2,3}}){SEP}[2-9]\d{{2,3}}{SEP}\d{{4}}"
         rf"(?:-\d{{1,4}})?{END}", MARK, "private landlines with area code (SPEC §4)"),
    Rule("bank_card", rf"{START}\d(?:{SEP}\d){{15,18}}+{END}", MARK,
         "16-19 digit bank card numbers (SPEC §4; SPC 2016 第十条 银行账号)"),
    Rule("id_number", rf"{START}\d(?:{SEP}\d){{14}}{END}", MARK,
         "15-digit old-style ID numbers (SPEC §4)", classify_15),
    Rule("long_number", rf"{START}\d(?:{SEP}\d){{11,}}+{END}(?!\s*[万亿]?元)", MARK,
         "any other run of 12+ digits: an account, card or record number (fail closed, SPEC §4)",
         classify_long),
    Rule("plate", rf"[{PROVINCES}使领][A-HJ-NP-Z][·•.\s]?[A-HJ-NP-Z0-9]{{5,6}}[挂学警港澳]?"
         r"(?![0-9A-Za-z])", MARK,
         "vehicle plates incl. new-energy 京A·D12345 (SPEC §4; SPC 2016 第十条 车牌号码)",
         classify_plate),
    Rule("passport", rf"{START}(?:E[A-HJ-NP-Z]?\d{{7,8}}|G\d{{8}}|[CW][A-HJ-NP-Z]?\d{{7,8}}){END}",
         MARK, "passport (E/G…) and 港澳通行证 (C/W…) numbers without a label (SPEC §4)"),
    Rule("amount", r"(?<![0-9A-Za-z])\d[\d,]*(?:\.\d+)?\s*(?:万|亿)?元", KEEP,
         "amounts are public (SPEC §4 kept; 002 第八条 处罚结果)"),
)

# Kinds that are numbers or codes (the leak matcher ignores very short ones).
NUMBER_KINDS = frozenset(
    "id_number mobile landline bank_card long_number account insurance_card hospital_no "
    "passport plate email im_account masked_number".split()
)

# ---------------------------------------------------------------- compiling the table
_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
_ASCII_WORD_ITEM = re.compile(r"[0-9A-Za-z]|\\d|[0-9A-Za-z]-[0-9A-Za-z]")
_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_SPACE": r"\s", "CATEGORY_WORD": r"\w"}


def _class_item(op: str, av) -> str | None:
    if op == "LITERAL":
        return re.escape(chr(av))
    if op == "RANGE":
        return f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}"
    return _CATEGORIES.get(str(av)) if op == "CATEGORY" else None


def _starts(seq) -> tuple[list[str], bool] | None:
    """(character-class items a parsed regex can start with, whether it can match empty),
    or None when that cannot be told.  Zero-width assertions are looked through."""
    items: list[str] = []
    for op, av in seq:
        name = str(op)
        if name in ("ASSERT", "ASSERT_NOT", "AT"):
            continue
        if name == "LITERAL":
            return [*items, re.escape(chr(av))], False
        if name == "IN":
            sub = [_class_item(str(o), a) for o, a in av]
            return None if None in sub else ([*items, *sub], False)
        if name == "SUBPATTERN":
            alts, optional = [av[3]], False
        elif name == "BRANCH":
            alts, optional = av[1], False
        elif name in _REPEATS:
            alts, optional = [av[2]], av[0] == 0
        else:
            return None
        results = [_starts(alt) for alt in alts]
        if None in results:
            return None
        items += [item for sub_items, _ in results for item in sub_items]
        if not optional and not any(nullable for _, nullable in results):
            return items, False
    return items, True


def _prefilter(patterns: list[str]) -> str:
    """``(?=[…])`` of the characters any row can start with: the engine then skips the
    rest of the text cheaply (15x faster on Chinese text).  "" if it cannot be told,
    which is slower but still correct."""
    try:
        from re import _parser  # CPython 3.11+; only an optimisation
    except ImportError:  # pragma: no cover
        return ""
    items: list[str] = []
    for pattern in patterns:
        found = _starts(_parser.parse(pattern))
        if found is None or found[1]:
            return ""
        items += found[0]
    other = "".join(dict.fromkeys(i for i in items if not _ASCII_WORD_ITEM.fullmatch(i)))
    # Policy: a value never starts inside an ASCII word ("AB13806360837" is one token, not
    # a phone; every bare-number row says so with START).  Applying it here to all rows
    # keeps markup-heavy HTML fast for the verifier.
    return f"(?:(?=[{other}])|{START}(?=[0-9A-Za-z]))"


def compile_rules(rules: tuple[Rule, ...]) -> tuple[re.Pattern, dict[str, tuple[Rule, str | int]]]:
    """All rows as ONE regex, and ``{group name: (row, value group)}``.

    Row i ends with an empty group ``r<i>`` (m.lastgroup names the row) so that each
    alternative still starts with its own first character, which the engine checks
    fast; ``r<i>v`` is the row's value group if it has one (else group 0).
    """
    parts, by_group = [], {}
    for i, rule in enumerate(rules):
        body = rule.pattern.replace("(?P<v>", f"(?P<r{i}v>")
        parts.append(f"(?:{body})(?P<r{i}>)")
        by_group[f"r{i}"] = (rule, f"r{i}v" if body != rule.pattern else 0)
    prefilter = _prefilter([r.pattern for r in rules])
    return re.compile(prefilter + "(?:" + "|".join(parts) + ")"), by_group


# ---------------------------------------------------------------- names (R-PII)
# Compound surnames stay whole: 欧阳修 → 欧阳某 (SPEC §4; SPC 2016 第九条(一) 保留姓氏).
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 令狐 长孙 宇文 司徒 夏侯 轩辕 端木 独孤 南宫 "
    "西门 百里 呼延 万俟 单于 澹台 公冶 宗政 濮阳 淳于 太叔 申屠 钟离 闾丘 赫连 左丘 东郭 拓跋 "
    "司空 第五 谷梁 梁丘 公羊 乐正 漆雕 壤驷 公良 段干 亓官 司寇 巫马 公西 颛孙 仲孙 羊舌 微生 "
    "东门 公输 鲜于 闻人 即墨 呼衍 完颜 爱新".split()
)
# Common single surnames (about 400): used to FIND names in free text.  Masking itself
# keeps whatever the first character is, surname table or not.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈"
    "饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟"
    "邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储"
    "原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平"
    "计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战"
    "慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)
# Surnames that are far more often grammar words (于2025年, 和, 向本局, 将…): not used to
# START a suspected name, so "当事人于2025年…" is not a hold.
FUNCTION_CHARS = frozenset("于和向与及为在将由但都来时全平原成安常海门初相云元富宣计支利居干阳"
                           "司连席师官权商封谈乐满位区盘练修战危玉银公宾束智幸衣闭信明展容敬普"
                           "强花国文万应把被从对以之所其该此本")
DETECT_SURNAMES = SURNAMES - FUNCTION_CHARS
# Minority and foreign names join their parts with a middle dot (阿依古丽·买买提).
NAME_DOTS = "·・•‧∙."
# SPC practice for two persons whose masks coincide: 张某甲, 张某乙 … (then 张某11, 张某12:
# SPC 2016 第九条 adds Arabic numerals).
DISAMBIGUATORS = "甲乙丙丁戊己庚辛壬癸"

# Words after which free text names a natural person (SPEC §4: patients, insured persons,
# doctors and staff, witnesses, applicants).  A name after one of them that is not
# declared in `persons` holds the record back (fail closed).
ROLE_WORDS = (
    "参保人员 参保人 参保患者 参保职工 患者 病人 病患 就诊人 就诊者 住院病人 医保医师 主治医师 执业医师 "
    "医师 医生 乡村医生 村医 药师 护士长 护士 职工 员工 工作人员 医务人员 证人 当事人 申请人 经办人 "
    "被检查人 负责人 联系人 投诉人 举报人 委托代理人 代理人 法定代理人 家属 姓名 收款人 持卡人 院长 "
    "店长 店员 营业员 收银员 会计 出纳 股东 经营者 业主 实际控制人 受检人 被调查人 被询问人"
)
ORG_SUFFIXES = _alt(
    "有限责任公司 有限公司 公司 医院 诊所 门诊部 卫生室 卫生院 卫生服务中心 服务中心 中心 大药房 "
    "药房 药店 医药 连锁 药业 集团 合作社 研究所 事务所 店 厂 部 馆 堂 社"
)
