"""The quality-against-cost chart of report.html, as inline SVG.

Each run is a numbered point at (cost, slot F1) with its 95% interval as an
error bar. A run whose cost is unknown is drawn in its own hatched lane at
the right, never at $0, where it would pass for free. Costs spread over
orders of magnitude go on a log axis; free runs then get a lane of their own
at the left, as zero has no place on a log axis.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from extractor.report_format import fmt_cost, fmt_interval, fmt_score

WIDTH, HEIGHT = 760, 380
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 20, 64
LANE, GAP = 96, 14  # width of a side lane, and the gap that sets it off
RADIUS = 11
LOG_SPREAD = 10  # costs this many times apart go on a log axis


@dataclass(frozen=True)
class Point:
    index: int
    label: str
    f1: float
    ci95: Sequence[float] | None
    cost: float | None


@dataclass(frozen=True)
class Axis:
    """Where known costs go: [left, right] pixels, linear or log, and which lanes exist."""

    left: float
    right: float
    low: float
    high: float
    log: bool
    free_lane: bool
    unknown_lane: bool

    def x(self, cost: float) -> float:
        if self.log:
            share = (math.log10(cost) - math.log10(self.low)) / (math.log10(self.high) - math.log10(self.low))
        else:
            share = (cost - self.low) / (self.high - self.low)
        return self.left + share * (self.right - self.left)


def chart_points(report: Mapping[str, Any]) -> tuple[list[Point], list[str]]:
    """The runs that have a slot F1, and the labels of those that have none."""
    points, skipped = [], []
    for index, run in enumerate(report.get("runs") or []):
        slots = (run.get("scores") or {}).get("slots") or {}
        label = str(run.get("label", f"run {index + 1}"))
        if slots.get("f1") is None:
            skipped.append(label)
        else:
            points.append(Point(index, label, float(slots["f1"]), slots.get("ci95"), run.get("cost_usd")))
    return points, skipped


def make_axis(points: Sequence[Point]) -> Axis:
    """A log axis when known costs span a factor of ten or more, else linear from $0."""
    positive = [p.cost for p in points if p.cost is not None and p.cost > 0]
    unknown = any(p.cost is None for p in points)
    log = len(positive) >= 2 and max(positive) / min(positive) >= LOG_SPREAD
    free = log and any(p.cost == 0 for p in points)
    left = LEFT + (LANE + GAP if free else 0) + RADIUS
    right = WIDTH - RIGHT - (LANE + GAP if unknown else 0) - RADIUS
    if log:
        low, high = 10 ** math.floor(math.log10(min(positive))), 10 ** math.ceil(math.log10(max(positive)))
    else:
        low, high = 0.0, _nice_ceiling(max(positive, default=0.0))
    return Axis(left, right, low, high, log, free, unknown)


def _nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is at least ``value`` (1 for 0)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def _ticks(axis: Axis) -> list[float]:
    if axis.log:
        first, last = round(math.log10(axis.low)), round(math.log10(axis.high))
        return [10.0**k for k in range(first, last + 1)]
    return [axis.high * k / 4 for k in range(5)]


def _y(f1: float) -> float:
    return TOP + (1 - f1) * (HEIGHT - TOP - BOTTOM)


def _place(points: Sequence[Point], axis: Axis) -> list[tuple[Point, float]]:
    """x of each point; points in a lane share it evenly, and a point never covers another."""
    lanes: dict[str, list[Point]] = {"free": [], "unknown": []}
    placed: list[tuple[Point, float]] = []
    for point in points:
        if point.cost is None:
            lanes["unknown"].append(point)
        elif point.cost == 0 and axis.free_lane:
            lanes["free"].append(point)
        else:
            placed.append((point, axis.x(point.cost)))
    for name, start in (("free", LEFT), ("unknown", WIDTH - RIGHT - LANE)):
        members = lanes[name]
        placed += [(p, start + LANE * (k + 1) / (len(members) + 1)) for k, p in enumerate(members)]
    return _separate(placed)


def _separate(placed: list[tuple[Point, float]]) -> list[tuple[Point, float]]:
    """Nudge right any point that would sit on one already drawn (equal cost and score)."""
    done: list[tuple[Point, float]] = []
    for point, x in placed:
        while any(abs(x - ox) < 2 * RADIUS and abs(_y(point.f1) - _y(o.f1)) < 2 * RADIUS for o, ox in done):
            x += 2 * RADIUS + 2
        done.append((point, x))
    return done


def render_chart(report: Mapping[str, Any]) -> str:
    """The chart's <figure>: SVG, a numbered key, and a note of runs with nothing to plot."""
    points, skipped = chart_points(report)
    axis = make_axis(points)
    body = [_frame(axis)] + [_point(point, x) for point, x in _place(points, axis)]
    svg = (f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title">'
           f'<title id="chart-title">Slot F1 against cost, one numbered point per run</title>{"".join(body)}</svg>')
    key = "".join(f'<li value="{p.index + 1}">{escape(p.label)}</li>' for p in points)
    note = f'<p class="note">Not plotted (no slot F1): {escape(", ".join(skipped))}.</p>' if skipped else ""
    return f'<figure class="chart-figure"><div class="chart-scroll">{svg}</div><figcaption><ol class="chart-key">{key}</ol>{note}</figcaption></figure>'


