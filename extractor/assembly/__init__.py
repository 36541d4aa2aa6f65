"""How a model's answer becomes codebook events, for answer formats other than the codebook's own.

A prompt says which format it asks for (``prompt.json``'s ``answer``). The
codebook format (``llm.structured.CODEBOOK``) is the ``Extraction`` itself;
``figures`` is a flat list of figures with quotes that code assembles, with
the offline model's gazetteer, date and number readers, into events
(``figures.assemble``), or merges into the offline model's own events
(``merge``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from extractor.errors import ConfigError


class FiguresFormat:
    """The figures answer format: asked for ``Figures``, assembled into codebook events, or merged
    into the offline model's events (``merge``)."""

    def __init__(self, merge: bool = False) -> None:
        self.merge = merge
        self.name = "figures+merge" if merge else "figures"

    @property
    def response_model(self) -> type[BaseModel]:
        from extractor.assembly.figures import Figures
        from extractor.llm.structured import checked

        return checked(Figures)

    def assemble(self, parsed: Any, question: Any) -> dict[str, Any]:
        from extractor.assembly.figures import assemble
        from extractor.assembly.merge import merge_into_rules

        if self.merge:
            return merge_into_rules(parsed, question.article)
        return assemble(parsed, question.article)


def answer_format(name: str, assembler: str | None = None) -> Any:
    """The answer format a prompt names, with the assembler it names."""
    from extractor.llm.structured import CODEBOOK

    if name == "codebook":
        return CODEBOOK
    if name == "figures":
        return FiguresFormat(merge=assembler == "merge")
    raise ConfigError(f"unknown answer format {name!r}; use codebook or figures")
