"""How a model's answer becomes codebook events, for answer formats other than the codebook's own.

A strategy (``extractor.strategies``) says which format it asks for and which
assembler reads it. The codebook format (``llm.structured.CODEBOOK``) is the
``Extraction`` itself;
``figures`` is a flat list of figures with quotes that code assembles, with
the offline model's gazetteer, date and number readers, into events
(``figures.assemble``), or merges into the offline model's own events
(``merge``); ``answers`` is one closed answer per count the offline model
left unread, added to its events (``ask``).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from extractor.articles import Article
from extractor.errors import ConfigError
from extractor.llm.structured import ArticleFormat

if TYPE_CHECKING:
    from extractor.llm.structured import AnswerFormat
    from extractor.schema import Extraction


@lru_cache(maxsize=16)
def offline_reading(text: str, published: dt.date | None) -> Extraction:
    """The offline model's events for an article, read once: the draft prompt, the figures
    assembler and the merge each need them, and a cached answer is re-assembled on every read.
    Shared: callers copy (``model_dump``) before changing anything."""
    from extractor.rules import extract_rules

    return extract_rules(text, published)


class FiguresFormat(ArticleFormat):
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


class AnswersFormat:
    """The answers format of the ``ask`` strategy: one closed answer per count the offline model left
    unread, added to the offline model's events. The prompt shows those counts' sentences, not the article."""

    name = "answers"
    reads_article = False

    @property
    def response_model(self) -> type[BaseModel]:
        from extractor.assembly.ask import Answers
        from extractor.llm.structured import checked

        return checked(Answers)

    def assemble(self, parsed: Any, question: Any) -> dict[str, Any]:
        from extractor.assembly.ask import assemble_answers

        return assemble_answers(parsed, question.article)

    def settled(self, article: Article) -> dict[str, Any] | None:
        """The answer when there is nothing to ask (every count read by the offline model, or no offline
        event for an answer to join): no request."""
        from extractor.assembly.ask import questions_of

        if questions_of(article.text, article.published).candidates and offline_reading(
                article.text, article.published).events:
            return None
        return {"answers": {}}

    def fallback(self, article: Article) -> dict[str, Any] | None:
        """No answers: the offline model's events stand when the model's answer is unusable."""
        return {"answers": {}}

    def answer_tokens(self, article: Article) -> int | None:
        """About ten tokens an answer (``"12": "intercepted",``) and the braces around them: a small model
        caught in a loop stops there instead of at the settings' bound (minutes on a CPU)."""
        from extractor.assembly.ask import ANSWER_TOKENS, questions_of

        return 32 + ANSWER_TOKENS * len(questions_of(article.text, article.published).candidates)


def answer_format(name: str, assembler: str | None = None) -> AnswerFormat:
    """The answer format a strategy names, with the assembler it names."""
    from extractor.llm.structured import CODEBOOK

    if name == "codebook":
        return CODEBOOK
    if name == "figures":
        return FiguresFormat(merge=assembler == "merge")
    if name == "answers":
        return AnswersFormat()
    raise ConfigError(f"unknown answer format {name!r}; use codebook, figures or answers")


def shown_values(answer: str, draft: bool, article: Article) -> dict[str, str | None]:
    """What a strategy's templates show besides the article: the offline model's draft, or the questions."""
    from extractor.assembly.ask import questions_of
    from extractor.assembly.draft import draft_of

    questions = questions_of(article.text, article.published).render(article.text) if answer == "answers" else None
    return {"draft": draft_of(article.text, article.published) if draft else None, "questions": questions}
