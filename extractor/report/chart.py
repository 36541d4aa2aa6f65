"""The quality-against-cost chart of report.html: its geometry, which a template draws as inline SVG.

Each run is a numbered point at (cost, slot F1) with its 95% interval as an
error bar. A run whose cost is unknown is drawn in its own hatched lane at
the right, never at $0, where it would pass for free. Costs spread over
orders of magnitude go on a log axis; free runs then get a lane of their own
at the left, as zero has no place on a log axis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from extractor.evaluation.results import EvalReport
from extractor.report.format import fmt_cost, fmt_interval, fmt_score

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


def chart_points(report: EvalReport) -> tuple[list[Point], list[str]]:
    """The runs that have a slot F1, and the labels of those that have none."""
    points, skipped = [], []
    for index, run in enumerate(report.runs):
        slots = run.scores.slots
        if slots.f1 is None:
            skipped.append(run.label)
        else:
            points.append(Point(index, run.label, slots.f1, slots.ci95, run.cost_usd))
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


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Lane:
    x: float
    label: str
    css: str


@dataclass(frozen=True)
class Dot:
    """A run's point as drawn: where, its interval bar, and the words on hover."""

    number: int
    index: int
    label: str
    x: float
    y: float
    bar: tuple[float, float] | None
    unknown_cost: bool
    tip: str


@dataclass(frozen=True)
class ChartView:
    """Everything the chart template draws, in SVG user units."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    lane_width: int
    radius: int
    f1_ticks: list[Tick]
    cost_ticks: list[Tick]
    axis_middle: float
    scale: str
    lanes: list[Lane]
    dots: list[Dot]
    skipped: list[str]


def chart_view(report: EvalReport) -> ChartView:
    """The chart of slot F1 against cost: a numbered point per run, with its interval."""
    points, skipped = chart_points(report)
    axis = make_axis(points)
    lanes = ([Lane(LEFT, "free ($0)", "lane-free")] if axis.free_lane else []) + (
        [Lane(WIDTH - RIGHT - LANE, "cost unknown", "lane-unknown")] if axis.unknown_lane else [])
    return ChartView(
        width=WIDTH, height=HEIGHT, left=LEFT, right=WIDTH - RIGHT, top=TOP, bottom=HEIGHT - BOTTOM,
        lane_width=LANE, radius=RADIUS,
        f1_ticks=[Tick(_y(f1), f"{f1:.2f}") for f1 in (0, 0.25, 0.5, 0.75, 1)],
        cost_ticks=[Tick(axis.x(cost) if cost > 0 or not axis.log else axis.left, fmt_cost(cost))
                    for cost in _ticks(axis)],
        axis_middle=(axis.left + axis.right) / 2, scale="log scale" if axis.log else "linear",
        lanes=lanes, dots=[_dot(point, x) for point, x in _place(points, axis)], skipped=skipped,
    )


def _dot(point: Point, x: float) -> Dot:
    bar = None if point.ci95 is None else (_y(point.ci95[0]), _y(point.ci95[1]))
    tip = (f"#{point.index + 1} {point.label}: slot F1 {fmt_score(point.f1)} {fmt_interval(point.ci95)}, "
           f"cost {fmt_cost(point.cost)}")
    return Dot(point.index + 1, point.index, point.label, x, _y(point.f1), bar, point.cost is None, tip)
