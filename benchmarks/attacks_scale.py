"""Time and peak memory of resolving reports into attacks: 100,000 reports must take under 60 s, growing linearly.

Runs the offline ``rules`` model once over the bundled eval articles and
builds synthetic run records from their events: each synthetic attack (one
side's strikes on one country on one day, the codebook's attack) is reported
by 1 to 6 articles published on its day or up to two days later; about 10%
of the reports are undated (their date words only: "on Tuesday",
"overnight"), about 20% name a place of their own or one place fewer, some
give a higher toll, some an unknown attacker, and some articles carry a
second, background event of an earlier attack. Every day has one Russian
attack on Ukraine and one Ukrainian attack on Russia, so the dates span as
many days as the reports need (10,000 reports: about 4 years); ``--years``
fixes the span instead (attacks then get more reports). Each size is
resolved with ``resolve_attacks`` in a fresh child process, which prints
its wall time and peak resident memory; then 1,000 new reports (new attacks
and late reports of the latest ones) are resolved into the largest result
(``existing=``), as the morning job does. Prints a table, the growth ratios
of the two largest sizes (linear is the ratio of their sizes, 10x), and
whether the aim is met.

    python benchmarks/attacks_scale.py              # 10,000 and 100,000 reports
    python benchmarks/attacks_scale.py --quick      # 1,000 and 10,000 (CI-sized)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from corpus import bundled

REPO = Path(__file__).resolve().parent.parent
DATASETS = ("seeds", "dev", "heldout", "heldout2", "attacks")
AIM_REPORTS, AIM_SECONDS = 100_000, 60.0
#: Growth above this many times the ratio of the sizes is not called linear.
LINEAR_SLACK = 1.5
START = dt.date(2022, 2, 24)
PAIRS = (("Russia", "Ukraine"), ("Ukraine", "Russia"))
OUTLETS = ("Reuters", "AP", "AFP", "BBC", "Kyiv Independent", "Ukrainska Pravda", "Meduza", "The Guardian")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
INCREMENT = 1_000


def templates() -> dict[tuple[str, str], list[Any]]:
    """The events the rules model finds in the bundled articles, by (attacker, target)."""
    from extractor.api import extract_many

    found: dict[tuple[str, str], list[Any]] = {pair: [] for pair in PAIRS}
    results = sorted(extract_many(bundled(*DATASETS), model="rules", use_cache=False), key=lambda r: r.id)
    failed = [r.id for r in results if r.status != "ok"]
    if failed:
        raise SystemExit(f"the rules model failed on bundled articles {failed}")
    for result in results:  # in article order: they finish in any order
        for event in result.events:
            found.setdefault((event.attacker, event.target_country), []).append(event)
    if not all(found[pair] for pair in PAIRS):
        raise SystemExit(f"the rules model found no events for one of {PAIRS} in the bundled articles")
    return found


class Synthetic:
    """Run records of synthetic attacks, each reported by 1-6 articles; deterministic for a seed."""

    def __init__(self, events: dict[tuple[str, str], list[Any]], days: int | None = None, seed: int = 7) -> None:
        self.events = events
        self.places = {pair: [p for e in found for p in e.places] for pair, found in events.items()}
        self.days = days  # None: a new day every len(PAIRS) attacks, however many
        self.rng = random.Random(seed)
        self.attacks = 0  # attacks made so far; the next one is numbered this
        self.articles = 0
        self.chosen: dict[int, Any] = {}  # each attack's template event

    def attack_day(self, number: int) -> tuple[dt.date, tuple[str, str]]:
        day, pair = divmod(number, len(PAIRS))
        return START + dt.timedelta(days=day % self.days if self.days else day), PAIRS[pair]

    def records(self, reports: int, late: float = 0.0) -> list[Any]:
        """Records of exactly ``reports`` reports; ``late``: the share that are new articles on recent attacks."""
        from extractor.record import Record

        made: list[Record] = []
        count = 0
        while count < reports:
            if late and self.attacks and self.rng.random() < late:
                number, size = self.attacks - 1 - self.rng.randrange(min(self.attacks, 40)), 1
            else:
                number, size = self.attacks, self.rng.randint(1, 6)
                self.attacks += 1
                self.chosen[number] = self.rng.choice(self.events[self.attack_day(number)[1]])
            for _ in range(size):
                if count >= reports:
                    break
                events = [self.report(number, role="main")]
                if self.rng.random() < 0.15 and number > 4 and count + 1 < reports:
                    events.append(self.report(number - self.rng.randint(2, min(number, 60)), role="background"))
                count += len(events)
                made.append(self.article(number, events))
        self.rng.shuffle(made)
        return made

    def article(self, number: int, events: list[Any]) -> Any:
        from extractor.record import Record

        day, _ = self.attack_day(number)
        self.articles += 1
        published = None if self.rng.random() < 0.05 else day + dt.timedelta(days=self.rng.choice((0, 0, 1, 1, 2)))
        outlet = self.rng.choice(OUTLETS)
        article_id = f"a{self.articles:07d}"
        return Record(id=article_id, model="rules", status="ok", events=events, published=published, source=outlet,
                      url=f"https://example.org/{outlet.lower().replace(' ', '-')}/{article_id}")

    def report(self, number: int, role: str) -> Any:
        """One article's event about attack ``number``: its template, varied."""
        rng = self.rng
        day, pair = self.attack_day(number)
        event = self.chosen[number]
        update: dict[str, Any] = {"role": role, "date": day.isoformat()}
        if rng.random() < 0.10:
            update["date"] = None
            update["date_text"] = f"on {WEEKDAYS[day.weekday()]}" if rng.random() < 0.5 else "overnight"
        places = list(event.places)
        if places and rng.random() < 0.20:
            if len(places) > 1 and rng.random() < 0.5:
                places.pop(rng.randrange(len(places)))
            else:
                other = rng.choice(self.places[pair])
                at = rng.randrange(len(places))
                places[at] = places[at].model_copy(update={"name": other.name, "kind": other.kind,
                                                           "region": other.region})
            update["places"] = places
        if event.killed is not None and rng.random() < 0.30:  # tolls rise as the dead are found
            update["killed"] = event.killed.model_copy(update={"value": event.killed.value + rng.randint(1, 3)})
        if places and rng.random() < 0.03:
            update["attacker"] = "unknown"
        return event.model_copy(update=update)


