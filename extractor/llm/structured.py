"""The one place that calls instructor: a structured answer, validated against the article.

Live calls and batch answers both come through ``structured_answer``: the same
patched create, the same response model, the same checks, the same failure
translation, so a batch answer passes exactly the checks a live one does.

Why one ContextVar lives here. The checks (evidence in the article, no
instructions repeated) are pydantic validation context, and instructor takes
a validation context only as ``context=``; but given any ``context``, its
patched create renders every message as a Jinja template before sending
(``instructor/v2/core/patch.py``: ``handle_templating``), so an article holding
``{{`` or ``{%`` would reach the model altered, or fail to render. So the
checks are set in ``_CHECKS`` for the duration of one patched call and read by
the two validate methods of the ``checked`` response models, the ones
instructor's OpenAI parsers call, which pass them on to pydantic as an
explicit context. Nothing
else reads it: every other validation (cache hits, the rules model, tests)
gets its checks as an argument (``grounding.validate_extraction``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from extractor.articles import Article
from extractor.errors import InvalidOutputError, ModelError
from extractor.grounding import ArticleChecks, validate_extraction
from extractor.llm.failures import translate_failure, truncation_error, validation_messages
from extractor.schema import Extraction
from extractor.settings import Settings
from extractor.usage import Usage

Message = dict[str, str]
Create = Callable[..., Awaitable[Any]]

_CHECKS: ContextVar[ArticleChecks | None] = ContextVar("extractor_answer_checks", default=None)


Model = TypeVar("Model", bound=BaseModel)


@cache
def checked(model: type[Model]) -> type[Model]:
    """``model`` as instructor parses it: validated with the checks of the call in progress.

    The subclass keeps the title and docstring of ``model``, so the schema, the
    tool name and the request body the model sees are those of ``model``.
    """

    from instructor import OpenAISchema

    # Already an OpenAISchema, so instructor uses the class as it is instead of deriving a new
    # pydantic class from it on every call (about 5 ms of the event loop each time).
    class Checked(model, OpenAISchema):  # type: ignore[valid-type,misc]
        __doc__ = model.__doc__
        model_config = ConfigDict(title=model.__name__)

        @classmethod
        def model_validate_json(cls, json_data: Any, *, context: Any = None, **kwargs: Any) -> Any:
            return super().model_validate_json(json_data, context=context or _context(), **kwargs)

        @classmethod
        def model_validate(cls, obj: Any, *, context: Any = None, **kwargs: Any) -> Any:
            return super().model_validate(obj, context=context or _context(), **kwargs)

        @classmethod
        def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
            # instructor asks for the schema on every call; building it holds the event loop for
            # about 5 ms, which delays the sends of every other request waiting for its slot
            key = (cls, args, tuple(sorted(kwargs.items())))
            if key not in _SCHEMAS:
                _SCHEMAS[key] = BaseModel.model_json_schema.__func__(cls, *args, **kwargs)  # type: ignore[attr-defined]
            return copy.deepcopy(_SCHEMAS[key])

    Checked.__name__ = Checked.__qualname__ = f"Checked{model.__name__}"
    return Checked


_SCHEMAS: dict[tuple[Any, ...], dict[str, Any]] = {}


def _context() -> dict[str, Any] | None:
    checks = _CHECKS.get()
    return None if checks is None else checks.context


CheckedExtraction = checked(Extraction)


class AnswerFormat(Protocol):
    """What the model is asked to fill, and how its answer becomes codebook events.

    The codebook format asks for ``Extraction`` itself; others ask for
    something a small model fills more reliably and assemble the events in
    code (``extractor.assembly``). What the model said is what is cached;
    the events are assembled from it on every read, so a better assembler
    re-reads cached answers without asking the model again.
    """

    name: str
    #: Whether the prompt holds the article (so its size, and a long article's parts, follow the text).
    reads_article: bool

    @property
    def response_model(self) -> type[BaseModel]: ...

    def assemble(self, parsed: Any, question: Question) -> dict[str, Any]: ...

    def settled(self, article: Article) -> dict[str, Any] | None:
        """The answer without asking, when the article leaves nothing to ask; None: ask."""

    def answer_tokens(self, article: Article) -> int | None:
        """The most tokens a whole answer about this article needs (a bound on a model that loops); None: the
        settings' ``max_tokens``."""

    def fallback(self, article: Article) -> dict[str, Any] | None:
        """The answer that stands when the model's is unusable (cut off, or invalid after its re-asks); None:
        the article fails."""


class ArticleFormat:
    """What an answer format that sends the whole article has in common: the model is always asked,
    its answer bounded only by the settings, and an unusable answer fails the article."""

    reads_article = True

    def settled(self, article: Article) -> dict[str, Any] | None:
        return None

    def answer_tokens(self, article: Article) -> int | None:
        return None

    def fallback(self, article: Article) -> dict[str, Any] | None:
        return None


class CodebookFormat(ArticleFormat):
    """The codebook's ``Extraction``, asked for directly."""

    name = "codebook"
    response_model: type[BaseModel] = CheckedExtraction

    def assemble(self, parsed: Any, question: Question) -> dict[str, Any]:
        return dict(parsed.model_dump(mode="json"))


