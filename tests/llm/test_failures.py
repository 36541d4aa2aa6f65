"""What a failed call means: one classification for live calls and batch lines, with the server's words."""

from __future__ import annotations

from typing import Any

import pytest
from fakeserver import CHAT_PATH, FakeLLMServer, answer, server_error
from helpers import FakeClock, extract_with_clock

from extractor.errors import ContextLengthError, FatalModelError, ModelError, Reason, TransportError
from extractor.llm.failures import MESSAGE_ROOM, batch_line_error, body_message, invalid_request, status_error


@pytest.mark.parametrize(
    ("status", "code", "message", "kind", "reason"),
    [
        (401, None, "Incorrect API key", FatalModelError, Reason.AUTH),
        (429, "insufficient_quota", "You exceeded your quota", FatalModelError, Reason.QUOTA),
        (404, "model_not_found", "no such model", FatalModelError, Reason.NOT_FOUND),
        (400, "context_length_exceeded", "too long", ContextLengthError, Reason.INPUT_TOO_LONG),
        (429, "rate_limit_exceeded", "slow down", TransportError, Reason.RATE_LIMITED),
        (500, None, "The server had an error", TransportError, Reason.SERVER_ERROR),
        (503, None, "overloaded", TransportError, Reason.SERVER_ERROR),
        (500, None, "response_format.type: Input should be 'text' or 'json_object'", ModelError, Reason.BAD_REQUEST),
        (400, "invalid_request_error", "temperature must be at most 2", ModelError, Reason.BAD_REQUEST),
    ],
)
def test_each_status_becomes_its_error_and_reason(
    status: int, code: str | None, message: str, kind: type[ModelError], reason: Reason
) -> None:
    error = status_error(status, code, message)
    assert type(error) is kind and error.reason is reason
    if reason not in (Reason.AUTH, Reason.QUOTA):
        assert message in str(error)  # what the server said reaches the user


def test_the_servers_message_is_cut_to_its_room() -> None:
    text = body_message({"error": {"message": "x" * 1000}})
    assert len(text) == MESSAGE_ROOM and text.endswith("…")
    assert body_message("plain  text\nbody") == "plain text body"
    assert body_message(None) == ""


def test_a_5xx_about_the_request_is_invalid_but_a_plain_5xx_is_not() -> None:
    assert invalid_request(500, "1 validation error: messages.0.content: Field required")
    assert not invalid_request(500, "The server had an error while processing your request.")
    assert not invalid_request(400, "Input should be 'text'")  # a 4xx is not retried anyway


def line(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"custom_id": "a", "response": {"status_code": status, "body": body}, "error": None}


@pytest.mark.parametrize(
    ("status", "body"),
    [(429, {"error": {"message": "slow down", "code": "rate_limit_exceeded"}}),
     (500, {"error": {"message": "boom"}}),
     (400, {"error": {"message": "too long", "code": "context_length_exceeded"}}),
     (500, {"error": {"message": "Input should be 'text' or 'json_object'"}})],
)
def test_a_batch_line_is_classified_as_the_same_live_answer_would_be(status: int, body: dict[str, Any]) -> None:
    from_line = batch_line_error(line(status, body))
    live = status_error(status, body["error"].get("code"), body["error"]["message"])
    assert type(from_line) is type(live) and from_line.reason is live.reason


def test_a_failed_batch_request_keeps_the_providers_code_as_a_reason_when_it_is_known() -> None:
    expired = batch_line_error({"custom_id": "a", "error": {"code": "batch_expired", "message": "expired"}})
    assert expired.reason is Reason.BATCH_EXPIRED
    odd = batch_line_error({"custom_id": "a", "error": {"code": "something_new", "message": "?"}})
    assert odd.reason is Reason.BATCH_ERROR and "?" in str(odd)


def test_an_invalid_request_500_is_sent_once_and_says_what_the_server_said(llm_server: FakeLLMServer) -> None:
    said = "1 validation error: messages.0.content: Field required"
    llm_server.enqueue(*[server_error(500, message=said)] * 5)
    result = extract_with_clock(llm_server, FakeClock(), mode="md_json")
    assert result.status == "error" and result.reason is Reason.BAD_REQUEST
    assert llm_server.count(CHAT_PATH) == 1 and llm_server.take_unplayed() == 4
    assert said in result.errors[0]


def test_a_refused_mode_falls_back_once_and_is_kept_for_the_run(llm_server: FakeLLMServer) -> None:
    from helpers import ARTICLE, event, extraction

    from extractor import extract_many

    llm_server.enqueue(server_error(500, message="response_format.type: Input should be 'text' or 'json_object'"))
    llm_server.responder = lambda body: answer(extraction(event()))
    results = list(extract_many([ARTICLE, ARTICLE + " Again."], base_url=llm_server.base_url, model="m",
                                use_cache=False, concurrency=1))
    assert [(r.status, r.mode) for r in results] == [("ok", "json"), ("ok", "json")]
    sent = [r.body.get("response_format") for r in llm_server.requests if r.path == CHAT_PATH]
    assert sent[0]["type"] == "json_schema" and [s["type"] for s in sent[1:]] == ["json_object", "json_object"]
