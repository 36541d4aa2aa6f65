"""Throughput against the project's local OpenAI-compatible server.

The server answers every article after ``--latency`` seconds and allows
``--rpm`` requests a minute (a bucket holding one second's worth). In one run
this prints: the tool's wall time, the ideal time that latency and limit
allow, their ratio, the ratio to a plain sequential instructor loop over the
same articles, the tool's own overhead per article on a warm-cache rerun, and
the time of ``import extractor`` and ``extractor --help``.

    python benchmarks/throughput.py                 # 500 articles, 300 ms, 1,200 rpm
    python benchmarks/throughput.py --quick         # the CI-sized run
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from fakeserver import FakeLLMServer, answer  # noqa: E402

from extractor.articles import Article  # noqa: E402
from extractor.prompting import load_prompt, render_messages  # noqa: E402
from extractor.run import run_extract  # noqa: E402
from extractor.schema import Extraction  # noqa: E402
from extractor.settings import resolve_settings  # noqa: E402


def corpus(path: Path, count: int) -> list[Article]:
    """``count`` distinct articles made from the bundled seeds, written as JSONL."""
    seeds = [json.loads(line) for line in (REPO / "evals/datasets/seeds/articles.jsonl").open()]
    articles = []
    with path.open("w", encoding="utf-8") as handle:
        for index in range(count):
            seed = seeds[index % len(seeds)]
            record = {"id": f"a{index:06d}", "text": f"Report {index}. {seed['text']}", "published": seed["published"]}
            handle.write(json.dumps(record) + "\n")
            articles.append(Article(id=record["id"], text=record["text"]))
    return articles


def respond(body: dict[str, Any]) -> Any:
    """A valid, grounded answer: the article's first words as a killed figure's evidence."""
    content = body["messages"][-1]["content"]
    text = content.split("<<<ARTICLE\n", 1)[1]
    evidence = text[:40]
    event = {
        "role": "main", "attacker": "Russia", "target_country": "Ukraine", "date": None, "date_text": None,
        "weapons": [], "killed": {"value": 1, "qualifier": "exact", "source": None, "evidence": evidence},
        "injured": None, "places": [], "damage": [], "summary": "A strike.",
    }
    return answer({"events": [event]}, usage=(3000, 200))


def run_tool(server: FakeLLMServer, inputs: Path, cache: Path, concurrency: int, rpm: float | None) -> tuple[float, dict[str, int]]:
    settings = resolve_settings(
        model="bench-model", base_url=server.base_url, cache_dir=cache, concurrency=concurrency, rpm=rpm,
    )
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out.jsonl"
        started = time.perf_counter()
        summary = run_extract([str(inputs)], settings, output=out, warn=lambda m: None)
        elapsed = time.perf_counter() - started
    return elapsed, summary.statuses


def run_sequential(server: FakeLLMServer, articles: list[Article]) -> float:
    """The plain loop a user would write: one instructor call after another."""
    import instructor
    import openai

    client = instructor.from_openai(openai.OpenAI(base_url=server.base_url, api_key="k"), mode=instructor.Mode.TOOLS)
    prompt = load_prompt("default")
    started = time.perf_counter()
    for article in articles:
        client.chat.completions.create(
            model="bench-model", response_model=Extraction, messages=render_messages(prompt, article),  # type: ignore[arg-type]
            temperature=0, max_retries=2,
        )
    return time.perf_counter() - started


def startup_times() -> tuple[float, float]:
    def best(command: list[str]) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times.append(time.perf_counter() - started)
        return min(times)

    return best([sys.executable, "-c", "import extractor"]), best([sys.executable, "-m", "extractor", "--help"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--rpm", type=float, default=1200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="CI-sized: 60 articles, 50 ms latency")
    args = parser.parse_args()
    if args.quick:
        args.articles, args.latency = 60, 0.05
    burst = max(1, int(args.rpm // 60))
    ideal = args.latency + max(0, args.articles - burst) / (args.rpm / 60)

    with tempfile.TemporaryDirectory() as scratch, FakeLLMServer(
        latency=args.latency, rpm=int(args.rpm), burst=burst, responder=respond
    ) as server:
        inputs = Path(scratch) / "articles.jsonl"
        articles = corpus(inputs, args.articles)
        adaptive, statuses = run_tool(server, inputs, Path(scratch) / "cache-a", args.concurrency, None)
        limited_429 = server.count() - args.articles
        server.reset()
        paced, paced_statuses = run_tool(server, inputs, Path(scratch) / "cache-b", args.concurrency, args.rpm)
        paced_429 = server.count() - args.articles
        server.reset()
        warm, _ = run_tool(server, inputs, Path(scratch) / "cache-a", args.concurrency, None)
        warm_requests = server.count()
        server.budget = None  # the sequential loop never reaches the limit; keep it honest about latency only
        sequential = run_sequential(server, articles)
    import_s, help_s = startup_times()

    failed = args.articles - statuses["ok"]
    print(f"articles {args.articles}, latency {args.latency * 1000:.0f} ms, limit {args.rpm:.0f} rpm "
          f"(burst {burst}), concurrency {args.concurrency}")
    print(f"ideal time (limit and latency):          {ideal:8.2f} s")
    print(f"tool, adaptive (no --rpm):               {adaptive:8.2f} s   ratio to ideal {adaptive / ideal:5.2f}x   "
          f"429s {limited_429}   failed {failed}")
    print(f"tool, paced with --rpm {args.rpm:.0f}:            {paced:8.2f} s   ratio to ideal {paced / ideal:5.2f}x   "
          f"429s {paced_429}   failed {args.articles - paced_statuses['ok']}")
    print(f"plain sequential instructor loop:        {sequential:8.2f} s   tool is {sequential / adaptive:5.1f}x faster")
    print(f"warm-cache rerun:                        {warm:8.2f} s   {warm / args.articles * 1000:6.2f} ms per article   "
          f"requests {warm_requests}")
    print(f"import extractor: {import_s * 1000:.0f} ms   extractor --help: {help_s * 1000:.0f} ms")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
