"""One batch output line -> a validated answer, or the ModelError an interactive call would raise.

A batch answer must pass exactly the checks a live answer passes, so it is
not parsed here: the stored chat completion is handed to instructor, patched
for the same mode, as if the server had just returned it. Instructor's
response parser then validates the same ``Extraction`` (strict, with every
figure's evidence checked against the article) and its failures go through
the same ``translate_failure`` as live calls. There are no re-asks here
(``max_retries=0``): a batch has one attempt, and ``collect --requeue``
gives failures the live pipeline with its re-asks.
"""

from __future__ import annotations

from typing import Any

from extractor.batch_requests import completion_kwargs
from extractor.errors import ContextLengthError, ModelError, TransportError
from extractor.grounding import evidence_checked_against
from extractor.llm import ModelAnswer, Usage, instructor_mode, refusal_error, translate_failure, truncation_error
from extractor.schema import Extraction
from extractor.settings import Settings


class CompletionReader:
    """Validates stored chat completions as instructor validates live ones."""

    def __init__(self, settings: Settings) -> None:
        import instructor

        self.settings = settings
        self._current: Any = None
        # The "server" of this patched create is the completion being read.
        self._create: Any = instructor.patch(create=self._replay, mode=instructor_mode(settings.mode))

    def _replay(self, **_request: Any) -> Any:
        return self._current

    def instructions(self, article_text: str) -> str:
        """The system message the request carried, for the same leak check live answers get."""
        from extractor.articles import Article
        from extractor.prompting import load_prompt, render_messages

        return render_messages(load_prompt(self.settings.prompt), Article(id="", text=article_text))[0]["content"]

    def answer(self, line: dict[str, Any], article_text: str) -> ModelAnswer:
        """The validated answer in one output line, or the ModelError it amounts to."""
        response = line.get("response") or {}
        if line.get("error") or response.get("status_code") != 200:
            raise line_error(line)
        return self.read(response.get("body"), article_text)

    def read(self, body: Any, article_text: str) -> ModelAnswer:
        """A chat completion body checked like a live answer."""
        import instructor
        from openai.types.chat import ChatCompletion

        if not isinstance(body, dict):
            raise _with_reason(ModelError("the batch line holds no chat completion"), "batch_error")
        completion = ChatCompletion.construct(**body)
        refused = refusal_error(completion)
        if refused is not None:
            raise refused
        self._current = completion
        try:
            with evidence_checked_against(article_text, self.instructions(article_text)):
                # No messages: the request was sent at submit; only the answer is read here.
                parsed = self._create(response_model=Extraction, max_retries=0,
                                      **completion_kwargs(self.settings, []))
        except instructor.core.exceptions.IncompleteOutputException as exc:
            error = truncation_error()
            error.usage = _usage(completion)
            raise error from exc
        except instructor.core.exceptions.InstructorRetryException as exc:
            raise translate_failure(exc) from exc
        finally:
            self._current = None
        usage = Usage()
        usage.add(getattr(parsed, "_total_usage", None) or completion.usage)
        return ModelAnswer(parsed, parsed.model_dump(mode="json"), usage)


def _usage(completion: Any) -> Usage:
    usage = Usage()
    usage.add(getattr(completion, "usage", None))
    return usage


def _with_reason(error: ModelError, reason: str) -> ModelError:
    error.reason = reason
    return error


def line_error(line: dict[str, Any]) -> ModelError:
    """The error of a batch line that got no answer, with the reason codes live calls use."""
    failure = line.get("error")
    if isinstance(failure, dict):
        code = str(failure.get("code") or "batch_error")
        return _with_reason(ModelError(f"the batch request failed: {failure.get('message') or code}"), code)
    response = line.get("response") or {}
    status = int(response.get("status_code") or 0)
    body = response.get("body")
    found = body.get("error") if isinstance(body, dict) else None
    inner: dict[str, Any] = found if isinstance(found, dict) else {}
    error_code, message = inner.get("code"), inner.get("message") or "no message"
    if error_code == "context_length_exceeded":
        return ContextLengthError("the article is longer than the model's context")
    if status == 429:
        return TransportError(f"rate limited in the batch (429): {message}", reason="rate_limited")
    if status >= 500:
        return TransportError(f"server error in the batch ({status}): {message}", reason="server_error")
    return _with_reason(ModelError(f"the batch request failed ({status}): {message}"), str(error_code or "batch_error"))
