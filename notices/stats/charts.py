"""Charts drawn on the server as plain SVG: shapes computed here, markup in
templates/data/_chart.html. No JavaScript, no external library, nothing fetched by the browser.

Each chart has a <title> and a <desc> (read by screen readers through aria-labelledby), every bar
and point a <title> with its value, and the page shows the same numbers as a table beside it.
Colours are the site's design tokens, chosen to stay apart for common colour-vision deficiencies
and each at least 3:1 against white.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

# blue-900, orange-800, green-800, magenta-900, yellow-900, gray-600, blue-1200, red-900
PALETTE = (
    "#0017c1",
    "#c74700",
    "#197a4b",
    "#8b008b",
    "#927200",
    "#666666",
    "#000060",
    "#ce0000",
)
WIDTH = 640
ROW = 30  # height of one horizontal bar row
LEFT = 260  # at most this much room for the labels of horizontal bars
PLOT_HEIGHT = 220


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True, slots=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "start"  # SVG text-anchor
    small: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    x1: float
    y1: float
    x2: float
    y2: float
    strong: bool = False


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float
    title: str


@dataclass(slots=True)
class Chart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    polyline: str = ""
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, label)


def nice_step(largest: float, ticks: int = 5) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about `ticks` gridlines."""
    if largest <= 0:
        return 1
    raw = largest / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return max(factor * power, 1)
    return 10 * power


def text_width(text: str) -> float:
    """About how wide `text` is at 12px: full-width (Japanese) characters take twice the room."""
    return sum(12 if ord(ch) > 0x2E7F else 6.5 for ch in text)


def _number(value: float) -> str:
    return f"{value:,.0f}"


def horizontal_bars(
    *,
    id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    values: Sequence[float],
    texts: Sequence[str] | None = None,
    maximum: float | None = None,
) -> Chart:
    """One bar per category, its value written after it."""
    texts = list(texts) if texts is not None else [_number(v) for v in values]
    height = ROW * len(labels) + 20
    chart = Chart(id=id, title=title, desc=desc, width=WIDTH, height=height)
    top = maximum if maximum is not None else max(values, default=0) or 1
    left = min(LEFT, max((text_width(label) for label in labels), default=0) + 16)
    room = WIDTH - left - 90
    for i, (label, value, text) in enumerate(zip(labels, values, texts, strict=True)):
        y = 10 + i * ROW
        width = room * value / top if top else 0
        chart.labels.append(Label(left - 8, y + ROW / 2 + 1, label, anchor="end"))
        chart.rects.append(Rect(left, y + 5, width, ROW - 10, PALETTE[0], f"{label}: {text}"))
        chart.labels.append(Label(left + width + 6, y + ROW / 2 + 1, text))
    chart.rules.append(Rule(left, 5, left, height - 5, strong=True))
    return chart


def stacked_columns(
    *,
    id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
) -> Chart:
    """One column per label (a month), stacked by series (a reason), with a legend."""
    legend_rows = math.ceil(len(series) / 2)
    top_margin, bottom = 10, 40
    height = top_margin + PLOT_HEIGHT + bottom + legend_rows * 20
    chart = Chart(id=id, title=title, desc=desc, width=WIDTH, height=height)
    totals = [sum(values[i] for _name, values in series) for i in range(len(labels))]
    step = nice_step(max(totals, default=0))
    top = step * max(1, math.ceil(max(totals, default=0) / step))
    left, right = 60, WIDTH - 10
    base = top_margin + PLOT_HEIGHT
    _value_axis(chart, left, right, top_margin, base, top, step, percent=False)
    slot = (right - left) / max(len(labels), 1)
    for i, label in enumerate(labels):
        x = left + i * slot + slot * 0.15
        y = base
        for s, (name, values) in enumerate(series):
            value = values[i]
            if not value:
                continue
            h = PLOT_HEIGHT * value / top
            y -= h
            colour = PALETTE[s % len(PALETTE)]
            chart.rects.append(Rect(x, y, slot * 0.7, h, colour, f"{label} {name}: {value:,}"))
        chart.labels.append(Label(x + slot * 0.35, base + 16, label, anchor="middle", small=True))
    for s, (name, _values) in enumerate(series):
        chart.legend.append((PALETTE[s % len(PALETTE)], name))
    return chart


def line(
    *,
    id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    shares: Sequence[float | None],
) -> Chart:
    """A share (0 to 1) over time, on a 0–100% axis."""
    top_margin, bottom = 10, 40
    height = top_margin + PLOT_HEIGHT + bottom
    chart = Chart(id=id, title=title, desc=desc, width=WIDTH, height=height)
    left, right = 60, WIDTH - 20
    base = top_margin + PLOT_HEIGHT
    _value_axis(chart, left, right, top_margin, base, 100, 20, percent=True)
    slot = (right - left) / max(len(labels) - 1, 1)
    points = []
    for i, (label, share) in enumerate(zip(labels, shares, strict=True)):
        x = left + i * slot
        chart.labels.append(Label(x, base + 16, label, anchor="middle", small=True))
        if share is None:
            continue
        y = base - PLOT_HEIGHT * share
        points.append(f"{x:.1f},{y:.1f}")
        chart.points.append(Point(x, y, f"{label}: {share:.1%}"))
    chart.polyline = " ".join(points)
    return chart


def _value_axis(
    chart: Chart,
    left: float,
    right: float,
    top: float,
    base: float,
    largest: float,
    step: float,
    *,
    percent: bool,
) -> None:
    value = 0.0
    while value <= largest + 1e-9:
        y = base - (base - top) * value / largest if largest else base
        chart.rules.append(Rule(left, y, right, y, strong=value == 0))
        text = f"{value:.0f}%" if percent else _number(value)
        chart.labels.append(Label(left - 6, y + 4, text, anchor="end", small=True))
        value += step
