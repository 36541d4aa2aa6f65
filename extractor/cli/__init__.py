"""The ``extractor`` command: parse options, call the library, print.

Every ``ExtractorError`` becomes one line on stderr and its exit code;
anything else is a bug and keeps its traceback.

Exit codes: 0 done; 1 some articles are invalid or failed at the model; 2 bad input or
settings (the other articles are still processed); 3 the run stopped on a
fatal model error (bad key, no quota, rate limited again and again); 4
--max-cost reached; 5 the output could not be written; 130 interrupted (Ctrl-C);
143 terminated (SIGTERM).
"""

from __future__ import annotations

import click

from extractor.cli.attacks import attacks, reconcile
from extractor.cli.batch import batch
from extractor.cli.cache import cache
from extractor.cli.evals import evals, score
from extractor.cli.extract import extract, prompts
from extractor.cli.models import models
from extractor.cli.options import handle_sigterm, quiet_library_loggers
from extractor.cli.runs import export, view


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="extractor")
def main() -> None:
    """Turn news articles about missile and drone strikes into validated events."""
    quiet_library_loggers()
    handle_sigterm()


for command in (extract, batch, evals, score, export, view, attacks, reconcile, prompts, cache, models):
    main.add_command(command)