def child(reports: int, years: float | None, increment: int) -> None:
    """Resolve ``reports`` synthetic reports (and then ``increment`` more into the result); print one JSON line."""
    from extractor.attacks import resolve_attacks

    events = templates()
    synthetic = Synthetic(events, days=round(years * 365) if years else None)
    records = synthetic.records(reports)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    resolution = resolve_attacks(records)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    made = resolution.reports_added
    if made != reports:
        raise SystemExit(f"expected {reports} reports resolved, got {made}")
    sizes = [len(a.reports) for a in resolution.attacks]
    dates = [a.date for a in resolution.attacks if a.date]
    row: dict[str, Any] = {
        "reports": reports, "attacks": len(sizes), "seconds": elapsed, "base_mb": base, "peak_mb": peak,
        "mean_size": sum(sizes) / len(sizes), "max_size": max(sizes),
        "years": (max(dates) - min(dates)).days / 365.25 if dates else 0.0,
        "templates": sum(len(found) for found in events.values())}
    if increment:
        new = synthetic.records(increment, late=0.3)
        started = time.perf_counter()
        again = resolve_attacks(new, existing=resolution.attacks)
        row["increment_seconds"] = time.perf_counter() - started
        row["increment_changed"] = len(again.changed)
        row["increment_attacks"] = len(again.attacks)
    print(json.dumps(row))


def measure(reports: int, years: float | None, increment: int, timeout: float) -> dict[str, Any] | None:
    """One child's row, or None when it ran past ``timeout`` seconds."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(reports), "--increment", str(increment)]
    if years:
        command += ["--years", str(years)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"the child for {reports} reports failed:\n{exc.stderr}") from None
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="reports to resolve")
    parser.add_argument("--quick", action="store_true", help="CI-sized: 1,000 and 10,000 reports")
    parser.add_argument("--years", type=float, help="fix the span of the attack dates (default: as the reports need)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds a size may take before it is given up")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--increment", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.years, args.increment)
        return
    sizes = [1_000, 10_000] if args.quick else sorted(args.sizes)
    print(f"{'reports':>8} {'attacks':>8} {'reports/attack':>14} {'years':>6} {'seconds':>8} {'reports/s':>9} "
          f"{'peak MB':>8} {'resolve MB':>10}")
    rows: list[dict[str, Any]] = []
    for size in sizes:
        row = measure(size, args.years, INCREMENT if size == sizes[-1] else 0, args.timeout)
        if row is None:
            print(f"{size:8d}  gave up after {args.timeout:.0f} s")
            break
        rows.append(row)
        print(f"{row['reports']:8d} {row['attacks']:8d} {row['mean_size']:9.2f} (max {row['max_size']:2d})"
              f" {row['years']:6.1f} {row['seconds']:8.2f} {row['reports'] / row['seconds']:9.0f}"
              f" {row['peak_mb']:8.0f} {row['peak_mb'] - row['base_mb']:10.0f}", flush=True)
    if len(rows) < len(sizes):
        print(f"aim ({AIM_REPORTS:,} reports under {AIM_SECONDS:.0f} s, linear growth): NOT MET (a size timed out)")
        return
    small, large = rows[-2], rows[-1]
    scale = large["reports"] / small["reports"]
    time_ratio = large["seconds"] / small["seconds"]
    memory_ratio = (large["peak_mb"] - large["base_mb"]) / max(small["peak_mb"] - small["base_mb"], 1.0)
    print(f"growth {large['reports']:,}/{small['reports']:,} reports ({scale:.0f}x; linear is {scale:.0f}x): "
          f"time {time_ratio:.1f}x, resolution memory {memory_ratio:.1f}x, peak RSS "
          f"{large['peak_mb'] / small['peak_mb']:.1f}x")
    print(f"incremental: {INCREMENT:,} new reports into the {large['reports']:,}-report result: "
          f"{large['increment_seconds']:.2f} s ({large['increment_changed']} attacks changed, "
          f"{large['increment_attacks']:,} in all)")
    print(f"(synthetic reports varied from {large['templates']} events the rules model found in the bundled articles)")
    linear = time_ratio <= scale * LINEAR_SLACK
    if large["reports"] >= AIM_REPORTS:
        fast = large["seconds"] * AIM_REPORTS / large["reports"] < AIM_SECONDS
        met = "met" if fast and linear else "NOT MET"
        print(f"aim ({AIM_REPORTS:,} reports under {AIM_SECONDS:.0f} s, linear growth): {met} "
              f"({large['seconds']:.1f} s; time growth {time_ratio:.1f}x for {scale:.0f}x the reports)")
    else:
        print(f"aim ({AIM_REPORTS:,} reports under {AIM_SECONDS:.0f} s): not measured at this size; "
              f"time growth {time_ratio:.1f}x for {scale:.0f}x the reports: {'linear' if linear else 'NOT linear'}")


if __name__ == "__main__":
    main()
