"""Charts as inline SVG, drawn on the server: the same markup serves the web page and the PDF.

No script draws them, so a chart shows with scripts off, prints, and cannot run anything a label
smuggles in: every label is escaped as XML text. A bar chart's long labels wrap onto up to three
lines (a name longer still is cut, and every row's tooltip gives it whole); the time axis's labels
are cut to fit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

FONT = "font-family='DejaVu Sans, Arial, sans-serif'"
PALETTE = ("#2f6db5", "#d9822b", "#3d9970", "#b03a48", "#7a5ea8", "#8c8c8c")


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label, its parts' values (one part for a plain bar), and where it links."""

    label: str
    parts: Mapping[str, float]
    href: str | None = None

    @property
    def total(self) -> float:
        """Return the sum of the bar's parts."""
        return float(sum(self.parts.values()))


LABEL_LINES = 3  # lines a bar's label may take before the rest is cut
LINE_HEIGHT = 14  # px between the lines of a wrapped label (12px text)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "…"


def wrap(text: str, limit: int, lines: int = LABEL_LINES) -> list[str]:
    """Return `text` in lines of at most `limit` characters, broken between words where it can be
    (a word longer than a line is split), at most `lines` of them, the last cut with "…" if needed."""
    limit = max(2, limit)
    found: list[str] = []
    line = ""
    for word in text.split():
        while len(word) > limit:  # a long unbroken word (a URL, a handle) fills lines of its own
            if line:
                found.append(line)
                line = ""
            found.append(word[:limit])
            word = word[limit:]
        if line and len(line) + 1 + len(word) > limit:
            found.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        found.append(line)
    if len(found) > lines:
        found = [*found[: lines - 1], _cut(" ".join(found[lines - 1 :]), limit)]
    return found or [""]


def _link(inner: str, href: str | None, title: str) -> str:
    tip = f"<title>{escape(title)}</title>"
    if not href:
        return f"<g>{tip}{inner}</g>"
    return f"<a href={quoteattr(href)}>{tip}{inner}</a>"


def _legend(parts: Sequence[str], colours: Mapping[str, str], x: float, y: float) -> str:
    out, at = [], x
    for part in parts:
        out.append(f"<rect x='{at:.1f}' y='{y - 9:.1f}' width='10' height='10' fill='{colours[part]}'/>")
        out.append(
            f"<text x='{at + 14:.1f}' y='{y:.1f}' font-size='11' {FONT}>{escape(_cut(part, 18))}</text>"
        )
        at += 24 + 7 * min(len(part), 18)
    return "".join(out)


def _colours(parts: Sequence[str], colours: Mapping[str, str] | None) -> dict[str, str]:
    given = dict(colours or {})
    return {p: given.get(p, PALETTE[i % len(PALETTE)]) for i, p in enumerate(parts)}


def _parts(bars: Sequence[Bar]) -> list[str]:
    return list(dict.fromkeys(p for bar in bars for p in bar.parts))


def hbars(
    bars: Sequence[Bar],
    *,
    width: int = 640,
    share: bool = False,
    colours: Mapping[str, str] | None = None,
    label_chars: int = 28,
    title: str = "",
) -> str:
    """Return horizontal bars, one row per bar, stacked by part; `share` draws each row as 100%."""
    if not bars:
        return ""
    parts = _parts(bars)
    colour = _colours(parts, colours)
    row, top, label_w, value_w = 22, 24 if len(parts) > 1 else 6, 7 * label_chars + 8, 56
    plot = width - label_w - value_w
    biggest = max((b.total for b in bars), default=0.0) or 1.0
    labels = [wrap(bar.label, label_chars) for bar in bars]
    # A row grows with its label's lines; the bar stays one row high, level with the first line.
    heights = [row + LINE_HEIGHT * (len(lines) - 1) for lines in labels]
    height = top + sum(heights) + 6
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' role='img' viewBox='0 0 {width} {height}' "
        f"width='100%' aria-label={quoteattr(title or 'bar chart')} class='chart'>"
    ]
    if len(parts) > 1:
        out.append(_legend(parts, colour, label_w, 14))
    y = top
    for bar, lines, tall in zip(bars, labels, heights, strict=True):
        scale = plot / (bar.total or 1.0) if share else plot / biggest
        mid = y + (tall - row) / 2  # the bar and its number sit level with the middle of the label
        shapes, x = [], float(label_w)
        for part in parts:
            w = bar.parts.get(part, 0.0) * scale
            if w > 0:
                shapes.append(
                    f"<rect x='{x:.1f}' y='{mid + 3:g}' width='{w:.1f}' height='{row - 6}' "
                    f"fill='{colour[part]}'/>"
                )
                x += w
        label = f"<text x='{label_w - 6}' y='{y + row - 7}' font-size='12' text-anchor='end' {FONT}>"
        if len(lines) == 1:
            label += escape(lines[0]) + "</text>"
        else:
            label += "".join(
                f"<tspan x='{label_w - 6}' dy='{0 if n == 0 else LINE_HEIGHT}'>{escape(text)}</tspan>"
                for n, text in enumerate(lines)
            )
            label += "</text>"
        value = f"{bar.total:,.0f}"
        if share and len(parts) > 1:
            first = bar.parts.get(parts[0], 0.0)
            value = f"{100 * first / bar.total:.0f}%" if bar.total else "–"
        number = f"<text x='{width - 4}' y='{mid + row - 7:g}' font-size='12' text-anchor='end' {FONT}>"
        number += f"{value}</text>"
        detail = ", ".join(f"{p}: {bar.parts.get(p, 0):,.0f}" for p in parts)
        # A transparent hit area makes the whole row clickable, gaps and short bars included.
        hit = f"<rect x='0' y='{y}' width='{width}' height='{tall}' fill='transparent'/>"
        out.append(_link(hit + label + "".join(shapes) + number, bar.href, f"{bar.label}: {detail}"))
        y += tall
    out.append("</svg>")
    return "".join(out)


