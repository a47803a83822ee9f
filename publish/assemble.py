"""Join the pipeline stages after the approval gate into one in-memory site.

redact (R-PII) → ledger events and first-publication dates → retention (R-RET5,
R-RET2) and withdrawals (R-WITHDRAW) → corrections (R-CORR) → SiteData.
Pure apart from the clock-free ``as_of``; no file is read or written here.
"""

from __future__ import annotations

from dataclasses import replace

from pipeline import corrections as corr
from pipeline import ledger, retention
from pipeline.model import Content, Hold
from pipeline.pii import personal_values
from pipeline.redact import redact_case, redact_cases

from .pages import SiteData, case_url


def bureau_allow_list(content: Content) -> frozenset[str]:
    """The bureau's own published contacts, which redaction keeps (SPEC §4)."""
    b = content.bureau
    report = b.get("report") or {}
    values = [b.get("phone"), b.get("email"), b.get("address"), report.get("phone"),
              report.get("email"), report.get("address")]
    for row in content.lists.get("guides").rows if "guides" in content.lists else ():
        values += [row.get("phone"), row.get("address")]
    return frozenset(str(v) for v in values if v)


def _personal_values(cases) -> list[set]:
    return [personal_values(case) for case in cases]


def assemble(content: Content, cases, lists, ledger_text: str, report, progress, stage,
             redact=redact_cases, read_ledger=ledger.parse_ledger, personal=_personal_values,
             content_hash=ledger.public_hash):
    """Run redaction, ledger and retention; return a ``build.Prepared``.

    ``redact(cases, allow)`` is the redaction stage (pipeline.redact.redact_cases, or
    publish.redaction.CaseCaches.redact with a cache and workers: same answer);
    ``read_ledger(text)`` parses and verifies the ledger (pipeline.ledger.parse_ledger, or
    publish.cache.parse_ledger_cached); ``personal(cases)`` lists each case's personal
    values (pipeline.pii.personal_values, or CaseCaches.personal_values);
    ``content_hash(case)`` is pipeline.ledger.public_hash (or CaseCaches.public_hash).
    """
    from .build import Prepared

    allow = bureau_allow_list(content)
    with stage(report, "redact", progress):
        redacted, pii_holds, stats = redact(cases, allow)
        report.held += pii_holds
        report.redaction = stats
    with stage(report, "ledger", progress):
        previous = read_ledger(ledger_text) if ledger_text.strip() else []
        first_pub = ledger.first_publication(previous)
        kept = retention.apply_retention(redacted, first_pub, report.as_of)
        expired_ids = {c.id for c in kept.expired}
        # Every public case, expired ones included: plan_events records an expiry only
        # for a case it is given (R-RET5 / R-RET2 events in the public changelog).
        new_events = ledger.plan_events(
            redacted, lists, content.corrections, previous, report.as_of,
            live_ids={c.id for c in kept.live}, expired_ids=expired_ids, content_hash=content_hash,
        )
        events = previous + new_events
        report.new_events = new_events
        # Only the new lines need verifying: ``previous`` is the verified old text.
        report.ledger_text = ledger.append_events(
            ledger_text, new_events, previous if ledger_text.strip() else None)
    site = _site(content, lists, kept, events, report, allow)
    in_ledger = {e.record for e in events}
    secrets = _secrets(content, report.held, kept, in_ledger, personal(content.cases))
    return Prepared(content, site, report, secrets)


def _site(content: Content, lists, kept, events, report, allow) -> SiteData:
    """The SiteData of the live cases (newest first), with their public corrections;
    fills the report's counts."""
    live = sorted(kept.live, key=lambda c: (c.decided_on, c.id), reverse=True)
    report.published = len(live)
    report.withdrawn = len(kept.withdrawn)
    report.expired = sorted(c.id for c in kept.expired)
    report.gone_urls = sorted(case_url(c) for c in kept.expired)
    with_corrections = {c.case for c in content.corrections}
    sources = {c.id: c for c in content.cases}
    entries = {
        c.id: corr.public_correction_entries(c.id, content.corrections, report.as_of,
                                             _redactor(sources[c.id], allow))
        for c in live if c.id in with_corrections
    }
    return SiteData(
        bureau=content.bureau, lists=lists, cases=live, as_of=report.as_of,
        withdrawn=sorted(kept.withdrawn, key=lambda c: c.id), ends=dict(kept.ends),
        first_pub=ledger.first_publication(events),
        corrections={k: v for k, v in entries.items() if v}, events=events,
    )


def _redactor(case, allow):
    """A text redactor that masks the persons of the SOURCE ``case`` (correction values)."""

    def redact(text: str) -> str:
        probe = replace(case, facts=text, body="", status_note="")
        return redact_case(probe, allow).case.facts

    return redact


def _secrets(content: Content, held: list[Hold], kept, in_ledger: set[str], personal) -> set:
    """Values that must appear in no output file: personal data of every source case,
    the 文号 and party names of held-back, withdrawn and expired records, and the page
    URL of expired records.

    An expired record that the ledger recorded keeps its 文号 in the public changelog
    ("公示期满撤下 <文号>", SPEC §5), so for it the verifier looks for its page URL
    (links, sitemap, search index) instead of its 文号."""
    values = set().union(*personal)  # of every source case
    held_ids = {h.record_id for h in held}
    hidden = [c for c in content.cases if c.id in held_ids] + list(kept.expired)
    # A party with another live result is legitimately on the site under that result.
    live_parties = {c.party.name for c in kept.live}
    for case in kept.expired:
        values.add(("hidden_url", case_url(case)))
    for case in hidden:
        if case.id in held_ids or case.id not in in_ledger:
            values.add(("hidden_doc_no", case.doc_no))
    # A natural person's published name is a mask (雷某某) that other people share; their
    # real name is a personal value above.  Organisation and trade names are checked.
    for case in hidden + list(kept.withdrawn):  # a withdrawal notice never names the party
        if case.party.kind != "natural_person" and case.party.name not in live_parties:
            values.add(("hidden_party", case.party.name))
    # R-CORR: who asked for a correction never reaches the public site (a party asking
    # about its own decision is public anyway, as the party).
    for request in content.corrections:
        if request.applicant and request.applicant not in live_parties:
            values.add(("correction_applicant", request.applicant))
        if request.contact:
            values.add(("correction_contact", request.contact))
    return values