def _frame(axis: Axis) -> str:
    """Grid, axes, tick labels and the side lanes."""
    bottom, parts = HEIGHT - BOTTOM, []
    for f1 in (0, 0.25, 0.5, 0.75, 1):
        y = _y(f1)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="tick" x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{f1:.2f}</text>')
    for cost in _ticks(axis):
        x = axis.x(cost) if cost > 0 or not axis.log else axis.left
        parts.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{bottom}"/>'
                     f'<text class="tick" x="{x:.1f}" y="{bottom + 18}" text-anchor="middle">{fmt_cost(cost)}</text>')
    scale = "log scale" if axis.log else "linear"
    parts.append(f'<text class="axis-label" x="{(axis.left + axis.right) / 2:.1f}" y="{HEIGHT - 12}" '
                 f'text-anchor="middle">Cost of the run, US$ ({scale})</text>'
                 f'<text class="axis-label" transform="translate(16 {(TOP + bottom) / 2:.1f}) rotate(-90)" '
                 'text-anchor="middle">Slot F1 (higher is better)</text>')
    if axis.free_lane:
        parts.append(_lane(LEFT, "free ($0)", "lane-free"))
    if axis.unknown_lane:
        parts.append(_lane(WIDTH - RIGHT - LANE, "cost unknown", "lane-unknown"))
    return "".join(parts)


def _lane(x: float, label: str, css: str) -> str:
    return (f'<g class="lane {css}"><rect x="{x}" y="{TOP}" width="{LANE}" height="{HEIGHT - TOP - BOTTOM}"/>'
            f'<text class="lane-label" x="{x + LANE / 2}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">'
            f"{label}</text></g>")


def _point(point: Point, x: float) -> str:
    """A numbered circle with its interval bar; hovering shows the run's numbers."""
    y = _y(point.f1)
    bar = ""
    if point.ci95 is not None:
        low, high = _y(point.ci95[0]), _y(point.ci95[1])
        bar = (f'<line class="ci" x1="{x:.1f}" x2="{x:.1f}" y1="{low:.1f}" y2="{high:.1f}"/>'
               f'<line class="ci" x1="{x - 6:.1f}" x2="{x + 6:.1f}" y1="{low:.1f}" y2="{low:.1f}"/>'
               f'<line class="ci" x1="{x - 6:.1f}" x2="{x + 6:.1f}" y1="{high:.1f}" y2="{high:.1f}"/>')
    unknown = " cost-unknown" if point.cost is None else ""
    tip = (f"#{point.index + 1} {point.label}: slot F1 {fmt_score(point.f1)} {fmt_interval(point.ci95)}, "
           f"cost {fmt_cost(point.cost)}")
    return (f'<g class="point{unknown}" data-run="{point.index}"><title>{escape(tip)}</title>{bar}'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{RADIUS}"/>'
            f'<text class="point-number" x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle">{point.index + 1}</text></g>')
