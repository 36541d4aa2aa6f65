"""The ``extractor`` command: parse options, call the library, print.

Every ``ExtractorError`` becomes one line on stderr and its exit code;
anything else is a bug and keeps its traceback.

Exit codes: 0 done; 1 some articles are invalid or failed at the model; 2 bad input or
settings (the other articles are still processed); 3 the run stopped on a
fatal model error (bad key, no quota, rate limited again and again); 4
--max-cost reached; 130 interrupted.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from extractor.cli_batch import batch
from extractor.cli_options import model_options, quiet_library_loggers, reports_errors, run_options, settings_from


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="extractor")
def main() -> None:
    """Turn news articles about missile and drone strikes into validated events."""
    quiet_library_loggers()


main.add_command(batch)


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@model_options
@run_options
@click.option("--published", help="Publication date (YYYY-MM-DD) for inputs that do not give one.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Append records here; a rerun resumes.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "json", "csv"]), default="jsonl", show_default=True)
@click.option("--retry-errors", is_flag=True, help="On resume, redo articles whose record is an error.")
@reports_errors
def extract(inputs: tuple[str, ...], published: str | None, output: Path | None, fmt: str,
            retry_errors: bool, **options: Any) -> None:
    """Extract attack events from INPUTS: .txt, .html, .jsonl files, directories, or - for stdin."""
    from extractor.articles import parse_date
    from extractor.run import run_extract

    date = parse_date(published, "--published")
    summary = run_extract(inputs, settings_from(options), output=output, fmt=fmt, published=date,
                          retry_errors=retry_errors)
    click.echo(summary.line(), err=True)
    sys.exit(summary.exit_code)


@main.command()
def prompts() -> None:
    """List the prompts and their versions."""
    from extractor.prompting import available_prompts, load_prompt

    for name in available_prompts():
        click.echo(f"{name}\t{load_prompt(name).version}")


@main.group()
def cache() -> None:
    """Inspect or clear the answer cache."""


@cache.command("info")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Cache directory. [env: EXTRACTOR_CACHE_DIR]")
def cache_info_command(cache_dir: Path | None) -> None:
    """Where the cache is, how many answers it holds, and its size."""
    from extractor.cache import cache_info
    from extractor.settings import default_cache_dir

    info = cache_info(cache_dir or default_cache_dir())
    click.echo(f"directory: {info['directory']}\nentries: {info['entries']}\nbytes: {info['bytes']}")


@cache.command("clear")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Cache directory. [env: EXTRACTOR_CACHE_DIR]")
def cache_clear_command(cache_dir: Path | None) -> None:
    """Remove every cached answer."""
    from extractor.cache import clear_cache
    from extractor.settings import default_cache_dir

    removed = clear_cache(cache_dir or default_cache_dir())
    click.echo(f"removed {removed} entries")


@main.command()
@click.argument("gold", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("pred", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--articles", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Article texts for the grounding rate. [default: articles.jsonl beside GOLD]")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@reports_errors
def score(gold: Path, pred: Path, articles: Path | None, fmt: str) -> None:
    """Score predictions PRED (extract's output records) against GOLD events."""
    import json

    from extractor.evals import score_report

    report = score_report(gold, pred, articles)
    if fmt == "json":
        scores = {k: v for k, v in report["runs"][0]["scores"].items() if k != "per_article"}
        click.echo(json.dumps(scores, indent=2))
        return
    from extractor.report import print_table

    print_table(report)


@main.command()
@click.option("--dataset", "-d", default="seeds", show_default=True,
              help="A dataset name under evals/datasets (seeds, dev) or a folder with articles.jsonl and gold.jsonl.")
@click.option("--model", "-m", "models", multiple=True, required=True,
              help="A model to evaluate (repeatable): any model name, 'rules', or file:PRED.jsonl.")
@click.option("--prompt", "-p", "prompts", multiple=True, help="A prompt to evaluate (repeatable). [default: default]")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write report.json, report.md and report.html here.")
@click.option("--prices", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON prices per million tokens, overriding the packaged table.")
@click.option("--base-url", help="OpenAI-compatible server URL. [env: OPENAI_BASE_URL]")
@click.option("--mode", type=click.Choice(["tools", "json_schema", "json", "md_json"]))
@click.option("--concurrency", "-j", type=int, default=4, show_default=True)
@click.option("--max-retries", type=int, default=2, show_default=True)
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Cache directory. [env: EXTRACTOR_CACHE_DIR]")
@click.option("--no-cache", is_flag=True)
@reports_errors
def evals(dataset: str, models: tuple[str, ...], prompts: tuple[str, ...], report_dir: Path | None,
          prices: Path | None, base_url: str | None, mode: str | None, concurrency: int, max_retries: int,
          cache_dir: Path | None, no_cache: bool) -> None:
    """Run MODELs (and prompts) over a gold dataset, score them and compare them."""
    from extractor.evals import run_evals
    from extractor.report import print_table, write_report
    from extractor.settings import RULES_MODEL, resolve_settings

    settings = resolve_settings(model=RULES_MODEL, base_url=base_url, mode=mode, cache_dir=cache_dir,
                                concurrency=concurrency, max_retries=max_retries, use_cache=not no_cache)
    report = run_evals(dataset, models, prompts or ("default",), settings, prices)
    print_table(report)
    if report_dir is not None:
        paths = write_report(report, report_dir)
        click.echo("wrote " + ", ".join(str(p) for p in paths.values()), err=True)
