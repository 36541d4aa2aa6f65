"""How a model's answer becomes codebook events, for answer formats other than the codebook's own.

A prompt says which format it asks for (``prompt.json``'s ``answer``). The
codebook format (``llm.structured.CODEBOOK``) is the ``Extraction`` itself;
``figures`` is a flat list of figures with quotes that code assembles, with
the offline model's gazetteer, date and number readers, into events.
"""

from __future__ import annotations

from typing import Any

from extractor.errors import ConfigError


def answer_format(name: str) -> Any:
    """The answer format a prompt names."""
    from extractor.llm.structured import CODEBOOK

    if name == "codebook":
        return CODEBOOK
    if name == "figures":
        from extractor.assembly.figures import FiguresFormat

        return FiguresFormat()
    raise ConfigError(f"unknown answer format {name!r}; use codebook or figures")
