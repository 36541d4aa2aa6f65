"""The real-model evals: the offline model and each prompt strategy of a local model, on the gold datasets.

Runs ``extractor evals`` (the library call behind it) for ``rules`` and for
``local:qwen2.5-coder-1.5b`` with each ``--prompt`` over each dataset,
writes each report to ``--out/DATASET/``, and prints one table: slot F1 with
its 95% interval, event F1, validity, facts per article against gold, the
share of empty events, seconds and tokens per article. On 2 cores the
default (two unseen sets, three strategies) takes about 40 minutes; run it
alone (a second CPU job slows the model many times).

    python benchmarks/real_model_evals.py --out real-evals/
    python benchmarks/real_model_evals.py --datasets dev seeds --prompts ask default
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from extractor.evaluation.evals import run_evals
from extractor.evaluation.results import EvalReport, RunReport
from extractor.report import write_report
from extractor.settings import RULES_MODEL, resolve_settings

MODEL = "local:qwen2.5-coder-1.5b"


def row(dataset: str, run: RunReport) -> str:
    slots, tokens, coverage = run.scores.slots, run.tokens, run.coverage
    ci = f"[{slots.ci95[0]:.3f}, {slots.ci95[1]:.3f}]" if slots.ci95 else "-"
    articles = run.scores.articles
    prompt, answer = (tokens.prompt / articles, tokens.completion / articles) if tokens else (0, 0)
    empty = f"{coverage.empty_share:.0%}" if coverage.empty_share is not None else "-"
    seconds = f"{run.seconds_per_article:.1f}" if run.seconds_per_article is not None else "-"
    return (f"| {dataset} | {run.label} | {slots.f1 or 0:.3f} {ci} | {run.scores.events.f1 or 0:.3f} | "
            f"{run.scores.validity_rate or 0:.0%} | {coverage.facts_per_article or 0:.1f} "
            f"({coverage.gold_facts_per_article or 0:.1f}) | {empty} | {seconds} | {prompt:,.0f} / {answer:,.0f} |")


def main() -> None:
    import logging

    logging.getLogger("instructor").setLevel(logging.CRITICAL)  # every failure is in its record already
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["heldout2", "heldout3"])
    parser.add_argument("--prompts", nargs="+", default=["ask", "figures", "merge"])
    parser.add_argument("--out", type=Path, default=Path("real-evals"))
    parser.add_argument("--cache-dir", type=Path, help="Answer cache (default: the user cache): reruns are free.")
    args = parser.parse_args()
    lines = ["| dataset | run | slot F1 (95% interval) | event F1 | valid | facts/article (gold) | empty events "
             "| s/article | prompt / answer tokens an article |", "|---|---|---|---|---|---|---|---|---|"]
    for dataset in args.datasets:
        started = time.perf_counter()
        settings = resolve_settings(model=RULES_MODEL, cache_dir=args.cache_dir)
        report: EvalReport = run_evals(dataset, [RULES_MODEL, MODEL], args.prompts, settings)
        write_report(report, args.out / dataset)
        lines += [row(dataset, run) for run in report.runs]
        print(f"{dataset}: {time.perf_counter() - started:.0f} s", flush=True)
        print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
