"""Time and peak memory of the offline ``rules`` model on one very long article: both must grow linearly.

Builds single articles of 1, 3, 10 and 30 MB from the bundled eval articles
(a 33 MB article once took 5 minutes and 1.8 GB), runs ``extract_rules`` on
each in a fresh child process, and prints seconds, peak resident memory,
and both per MB, so that a super-linear step shows as a growing ratio.

    python benchmarks/rules_scale.py              # 1, 3, 10, 30 MB
    python benchmarks/rules_scale.py --quick      # 0.25 and 1 MB (CI-sized)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from corpus import bundled

REPO = Path(__file__).resolve().parent.parent
CHILD = """
import datetime as dt, json, resource, sys, time
from extractor.rules import extract_rules
extract_rules("Russia launched 3 drones at Kyiv.", dt.date(2024, 11, 19))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
text = open(sys.argv[1], encoding="utf-8").read()
started = time.perf_counter()
events = extract_rules(text, dt.date(2024, 11, 19)).events
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "events": len(events), "base_mb": base,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def long_article(path: Path, megabytes: float) -> int:
    """One article of about ``megabytes`` MB: the bundled articles repeated, paragraphs kept."""
    texts = [record["text"] for record in bundled("seeds", "dev", "heldout2")]
    target = int(megabytes * 1_000_000)
    parts, size, index = [], 0, 0
    while size < target:
        piece = texts[index % len(texts)] + "\n\n"
        parts.append(piece)
        size += len(piece.encode("utf-8"))
        index += 1
    path.write_text("".join(parts), encoding="utf-8")
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 3, 10, 30])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [0.25, 1.0] if args.quick else args.sizes
    print("size MB   seconds    s/MB   s/MB vs smallest   peak MB   growth MB   growth per input MB   events")
    smallest: float | None = None
    for megabytes in sizes:
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "article.txt"
            size = long_article(path, megabytes) / 1_000_000
            done = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True,
                                  check=True, cwd=REPO)
        row = json.loads(done.stdout)
        per_mb = row["seconds"] / size
        smallest = smallest or per_mb
        growth = row["peak_mb"] - row["base_mb"]
        print(f"{size:7.2f}  {row['seconds']:8.2f}  {per_mb:6.2f}  {per_mb / smallest:16.2f}x  "
              f"{row['peak_mb']:8.0f}  {growth:10.0f}  {growth / size:20.1f}  {row['events']:7d}")

if __name__ == "__main__":
    main()
