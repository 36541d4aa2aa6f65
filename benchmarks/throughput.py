"""Throughput against the project's local OpenAI-compatible server, under two kinds of rate limiter.

The server answers every article after ``--latency`` seconds and allows
``--rpm`` requests a minute, enforced either as a token bucket holding one
second's worth, or as a strict sliding window (rpm/60 in any 1-second
window, Retry-After to the window's end: how providers quantize per-minute
limits). In one run this prints, for each limiter and each concurrency: the
tool's wall time with adaptive pacing (no --rpm) and with --rpm, the ideal
time that latency and limit allow, their ratio, and the share of requests
answered 429; then the ratio to a plain sequential instructor loop, the
tool's own overhead per article on a warm-cache rerun, and the time of
``import extractor`` and ``extractor --help``.

    python benchmarks/throughput.py                 # 300 articles, 300 ms, 1,200 rpm, concurrency 16 and 32
    python benchmarks/throughput.py --quick         # the CI-sized run
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from corpus import bundled  # noqa: E402
from fakeserver import FakeLLMServer, answer  # noqa: E402

from extractor.articles import Article  # noqa: E402
from extractor.prompting import load_prompt, render_messages  # noqa: E402
from extractor.run import run_extract  # noqa: E402
from extractor.schema import Extraction  # noqa: E402
from extractor.settings import resolve_settings  # noqa: E402


class ServerProcess:
    """A ``FakeLLMServer`` in a process of its own, as a provider is: in this process, the client's
    work would hold the GIL while the server stamps arrivals, and the limiter would count the
    client's own pauses as network jitter."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.control, child = multiprocessing.get_context("fork").Pipe()
        self.process = multiprocessing.get_context("fork").Process(target=self._serve, args=(child,), daemon=True)

    def _serve(self, control: Any) -> None:
        with FakeLLMServer(strict=False, **self.options) as server:
            control.send(server.base_url)
            while (command := control.recv()) != "stop":
                control.send(server.count() if command == "count" else server.reset())

    def __enter__(self) -> ServerProcess:
        self.process.start()
        self.base_url: str = self.control.recv()
        return self

    def count(self) -> int:
        self.control.send("count")
        return int(self.control.recv())

    def reset(self) -> None:
        self.control.send("reset")
        self.control.recv()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.control.send("stop")
        self.process.join(timeout=10)


def corpus(path: Path, count: int) -> list[Article]:
    """``count`` distinct articles made from the bundled seeds, written as JSONL."""
    seeds = bundled("seeds")
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


def run_tool(server: ServerProcess, inputs: Path, cache: Path, concurrency: int, rpm: float | None) -> tuple[float, dict[str, int]]:
    settings = resolve_settings(
        model="bench-model", base_url=server.base_url, cache_dir=cache, concurrency=concurrency, rpm=rpm,
    )
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out.jsonl"
        started = time.perf_counter()
        summary = run_extract([str(inputs)], settings, output=out, warn=lambda m: None)
        elapsed = time.perf_counter() - started
    return elapsed, summary.statuses


def run_sequential(server: ServerProcess, articles: list[Article]) -> float:
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


def ideal_time(limiter: str, articles: int, latency: float, rpm: float) -> float:
    """The fastest any client could go: the limit's pace, plus one request's latency."""
    per_second = rpm / 60
    if limiter == "bucket":  # a second's worth at once, then the refill rate
        return latency + max(0.0, articles - per_second) / per_second
    return latency + (articles - 1) // int(per_second)  # whole windows of rpm/60 each


def measure(limiter: str, concurrency: int, args: argparse.Namespace, scratch: Path) -> list[str]:
    """Adaptive and --rpm runs against one limiter: a line each."""
    burst = max(1, int(args.rpm // 60))
    ideal = ideal_time(limiter, args.articles, args.latency, args.rpm)
    lines = []
    for label, rpm in (("adaptive", None), (f"--rpm {args.rpm:.0f}", args.rpm)):
        with ServerProcess(latency=args.latency, rpm=int(args.rpm), burst=burst, responder=respond,
                           limiter=limiter) as server:
            inputs = scratch / f"articles-{limiter}-{concurrency}.jsonl"
            corpus(inputs, args.articles)
            elapsed, statuses = run_tool(server, inputs, scratch / f"cache-{limiter}-{concurrency}-{label}",
                                         concurrency, rpm)
            limited = server.count() - args.articles
            share = limited / server.count()
        lines.append(f"{limiter:6}  j={concurrency:<3} {label:10} {elapsed:7.2f} s   ideal {ideal:6.2f} s   "
                     f"ratio {elapsed / ideal:5.2f}x   429s {limited:4d} ({share:5.1%})   "
                     f"failed {args.articles - statuses['ok']}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--rpm", type=float, default=1200)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 32])
    parser.add_argument("--quick", action="store_true", help="CI-sized: 60 articles, 50 ms latency, concurrency 16")
    args = parser.parse_args()
    if args.quick:
        args.articles, args.latency, args.concurrency = 60, 0.05, [16]

    print(f"articles {args.articles}, latency {args.latency * 1000:.0f} ms, limit {args.rpm:.0f} rpm")
    with tempfile.TemporaryDirectory() as scratch:
        # A first small run before timing: the process's one-off costs (openai's lazy imports, about
        # 1 s; schemas built once) would otherwise be charged to whichever case runs first.
        with ServerProcess(responder=respond) as server:
            corpus(Path(scratch) / "warm-up.jsonl", 5)
            run_tool(server, Path(scratch) / "warm-up.jsonl", Path(scratch) / "cache-warm-up", 4, None)
        for limiter in ("bucket", "window"):
            for concurrency in args.concurrency:
                for line in measure(limiter, concurrency, args, Path(scratch)):
                    print(line, flush=True)
        with ServerProcess(latency=args.latency, responder=respond) as server:
            inputs = Path(scratch) / "articles.jsonl"
            articles = corpus(inputs, args.articles)
            adaptive, _ = run_tool(server, inputs, Path(scratch) / "cache-warm", max(args.concurrency), None)
            server.reset()
            warm, _ = run_tool(server, inputs, Path(scratch) / "cache-warm", max(args.concurrency), None)
            warm_requests = server.count()
            sequential = run_sequential(server, articles)
    import_s, help_s = startup_times()
    print(f"unlimited server, j={max(args.concurrency)}: {adaptive:7.2f} s; plain sequential instructor loop "
          f"{sequential:7.2f} s (tool {sequential / adaptive:4.1f}x faster)")
    print(f"warm-cache rerun: {warm:7.2f} s   {warm / args.articles * 1000:6.2f} ms per article   "
          f"requests {warm_requests}")
    print(f"import extractor: {import_s * 1000:.0f} ms   extractor --help: {help_s * 1000:.0f} ms")


if __name__ == "__main__":
    main()
