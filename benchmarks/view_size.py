"""How big ``extractor view``'s page gets for a large run, and how soon headless Chromium shows it.

Builds a run of N articles (default 10,000) by repeating the bundled seed
articles' records from the offline ``rules`` model (each copy its own id and
a slightly different text), writes its page, and prints the file size, the
time to render the HTML in Python, and in headless Chromium: the time to
first contentful paint and the time until the page's script has run (the
filters work), both from navigation start as the page itself measures them,
the same with a filter and a late page in the address (``?status=ok&page=50``
for 10,000), and the wall time of the whole Chromium run (most of which, for a large
page, is ``--dump-dom`` serialising it). Run:
``python benchmarks/view_size.py [articles]`` (``--quick``: 1,000).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus import bundled

from extractor.api import extract_many
from extractor.output.sqlite import ArticleInfo
from extractor.output.stored import StoredRun
from extractor.report.view import render_view, run_view


def seed_run(copies: int) -> StoredRun:
    """``copies`` articles: the seed records again and again, each copy with its own id and first line."""
    seeds = bundled("seeds")
    results = {r.id: r for r in extract_many(seeds, model="rules", use_cache=False)}
    run = StoredRun({})
    for number in range(copies):
        seed = seeds[number % len(seeds)]
        key = f"{seed['id']}-{number}"
        run.records[key] = results[seed["id"]].to_record().model_copy(update={"id": key})
        run.articles[key] = ArticleInfo(seed.get("title"), seed.get("url"), seed.get("source"), seed.get("published"),
                                        f"Copy {number}.\n{seed['text']}")
    return run


def chromium_timings(page: Path, profile: Path, query: str = "") -> dict[str, float]:
    """First contentful paint and script-ready times (ms from navigation start), and the run's wall seconds."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    started = time.perf_counter()
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--dump-dom", page.as_uri() + query],
        capture_output=True, text=True, timeout=600, check=True,
    )
    wall = time.perf_counter() - started
    head = done.stdout[:2000]
    found = {name: re.search(rf'data-{name}-ms="(\d+)"', head) for name in ("first-paint", "ready")}
    return {"wall": wall, **{name: float(m.group(1)) if m else float("nan") for name, m in found.items()}}


def main() -> None:
    count = 1000 if "--quick" in sys.argv else int(next((a for a in sys.argv[1:] if a.isdigit()), 10_000))
    run = seed_run(count)
    started = time.perf_counter()
    html = render_view(run_view(f"{count} articles", run))
    render_seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "view.html"
        page.write_text(html, encoding="utf-8")
        size = page.stat().st_size
        chromium_timings(page, Path(folder) / "profile")  # a first start warms the disk cache and the profile
        timings = chromium_timings(page, Path(folder) / "profile")
        # A filter over every article, and a late page of it parsed from its data blocks.
        later = chromium_timings(page, Path(folder) / "profile", f"?status=ok&page={max(1, count // 200)}")
    marks = html.count("<mark ")
    print(f"articles: {count:,}")
    print(f"page size: {size / 1e6:.1f} MB ({size / count / 1e3:.1f} kB per article, {marks:,} marks)")
    print(f"render in Python: {render_seconds:.1f} s")
    print(f"Chromium first contentful paint: {timings['first-paint'] / 1000:.2f} s after navigation start")
    print(f"Chromium script ready (filters work): {timings['ready'] / 1000:.2f} s after navigation start")
    print(f"Chromium script ready on page {max(1, count // 200)} of a status filter: {later['ready'] / 1000:.2f} s")
    print(f"Chromium wall time (start, load, then --dump-dom serialising the whole page, exit): {timings['wall']:.1f} s")


if __name__ == "__main__":
    main()
