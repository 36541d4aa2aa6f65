"""Peak memory of a large JSONL run through the offline model: it must not grow with the input.

Runs ``extractor extract BIG.jsonl --model rules --output OUT`` in a child
process for a small and a large corpus (the large ten times the small) and
prints each peak resident set size, their ratio (about 1.0 when the run
streams), and articles per second.

    python benchmarks/memory.py                     # 10,000 and 100,000 articles
    python benchmarks/memory.py --quick             # 200 and 2,000 (CI-sized)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus import bundled

REPO = Path(__file__).resolve().parent.parent


def write_corpus(path: Path, count: int) -> None:
    """``count`` distinct records cycled from the bundled articles, written as a stream."""
    sources = bundled("seeds", "dev")
    with path.open("w", encoding="utf-8") as handle:
        for index in range(count):
            record = sources[index % len(sources)]
            handle.write(json.dumps({**record, "id": f"a{index:07d}", "text": f"Report {index}. {record['text']}"}) + "\n")


def peak_rss(count: int, scratch: Path) -> tuple[float, float]:
    """Peak RSS in MiB of one extract run over ``count`` articles, and its wall time."""
    corpus = scratch / f"corpus-{count}.jsonl"
    write_corpus(corpus, count)
    out = scratch / f"out-{count}.jsonl"
    command = [sys.executable, "-m", "extractor", "extract", str(corpus), "--model", "rules", "-o", str(out)]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"extract exited with status {status} on {count} articles")
    with out.open(encoding="utf-8") as handle:
        lines = sum(1 for _ in handle)
    if lines != count:
        raise SystemExit(f"expected {count} records, found {lines}")
    corpus.unlink()
    return usage.ru_maxrss / 1024, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000, help="the large corpus")
    parser.add_argument("--quick", action="store_true", help="CI-sized: 2,000 articles")
    args = parser.parse_args()
    large = 2_000 if args.quick else args.articles
    small = max(1, large // 10)
    with tempfile.TemporaryDirectory() as scratch:
        small_mib, small_s = peak_rss(small, Path(scratch))
        large_mib, large_s = peak_rss(large, Path(scratch))
    print(f"{small:>8} articles: peak RSS {small_mib:7.1f} MiB   {small / small_s:6.1f} articles/s")
    print(f"{large:>8} articles: peak RSS {large_mib:7.1f} MiB   {large / large_s:6.1f} articles/s")
    print(f"peak memory ratio, {large // small}x the input: {large_mib / small_mib:.2f}x")


if __name__ == "__main__":
    main()
