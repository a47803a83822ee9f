"""Flowcharts (L-FLOW) as accessible inline SVG, generated at build time.

The chart is a vertical chain of boxes, one per step, with its time limit; the page
also shows the same steps as an ordered list, which is what screen readers use.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from markupsafe import Markup

BOX_W, BOX_H, GAP, PAD = 320, 54, 26, 10


def flow_svg(title: str, steps: list[dict]) -> Markup:
    """Return an <svg> (role=img, with <title> and <desc>) drawing ``steps`` in order."""
    height = PAD * 2 + len(steps) * BOX_H + max(len(steps) - 1, 0) * GAP
    width = BOX_W + PAD * 2
    desc = "；".join(f"第{i}步 {s.get('name', '')}" for i, s in enumerate(steps, 1))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flow" viewBox="0 0 {width} {height}" '
        f'width="{width}" role="img" aria-labelledby="flow-t flow-d">',
        f'<title id="flow-t">{escape(title)}</title><desc id="flow-d">{escape(desc)}</desc>',
        '<defs><marker id="arr" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto-start-reverse"><path d="M0 0 10 5 0 10z" fill="#1f4e79"/>'
        "</marker></defs>",
    ]
    for i, step in enumerate(steps):
        y = PAD + i * (BOX_H + GAP)
        name = escape(f"{i + 1}. {step.get('name', '')}")
        limit = escape(str(step.get("limit") or ""))
        parts.append(
            f'<rect x="{PAD}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" '
            'fill="#eef4fb" stroke="#1f4e79"/>'
        )
        text_y = y + (22 if limit else 32)
        parts.append(f'<text x="{PAD + BOX_W // 2}" y="{text_y}" text-anchor="middle" '
                     f'font-size="15" fill="#102a43">{name}</text>')
        if limit:
            parts.append(f'<text x="{PAD + BOX_W // 2}" y="{y + 42}" text-anchor="middle" '
                         f'font-size="13" fill="#7a3b00">时限：{limit}</text>')
        if i < len(steps) - 1:
            x = PAD + BOX_W // 2
            parts.append(f'<line x1="{x}" y1="{y + BOX_H}" x2="{x}" y2="{y + BOX_H + GAP - 2}" '
                         'stroke="#1f4e79" stroke-width="2" marker-end="url(#arr)"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
