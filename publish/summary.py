"""The plain-words summary printed at the end of a build or publish."""

from __future__ import annotations

from collections import Counter


def format_summary(report) -> str:
    """A few lines a publisher can read at a glance: counts, holds and why, timings."""
    lines = [
        f"公示日期 as of {report.as_of}: {report.published} results published, "
        f"{report.withdrawn} withdrawn notices, {len(report.expired)} expired, "
        f"{report.pages} pages",
    ]
    if report.output:
        lines.append(f"site: {report.output}")
    if report.held:
        by_rule = Counter(h.rule for h in report.held)
        lines.append(f"held back: {len(report.held)} (" +
                     ", ".join(f"{rule} {n}" for rule, n in sorted(by_rule.items())) + ")")
        lines += [f"  - {h.record_id} ({h.source}) {h.rule}: {h.reason}" for h in report.held]
    if report.new_events:
        kinds = Counter(e.kind for e in report.new_events)
        lines.append("ledger: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    lines += [f"warning: {w}" for w in report.warnings]
    total = sum(report.timings.values())
    lines.append(f"time: {total:.1f}s (" + ", ".join(f"{k} {v:.1f}s" for k, v in report.timings.items()) + ")")
    return "\n".join(lines)