def columns(
    bars: Sequence[Bar],
    *,
    width: int = 640,
    height: int = 200,
    colours: Mapping[str, str] | None = None,
    title: str = "",
    every: int | None = None,
    ticks: Sequence[str] | None = None,
    line: Sequence[float | None] | None = None,
    line_label: str = "",
) -> str:
    """Return vertical columns over time (one per bar, stacked by part), labelling every `every`-th
    with its tick (`ticks`, one per bar, "" for none; the bar's label without them), and `line` (one value per
    bar, None for a gap) drawn over them as a dashed line, named `line_label` in the legend."""
    if not bars:
        return ""
    parts = _parts(bars)
    colour = _colours(parts, colours)
    left, bottom, top = 44, 22, 20 if len(parts) > 1 or line else 8
    plot_w, plot_h = width - left - 6, height - bottom - top
    drawn = [v for v in line or () if v is not None]
    biggest = max([b.total for b in bars] + drawn, default=0.0) or 1.0
    step = plot_w / len(bars)
    every = every or max(1, len(bars) // 8)
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' role='img' viewBox='0 0 {width} {height}' "
        f"width='100%' aria-label={quoteattr(title or 'column chart')} class='chart'>",
        f"<line x1='{left}' y1='{top + plot_h}' x2='{width - 6}' y2='{top + plot_h}' stroke='#999'/>",
        f"<text x='{left - 4}' y='{top + 10}' font-size='11' text-anchor='end' {FONT}>{biggest:,.0f}</text>",
        f"<text x='{left - 4}' y='{top + plot_h}' font-size='11' text-anchor='end' {FONT}>0</text>",
    ]
    if len(parts) > 1:
        out.append(_legend(parts, colour, left, 12))
    elif line:
        out.append(
            f"<line x1='{left}' y1='8' x2='{left + 18}' y2='8' stroke='#b03a48' stroke-dasharray='4 3'/>"
            f"<text x='{left + 22}' y='12' font-size='11' {FONT}>{escape(line_label)}</text>"
        )
    for i, bar in enumerate(bars):
        x = left + i * step
        shapes, y = [], float(top + plot_h)
        for part in parts:
            h = bar.parts.get(part, 0.0) * plot_h / biggest
            if h > 0:
                y -= h
                shapes.append(
                    f"<rect x='{x + step * 0.1:.1f}' y='{y:.1f}' width='{max(step * 0.8, 0.5):.1f}' "
                    f"height='{h:.1f}' fill='{colour[part]}'/>"
                )
        label = ""
        tick = ticks[i] if ticks else bar.label
        if i % every == 0 and tick:
            label = (
                f"<text x='{x + step / 2:.1f}' y='{height - 6}' font-size='10' text-anchor='middle' {FONT}>"
                f"{escape(_cut(tick, 12))}</text>"
            )
        # A transparent hit area keeps a thin or empty column clickable.
        hit = f"<rect x='{x:.1f}' y='{top}' width='{step:.1f}' height='{plot_h}' fill='transparent'/>"
        detail = ", ".join(f"{p}: {bar.parts.get(p, 0):,.0f}" for p in parts)
        out.append(_link(hit + "".join(shapes) + label, bar.href, f"{bar.label}: {detail}"))
    if line:
        runs: list[list[str]] = [[]]
        for i, value in enumerate(line):
            if value is None:
                runs.append([])
                continue
            runs[-1].append(f"{left + (i + 0.5) * step:.1f},{top + plot_h - value * plot_h / biggest:.1f}")
        for run in runs:
            if run:
                out.append(
                    f"<polyline points='{' '.join(run)}' fill='none' stroke='#b03a48' "
                    "stroke-width='1.5' stroke-dasharray='4 3'/>"
                )
    out.append("</svg>")
    return "".join(out)