def answer_from(said: dict[str, Any], question: Question, usage: Usage, mode: str | None = None) -> ModelAnswer:
    """A stored answer (what the model said) read as a fresh one is: validated, assembled, validated again."""
    from pydantic import ValidationError

    model = question.answer_format.response_model
    try:
        parsed = model.model_validate(said, context=question.checks.context)
    except ValidationError as exc:
        raise InvalidOutputError("the stored answer no longer validates", errors=validation_messages(exc),
                                 usage=usage) from exc
    return _assembled(parsed, question, usage, mode)


CODEBOOK = CodebookFormat()


@dataclass(frozen=True)
class Question:
    """What a source of answers is asked for one article: the pipeline's one request."""

    article: Article
    messages: list[Message]
    checks: ArticleChecks
    cache_key: str
    answer_format: AnswerFormat = field(default_factory=lambda: CODEBOOK)

    @property
    def article_id(self) -> str:
        return self.article.id


@dataclass
class ModelAnswer:
    """Validated events, what the model said (its answer format's JSON: what is cached), what it cost,
    the mode it came in, and whether it may be cached."""

    extraction: Extraction
    answer: dict[str, Any]
    usage: Usage = field(default_factory=Usage)
    cacheable: bool = True
    mode: str | None = None
    dropped_figures: int = 0  # figures the answer gave that no codebook slot holds, dropped at assembly
    note: str | None = None  # why the answer format's fallback stands instead of the model's answer


def instructor_mode(name: str) -> Any:
    import instructor

    return {
        "tools": instructor.Mode.TOOLS,
        "json_schema": instructor.Mode.JSON_SCHEMA,
        "json": instructor.Mode.JSON,
        "md_json": instructor.Mode.MD_JSON,
    }[name]


def completion_kwargs(settings: Settings, messages: list[Message], bound: int | None = None) -> dict[str, Any]:
    """The arguments every structured call gives instructor, besides the response model; ``bound`` is the
    answer format's own bound on the answer's tokens, when it has one (``AnswerFormat.answer_tokens``)."""
    max_tokens = settings.max_tokens if bound is None else min(settings.max_tokens or bound, bound)
    return {
        "model": settings.model,
        "messages": messages,
        "temperature": settings.temperature,
        "max_tokens": max_tokens,
    }


async def structured_answer(
    create: Create, settings: Settings, question: Question, *, usage: Usage, max_retries: Any,
    messages: list[Message] | None = None,
) -> ModelAnswer:
    """A validated extraction from ``create`` (a server, or a stored completion), or a ModelError.

    ``usage`` is counted by ``create`` as responses arrive; ``max_retries`` is
    instructor's re-ask policy (a number, or a tenacity AsyncRetrying);
    ``messages`` replace the question's (a stored answer needs none).
    """
    import instructor

    answer_format = question.answer_format
    patched: Any = instructor.patch(create=create, mode=instructor_mode(settings.mode))
    kwargs = completion_kwargs(settings, question.messages if messages is None else messages,
                               answer_format.answer_tokens(question.article))
    token = _CHECKS.set(question.checks)
    try:
        parsed = await patched(response_model=answer_format.response_model, max_retries=max_retries, **kwargs)
    except instructor.core.exceptions.IncompleteOutputException as exc:
        raise truncation_error(usage) from exc
    except instructor.core.exceptions.InstructorRetryException as exc:
        raise translate_failure(exc, usage) from exc
    except ModelError as exc:
        exc.usage = usage
        raise
    finally:
        _CHECKS.reset(token)
    return _assembled(parsed, question, usage)


def _assembled(parsed: Any, question: Question, usage: Usage, mode: str | None = None) -> ModelAnswer:
    """The codebook events of a parsed answer, validated against the article as every answer is."""
    from pydantic import ValidationError

    try:
        # An assembler builds the codebook's models as it merges, so it can fail validation as the check can.
        events = question.answer_format.assemble(parsed, question)
        extraction = validate_extraction(events, question.checks)
    except ValidationError as exc:
        raise InvalidOutputError(f"the {question.answer_format.name} answer did not assemble into valid events",
                                 errors=validation_messages(exc), usage=usage) from exc
    return ModelAnswer(extraction, parsed.model_dump(mode="json"), usage, mode=mode,
                       dropped_figures=int(getattr(parsed, "dropped_figures", 0)))


class _Captured(BaseException):
    """Carries the request instructor prepared out of the patched create (not an Exception,
    so that no retry layer mistakes it for a failed call)."""

    def __init__(self, kwargs: dict[str, Any]) -> None:
        super().__init__()
        self.kwargs = kwargs


def request_body(settings: Settings, messages: list[Message], answer_format: AnswerFormat = CODEBOOK,
                 article: Article | None = None) -> dict[str, Any]:
    """The chat completion body instructor sends for these messages in the settings' mode.

    Taken from instructor itself: the patched create is called with a create
    that captures its arguments and goes no further, so a batch line is byte
    for byte what a live call in the same mode sends (tools, response_format,
    schema instructions), through instructor's public API only.
    """
    import instructor

    def capture(**kwargs: Any) -> Any:
        raise _Captured(kwargs)

    patched: Any = instructor.patch(create=capture, mode=instructor_mode(settings.mode))
    try:
        bound = answer_format.answer_tokens(article) if article is not None else None
        patched(response_model=answer_format.response_model, max_retries=0,
                **completion_kwargs(settings, messages, bound))
    except _Captured as captured:
        # A JSON round trip gives the body exactly as the openai client serialises it.
        return dict(json.loads(json.dumps(captured.kwargs)))
    raise AssertionError("instructor sent no request")  # pragma: no cover - capture always raises
