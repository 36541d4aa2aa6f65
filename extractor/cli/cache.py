"""``extractor cache info|clear``: where the answers are kept, and emptying them."""

from __future__ import annotations

from pathlib import Path

import click

from extractor.cli.options import cache_dir_option, cache_dir_or_default


@click.group()
def cache() -> None:
    """Inspect or clear the answer cache."""


@cache.command("info")
@cache_dir_option
def cache_info_command(cache_dir: Path | None) -> None:
    """Where the cache is, how many answers it holds, and its size."""
    from extractor.cache import cache_info

    info = cache_info(cache_dir_or_default(cache_dir))
    click.echo(f"directory: {info['directory']}\nentries: {info['entries']}\nbytes: {info['bytes']}")


@cache.command("clear")
@cache_dir_option
def cache_clear_command(cache_dir: Path | None) -> None:
    """Remove every cached answer."""
    from extractor.cache import clear_cache

    removed = clear_cache(cache_dir_or_default(cache_dir))
    click.echo(f"removed {removed} entries")
