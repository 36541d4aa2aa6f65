"""The live model: an OpenAI-compatible server asked through openai and instructor.

Each failure has one owner, so retries never stack:

- transport failures are retried by ``retry.TransportRetry`` (the openai
  client's own retries are off, ``max_retries=0``);
- answers that fail validation are re-asked by instructor, at most
  ``max_retries`` times, with the error text; once a re-ask gets back the very
  answer it re-asked about, the re-asks that follow go at
  ``REASK_TEMPERATURE``: at temperature 0 the same request gives the same
  answer, so asking again unchanged would only spend tokens on it;
- a truncated answer, a refusal, a bad key or an exhausted quota are not
  retried at all: they are their own errors.
"""

from __future__ import annotations

import hashlib
import logging
import re
from functools import partial
from typing import TYPE_CHECKING, Any

from extractor.clock import REAL_CLOCK, Clock
from extractor.errors import ModelError, Reason
from extractor.llm.failures import api_error, error_code, refusal_error, retry_after_seconds
from extractor.llm.retry import TransportRetry
from extractor.llm.structured import ModelAnswer, Question, structured_answer
from extractor.llm.throttle import Throttle
from extractor.usage import Usage, approx_tokens

if TYPE_CHECKING:

    from extractor.settings import Settings

log = logging.getLogger(__name__)
REASK_TEMPERATURE = 0.7
# When a server refuses a mode's way of asking for structure, the next way to try.
FALLBACK_MODES = {"json_schema": "json", "json": "tools", "tools": "md_json"}
_MODE_REFUSED = re.compile(r"response_format|json_schema|json_object|\btools?\b|tool_choice|function", re.I)


class ModelClient:
    """An openai client for the life of one run: the source of live answers."""

    def __init__(self, settings: Settings, clock: Clock = REAL_CLOCK) -> None:
        import openai

        self.settings = settings
        self._client = openai.AsyncOpenAI(
            # Local servers take any key; the openai client insists on one.
            api_key=settings.api_key or "no-key-needed",
            base_url=settings.base_url,
            max_retries=0,
            timeout=settings.timeout,
        )
        self._policy = TransportRetry(settings, clock)
        self.throttle = Throttle(settings.concurrency, settings.rpm, settings.tpm, clock)
        self.requests = 0
        self.mode = settings.mode

    async def close(self) -> None:
        await self._client.close()

    async def answer(self, question: Question) -> ModelAnswer:
        """A validated extraction for one article, or a ModelError saying why not.

        A server that refuses the mode's way of asking for structure (llama.cpp
        answers json_schema with a 500) is asked the next way, and that mode is
        kept for the rest of the run.
        """
        while True:
            mode = self.mode
            try:
                return await self._answer_in(mode, question)
            except ModelError as exc:
                fallback = _fallback(mode, exc)
                if fallback is None:
                    raise
                if self.mode == mode:
                    log.warning("the server refused mode %s (%s); asking in mode %s from now on", mode, exc, fallback)
                    self.mode = fallback

    async def _answer_in(self, mode: str, question: Question) -> ModelAnswer:
        spent = Usage()
        answers: list[str] = []
        answer = await structured_answer(
            partial(self._send, spent=spent, answers=answers), self.settings.with_(mode=mode), question,
            usage=spent, max_retries=self.settings.max_retries,
        )
        answer.mode = mode
        return answer

    async def _send(self, *, spent: Usage, answers: list[str], **kwargs: Any) -> Any:
        """One chat completion, with transport retries; refusals stop here."""
        import openai

        if any(a == b for a, b in zip(answers, answers[1:], strict=False)):
            kwargs = {**kwargs, "temperature": max(REASK_TEMPERATURE, float(kwargs.get("temperature") or 0))}
        try:
            async for attempt in self._policy.retrying():
                with attempt:
                    response = await self._request(kwargs, spent)
        except openai.APIError as exc:
            raise api_error(exc) from exc
        refused = refusal_error(response)
        if refused is not None:
            raise refused
        answers.append(_fingerprint(response))
        return response

    async def _request(self, kwargs: dict[str, Any], spent: Usage) -> Any:
        """One HTTP request, paced by the throttle, which learns from its outcome."""
        import openai

        self.requests += 1
        async with self.throttle.slot(estimated_tokens(kwargs)):
            try:
                raw = await self._client.chat.completions.with_raw_response.create(**kwargs)
            except openai.RateLimitError as exc:
                if error_code(exc) != "insufficient_quota":
                    # Never hold the whole run longer than one request may wait: a
                    # daily-quota Retry-After fails this article, not the run.
                    asked = retry_after_seconds(exc)
                    self.throttle.limited(None if asked is None else min(asked, self.settings.max_retry_wait),
                                          exc.response.headers)
                raise
        self.throttle.succeeded(raw.headers)
        response = raw.parse()
        spent.add(getattr(response, "usage", None))
        return response


def _fallback(mode: str, error: ModelError) -> str | None:
    """The mode to try after ``error``, when it says the server refused this mode's request."""
    refused = error.reason is Reason.BAD_REQUEST and _MODE_REFUSED.search(str(error))
    return FALLBACK_MODES.get(mode) if refused else None


def _fingerprint(completion: Any) -> str:
    """What the model said, content and tool calls, as one hash: to tell a repeated answer."""
    message = completion.choices[0].message if completion.choices else None
    if message is None:
        return ""
    calls = [call.function.arguments for call in getattr(message, "tool_calls", None) or []]
    said = "\x00".join([message.content or "", *calls])
    return hashlib.sha256(said.encode("utf-8")).hexdigest()


def estimated_tokens(kwargs: dict[str, Any]) -> int:
    """What a request counts against a tokens-per-minute limit: prompt plus room."""
    prompt_chars = sum(len(str(m.get("content", ""))) for m in kwargs.get("messages", []))
    return approx_tokens(prompt_chars) + int(kwargs.get("max_tokens") or 0)
