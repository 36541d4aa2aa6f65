"""Where a local model's seconds go, per strategy: reading the prompt, writing the answer, the server's overhead.

Starts the managed llama.cpp server for ``local:qwen2.5-coder-1.5b`` (as a
run does) and, for each article of a dataset and each strategy, sends the
strategy's real request (the body a run sends) twice with the openai client:

- first as a run sends it, after the previous article's request, so that the
  system prompt is already in the server's cache as it is in a run;
- then the same request again: the server reuses the whole prompt it has just
  read, so this is the answer's generation and the request's overhead;
- and, once before the articles, a one-word prompt with ``max_tokens=1``:
  the request's own overhead.

Reading the prompt is the first time less the second; writing the answer is
the second less the overhead. It prints, per strategy, seconds an article
for each part with the prompt and answer tokens. Articles with nothing to ask
(``ask``) cost no request and count as 0. Run it alone: a second CPU job
slows the model many times.

    python benchmarks/local_time.py --dataset heldout2 --prompts ask figures --articles 6
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from extractor.evaluation.evals import as_article, load_dataset
from extractor.llm.catalogue import gguf_path
from extractor.llm.local import LocalServer
from extractor.llm.structured import request_body
from extractor.pipeline import Extractor
from extractor.settings import resolve_settings

MODEL = "local:qwen2.5-coder-1.5b"


def timed(client: Any, body: dict[str, Any], **changes: Any) -> tuple[float, int, int]:
    """Seconds, prompt tokens and answer tokens of one request."""
    started = time.perf_counter()
    response = client.chat.completions.create(**{**body, **changes})
    usage = response.usage
    return time.perf_counter() - started, usage.prompt_tokens, usage.completion_tokens


def measure(client: Any, extractor: Extractor, articles: list[Any], overhead: float) -> dict[str, float]:
    """Mean seconds and tokens an article for one strategy."""
    totals = {"prompt s": 0.0, "answer s": 0.0, "overhead s": 0.0, "prompt tokens": 0.0, "answer tokens": 0.0}
    answer_format = extractor.answer_format
    for article in articles:
        if answer_format.settled(article) is not None:
            continue
        question = extractor.question(article)
        body = request_body(extractor.settings, question.messages, answer_format, article)
        body["model"] = MODEL
        whole, prompt_tokens, answer_tokens = timed(client, body)
        again, _, _ = timed(client, body)
        totals["prompt s"] += whole - again
        totals["answer s"] += again - overhead
        totals["overhead s"] += overhead
        totals["prompt tokens"] += prompt_tokens
        totals["answer tokens"] += answer_tokens
    return {k: v / len(articles) for k, v in totals.items()}


def request_overhead(client: Any) -> float:
    """The median seconds of a one-word request with a one-token answer."""
    tiny = {"model": MODEL, "messages": [{"role": "user", "content": "Hi."}], "max_tokens": 1}
    times = sorted(timed(client, tiny)[0] for _ in range(5))
    return times[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="heldout2")
    parser.add_argument("--prompts", nargs="+", default=["ask", "figures"])
    parser.add_argument("--articles", type=int, default=6, help="The first N articles of the dataset.")
    args = parser.parse_args()
    from openai import OpenAI

    articles = [as_article(a) for a in load_dataset(args.dataset).articles.values()][: args.articles]
    server = LocalServer(gguf_path(MODEL), MODEL, resolve_settings(model=MODEL).cache_dir / "local-server.log")
    server.start()
    try:
        client = OpenAI(base_url=server.base_url, api_key="local", timeout=900)
        overhead = request_overhead(client)
        print(f"{args.dataset}, first {len(articles)} articles, seconds and tokens an article:")
        print("| strategy | reading the prompt | writing the answer | overhead | sum | prompt tokens | answer tokens |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for prompt in args.prompts:
            extractor = Extractor(resolve_settings(model=MODEL, prompt=prompt))
            row = measure(client, extractor, articles, overhead)
            total = row["prompt s"] + row["answer s"] + row["overhead s"]
            print(f"| {prompt} | {row['prompt s']:.1f} | {row['answer s']:.1f} | {row['overhead s']:.2f} | "
                  f"{total:.1f} | {row['prompt tokens']:,.0f} | {row['answer tokens']:,.0f} |", flush=True)
            asyncio.run(extractor.close())
    finally:
        server.stop()


if __name__ == "__main__":
    main()
