"""The report's charts: inline SVG written here, no script and no library.

Each chart scales to its container (a ``viewBox`` and ``width="100%"``), names itself
for screen readers (``role="img"``, ``aria-label``) and gives each bar its exact figure
in a ``<title>`` (shown on hover). Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

__all__ = ["Bar", "bars", "columns", "status_colour", "PALETTE"]

# Colour-blind-safe (Okabe and Ito), darkened enough for white text beside them.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000")
_STATUS = {"2": "#009E73", "3": "#0072B2", "4": "#E69F00", "5": "#D55E00"}
_GREY = "#8a8f98"

Bar = tuple[str, float, str]  # label, value, colour


def status_colour(status: str) -> str:
    """2xx green, 3xx blue, 4xx orange, 5xx red, anything else grey."""
    return _STATUS.get(status[:1], _GREY) if len(status) == 3 else _GREY


def _e(text: str) -> str:
    return escape(text, quote=True)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def bars(rows: Sequence[Bar], label: str, fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
         *, label_width: int = 190, width: int = 1000) -> str:
    """A horizontal bar chart, one row per (label, value, colour). ``width`` is the width
    it is drawn for, in CSS pixels: the text keeps its size when it fills that."""
    row_h, value_w = 26, 90
    if not rows:
        return ""
    top = max(v for _, v, _ in rows) or 1
    plot = width - label_width - value_w
    height = row_h * len(rows) + 8
    out = [f'<svg class="chart" role="img" aria-label="{_e(label)}" viewBox="0 0 {width} '
           f'{height}" width="100%" preserveAspectRatio="xMinYMin meet">']
    for i, (name, value, colour) in enumerate(rows):
        y = 4 + i * row_h
        w = max(1.0, plot * value / top) if value else 0.0
        text = fmt(value)
        out.append(
            f'<g><title>{_e(name)}: {_e(text)}</title>'
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" '
            f'class="lbl">{_e(_short(name, label_width // 7))}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
            f'rx="3" fill="{_e(colour)}"/>'
            f'<text x="{label_width + w + 6:.1f}" y="{y + 17}" class="val">{_e(text)}</text>'
            f'</g>')
    out.append("</svg>")
    return "".join(out)


def columns(rows: Sequence[tuple[str, float, str]], label: str,
            fmt: Callable[[float], str] = lambda v: f"{v:,.0f}", colour: str = PALETTE[0],
            *, caption: str = "", width: int = 480) -> str:
    """A column chart over time, one column per (label, value, hover note), oldest left;
    with many columns only some are labelled below the axis."""
    if not rows:
        return ""
    height, left, bottom, top_pad = 220, 70, 44, 16
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    top = max(v for _, v, _ in rows) or 1
    step = plot_w / len(rows)
    bar_w = max(2.0, min(48.0, step * 0.7))
    every = max(1, round(len(rows) / (width // 60)))
    out = [f'<svg class="chart" role="img" aria-label="{_e(label)}" viewBox="0 0 {width} '
           f'{height}" width="100%" preserveAspectRatio="xMinYMin meet">']
    for k in range(5):  # grid lines, 0 to the top value
        value = top * k / 4
        y = top_pad + plot_h - plot_h * k / 4
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'class="grid"/><text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
                   f'class="axis">{_e(fmt(value))}</text>')
    for i, (name, value, note) in enumerate(rows):
        x = left + i * step + (step - bar_w) / 2
        h = plot_h * value / top
        y = top_pad + plot_h - h
        tip = f"{name.replace(chr(10), ' ')}: {fmt(value)}" + (f" ({note})" if note else "")
        out.append(f'<g><title>{_e(tip)}</title><rect x="{x:.1f}" y="{y:.1f}" '
                   f'width="{bar_w:.1f}" height="{max(h, 0.5):.1f}" rx="2" '
                   f'fill="{_e(colour)}"/></g>')
        if i % every == 0:  # a label of two lines: "0003\n2026-12-07"
            cx = f"{x + bar_w / 2:.1f}"
            lines = "".join(f'<tspan x="{cx}" dy="{0 if k == 0 else 12}">{_e(_short(t, 12))}'
                            "</tspan>" for k, t in enumerate(name.split("\n")[:2]))
            out.append(f'<text x="{cx}" y="{height - bottom + 14}" text-anchor="middle" '
                       f'class="axis">{lines}</text>')
    if caption:
        out.append(f'<text x="{left - 6}" y="{height - bottom + 14}" text-anchor="end" '
                   f'class="axis">{_e(caption)}</text>')
    out.append("</svg>")
    return "".join(out)
