"""How fast the offline ``rules`` model reads articles on one core.

The target is "thousands of articles a minute"; this prints articles per
second and per minute over the bundled eval articles, and the ratio to 2,000
a minute. Run: ``python benchmarks/rules_speed.py [seconds]``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

from extractor.rules import extract_rules

TARGET_PER_MINUTE = 2000
DATASETS = Path(__file__).resolve().parent.parent / "evals" / "datasets"


def bundled_articles() -> list[tuple[str, dt.date | None]]:
    """Text and publication date of every bundled eval article."""
    articles: list[tuple[str, dt.date | None]] = []
    for path in sorted(DATASETS.glob("*/articles.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                published = record.get("published")
                articles.append((record["text"], dt.date.fromisoformat(published) if published else None))
    return articles


def measure(seconds: float) -> float:
    """Articles per second over at least ``seconds`` of repeated passes."""
    articles = bundled_articles()
    extract_rules(*articles[0])  # warm the caches: compiled patterns, data files
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for text, published in articles:
            extract_rules(text, published)
        done += len(articles)
    return done / (time.perf_counter() - start)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    per_second = measure(seconds)
    per_minute = per_second * 60
    print(f"articles/second: {per_second:.1f}")
    print(f"articles/minute: {per_minute:.0f}")
    print(f"ratio to target ({TARGET_PER_MINUTE}/min): {per_minute / TARGET_PER_MINUTE:.2f}x")


if __name__ == "__main__":
    main()
