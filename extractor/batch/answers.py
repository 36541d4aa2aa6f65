"""A batch's output lines as a source of answers: what the pipeline asks instead of a server.

A batch answer must pass exactly the checks a live answer passes, so it is
not parsed here: the stored chat completion is handed to
``llm.structured.structured_answer`` as if the server had just returned it,
and its failures are the live call's (``llm.failures``). There are no
re-asks of a stored answer; with ``--requeue`` a failed or missing one is
asked of the live model instead, with its re-asks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from extractor.errors import FatalModelError, ModelError, Reason
from extractor.llm.failures import batch_line_error, refusal_error
from extractor.llm.structured import ModelAnswer, Question, structured_answer
from extractor.settings import Settings
from extractor.usage import Usage

Line = Mapping[str, Any]


async def read_line(settings: Settings, line: Line, question: Question) -> ModelAnswer:
    """The validated answer in one batch output line, or the ModelError it amounts to."""
    response = line.get("response") or {}
    if line.get("error") or response.get("status_code") != 200:
        raise batch_line_error(line)
    body = response.get("body")
    if not isinstance(body, Mapping):
        raise ModelError("the batch line holds no chat completion", reason=Reason.BATCH_ERROR)
    from openai.types.chat import ChatCompletion

    completion = ChatCompletion.construct(**body)
    refused = refusal_error(completion)
    if refused is not None:
        raise refused

    async def replay(**_request: Any) -> Any:
        # The request was sent at submit; only its answer is read here.
        return completion

    return await structured_answer(replay, settings, question, usage=Usage.of(completion.usage), max_retries=0,
                                   messages=[])


class BatchAnswers:
    """Answers from finished batches by article id; with ``live``, the live model for the rest.

    ``keys`` are the cache keys submit computed: an answer is cacheable only
    under the key of the request that was really sent, so one whose prompt
    has changed since submit is recorded but not cached.
    """

    def __init__(self, settings: Settings, lines: Mapping[str, Line], keys: Mapping[str, str],
                 live: Any = None) -> None:
        self.settings, self.lines, self.keys, self.live = settings, dict(lines), keys, live
        self.asked_live = 0

    async def answer(self, question: Question) -> ModelAnswer:
        line = self.lines.pop(question.article_id, None)
        if line is None:
            return await self._ask_live(question, None)
        try:
            answer = await read_line(self.settings, line, question)
        except FatalModelError:
            raise
        except ModelError as exc:
            return await self._ask_live(question, exc)
        answer.cacheable = self.keys.get(question.article_id) == question.cache_key
        return answer

    async def _ask_live(self, question: Question, failure: ModelError | None) -> ModelAnswer:
        if self.live is None:
            raise failure or ModelError("the batch holds no answer for this article", reason=Reason.BATCH_ERROR)
        self.asked_live += 1
        answer: ModelAnswer = await self.live.answer(question)
        return answer

    async def close(self) -> None:
        if self.live is not None:
            await self.live.close()
