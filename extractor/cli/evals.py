"""``extractor evals`` and ``extractor score``: models scored against hand-labelled gold events."""

from __future__ import annotations

from pathlib import Path

import click

from extractor.cli.options import (
    base_url_option,
    cache_dir_option,
    chunk_tokens_option,
    concurrency_option,
    max_retries_option,
    mode_option,
    no_cache_option,
    prices_option,
    reports_errors,
    timeout_option,
)


@click.command()
@click.argument("gold", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("pred", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--articles", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Article texts for the grounding rate. [default: articles.jsonl beside GOLD]")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@reports_errors
def score(gold: Path, pred: Path, articles: Path | None, fmt: str) -> None:
    """Score predictions PRED (extract's output: JSONL, or its SQLite database) against GOLD events."""
    from extractor.evaluation.evals import score_report

    report = score_report(gold, pred, articles)
    if fmt == "json":
        click.echo(report.runs[0].scores.model_dump_json(indent=2, exclude={"per_article"}))
        return
    from extractor.report import print_table

    print_table(report)


@click.command()
@click.option("--dataset", "-d", default="seeds", show_default=True,
              help="A dataset name (seeds, dev, heldout, heldout2, heldout3, attacks) or a folder with articles.jsonl and gold.jsonl.")
@click.option("--model", "-m", "models", multiple=True, required=True,
              help="A model to evaluate (repeatable): any model name, 'rules', or file:PRED.jsonl (or file:RUN.db).")
@click.option("--prompt", "-p", "prompts", multiple=True, help="A prompt to evaluate (repeatable). [default: default]")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write report.json, report.md and report.html here.")
@prices_option
@base_url_option
@mode_option
@timeout_option
@concurrency_option
@max_retries_option
@cache_dir_option
@no_cache_option
@chunk_tokens_option
@reports_errors
def evals(dataset: str, models: tuple[str, ...], prompts: tuple[str, ...], report_dir: Path | None,
          prices_path: Path | None, base_url: str | None, mode: str | None, timeout: float | None,
          concurrency: int, max_retries: int, cache_dir: Path | None, no_cache: bool,
          chunk_tokens: int | None) -> None:
    """Run MODELs (and prompts) over a gold dataset, score them and compare them."""
    from extractor.evaluation.evals import run_evals
    from extractor.report import print_table, write_report
    from extractor.settings import RULES_MODEL, resolve_settings

    settings = resolve_settings(model=RULES_MODEL, base_url=base_url, mode=mode, cache_dir=cache_dir, timeout=timeout,
                                concurrency=concurrency, max_retries=max_retries, use_cache=not no_cache,
                                chunk_tokens=chunk_tokens)
    report = run_evals(dataset, models, prompts or ("default",), settings, prices_path)
    print_table(report)
    if report_dir is not None:
        paths = write_report(report, report_dir)
        click.echo("wrote " + ", ".join(str(p) for p in paths.values()), err=True)
