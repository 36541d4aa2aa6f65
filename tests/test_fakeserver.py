"""The fake server, driven by the real openai client and instructor.

These tests pin down what the rest of the suite relies on: each answer form
parses through instructor's modes, each fault surfaces as the exception the
SDK really raises, and the Batch API round-trips through the SDK's own calls.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import instructor
import openai
import pytest
from fakeserver import (
    CHAT_PATH,
    FakeLLMServer,
    RequestBudget,
    answer,
    context_length_exceeded,
    drop,
    error,
    hang,
    quota_exceeded,
    rate_limited,
    raw,
    refusal,
    server_error,
    truncated,
    unauthorized,
)
from instructor.core import IncompleteOutputException, InstructorRetryException
from pydantic import BaseModel

MESSAGES: list[Any] = [{"role": "user", "content": "Two drones were shot down."}]
TWO_DRONES = {"events": [{"kind": "intercepted", "count": 2}]}


class Event(BaseModel):
    kind: str
    count: int


class Events(BaseModel):
    events: list[Event]


def client_for(server: FakeLLMServer, **options: Any) -> openai.OpenAI:
    """The real SDK pointed at the fake, with SDK retries off unless a test turns them on."""
    options.setdefault("max_retries", 0)
    options.setdefault("api_key", "test-key")
    return openai.OpenAI(base_url=server.base_url, **options)


def extract(server: FakeLLMServer, mode: instructor.Mode, max_retries: int = 0) -> Events:
    patched = instructor.from_openai(client_for(server), mode=mode)
    return patched.chat.completions.create(
        model="gpt-test", response_model=Events, messages=MESSAGES, max_retries=max_retries
    )


def chat(server: FakeLLMServer, **options: Any) -> Any:
    """A plain chat completion through the SDK; returns the parsed ChatCompletion."""
    return client_for(server, **options).chat.completions.create(model="gpt-test", messages=MESSAGES)


# ------------------------------------------------------------------ answer forms


@pytest.mark.parametrize(
    ("mode", "form"),
    [
        (instructor.Mode.TOOLS, "tools"),
        (instructor.Mode.TOOLS, "auto"),
        (instructor.Mode.JSON_SCHEMA, "json"),
        (instructor.Mode.JSON_SCHEMA, "auto"),
        (instructor.Mode.MD_JSON, "markdown"),
        (instructor.Mode.MD_JSON, "json"),
    ],
)
def test_each_answer_form_parses_in_its_instructor_mode(
    llm_server: FakeLLMServer, mode: instructor.Mode, form: Any
) -> None:
    llm_server.enqueue(answer(TWO_DRONES, form=form))
    assert extract(llm_server, mode).model_dump() == TWO_DRONES
    assert llm_server.pending == 0


def test_tool_call_envelope_matches_what_openai_sends(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(answer(TWO_DRONES, form="tools", usage=(120, 30)))
    patched = instructor.from_openai(client_for(llm_server), mode=instructor.Mode.TOOLS)
    _, completion = patched.chat.completions.create_with_completion(
        model="gpt-test", response_model=Events, messages=MESSAGES, max_retries=0
    )
    choice = completion.choices[0]
    call = choice.message.tool_calls[0]
    assert completion.id.startswith("chatcmpl-") and completion.object == "chat.completion"
    assert completion.model == "gpt-test"
    assert (choice.finish_reason, choice.message.content) == ("tool_calls", None)
    assert (call.type, call.function.name) == ("function", "Events")
    assert json.loads(call.function.arguments) == TWO_DRONES
    usage = completion.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (120, 30, 150)


def test_a_lenient_server_answers_an_empty_queue_with_zero_events(llm_server: FakeLLMServer) -> None:
    llm_server.strict = False
    assert extract(llm_server, instructor.Mode.TOOLS).events == []
    assert extract(llm_server, instructor.Mode.JSON_SCHEMA).events == []


def test_a_strict_server_fails_the_test_on_a_request_nothing_scripted() -> None:
    server = FakeLLMServer().start()
    with pytest.raises(openai.InternalServerError, match="UnscriptedRequest"):
        chat(server, max_retries=0)
    server.stop()
    with pytest.raises(AssertionError, match="nothing enqueued and no responder"):
        server.check()


def test_a_strict_server_fails_the_test_on_an_answer_never_played() -> None:
    with pytest.raises(AssertionError, match="1 scripted answers never requested"), FakeLLMServer() as server:
        server.enqueue(answer(TWO_DRONES), answer(TWO_DRONES))
        chat(server)


def test_responder_answers_once_the_queue_is_empty(llm_server: FakeLLMServer) -> None:
    seen: list[dict[str, Any]] = []

    def responder(body: dict[str, Any]) -> Any:
        seen.append(body)
        return answer({"events": [{"kind": "launched", "count": len(seen)}]})

    llm_server.responder = responder
    llm_server.enqueue(answer(TWO_DRONES))
    assert extract(llm_server, instructor.Mode.TOOLS).events[0].count == 2
    assert extract(llm_server, instructor.Mode.TOOLS).events[0].kind == "launched"
    assert seen[0]["messages"] == MESSAGES and seen[0]["model"] == "gpt-test"


def test_a_failing_responder_becomes_a_500_that_names_it(llm_server: FakeLLMServer) -> None:
    def responder(body: dict[str, Any]) -> Any:
        raise KeyError("no script for this request")

    llm_server.responder = responder
    with pytest.raises(openai.InternalServerError, match="KeyError"):
        chat(llm_server)
    assert [type(exc) for exc in llm_server.failures] == [KeyError]
    with pytest.raises(AssertionError, match="KeyError: 'no script for this request'"):
        llm_server.check()  # strict: the test that met it fails at teardown
    llm_server.failures.clear()


def test_invalid_json_then_valid_is_reasked_once(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(raw('{"events": [', as_tool=True, usage=(10, 5)), answer(TWO_DRONES))
    assert extract(llm_server, instructor.Mode.TOOLS, max_retries=1).model_dump() == TWO_DRONES
    assert llm_server.count(CHAT_PATH) == 2


# ----------------------------------------------------------- truncation, refusal


def test_truncation_raises_incomplete_output_without_a_reask(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(truncated(TWO_DRONES))
    with pytest.raises(IncompleteOutputException):
        extract(llm_server, instructor.Mode.TOOLS, max_retries=3)
    assert llm_server.count(CHAT_PATH) == 1


def test_refusal_sets_refusal_and_leaves_content_null(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(refusal("I can't help with that."))
    message = chat(llm_server).choices[0].message
    assert (message.refusal, message.content) == ("I can't help with that.", None)


def test_instructor_tools_mode_gives_up_on_a_refusal_at_once(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(refusal())
    with pytest.raises(InstructorRetryException) as caught:
        extract(llm_server, instructor.Mode.TOOLS, max_retries=3)
    assert isinstance(caught.value.__cause__, AssertionError)
    assert llm_server.count(CHAT_PATH) == 1


def test_instructor_json_schema_mode_reasks_after_a_refusal(llm_server: FakeLLMServer) -> None:
    # Only TOOLS mode checks message.refusal; JSON modes see "" and re-ask.
    llm_server.enqueue(refusal(), refusal())
    with pytest.raises(InstructorRetryException):
        extract(llm_server, instructor.Mode.JSON_SCHEMA, max_retries=1)
    assert llm_server.count(CHAT_PATH) == 2


# ------------------------------------------------------------------ HTTP faults


def test_429_exposes_retry_after_and_code(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(rate_limited(retry_after=3))
    with pytest.raises(openai.RateLimitError) as caught:
        chat(llm_server)
    assert caught.value.response.headers["retry-after"] == "3"
    assert caught.value.response.headers["retry-after-ms"] == "3000"
    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.request_id is not None


def test_instructor_wraps_api_errors_in_its_retry_exception(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(quota_exceeded())
    with pytest.raises(InstructorRetryException) as caught:
        extract(llm_server, instructor.Mode.TOOLS, max_retries=3)
    cause = caught.value.__cause__
    assert isinstance(cause, openai.RateLimitError) and cause.code == "insufficient_quota"
    assert llm_server.count(CHAT_PATH) == 1


@pytest.mark.parametrize(
    ("spec", "exception", "code"),
    [
        (server_error(), openai.InternalServerError, None),
        (server_error(503), openai.InternalServerError, None),
        (unauthorized(), openai.AuthenticationError, "invalid_api_key"),
        (context_length_exceeded(), openai.BadRequestError, "context_length_exceeded"),
        (error(418, {"error": {"message": "teapot"}}), openai.APIStatusError, None),
    ],
)
def test_error_specs_raise_the_sdks_exception(
    llm_server: FakeLLMServer, spec: Any, exception: type[Exception], code: str | None
) -> None:
    llm_server.enqueue(spec)
    with pytest.raises(exception) as caught:
        chat(llm_server)
    assert getattr(caught.value, "code", None) == code


def test_sdk_retries_5xx_until_success(llm_server: FakeLLMServer) -> None:
    quick = {"retry-after-ms": "1"}  # keeps the SDK's back-off out of the test's time
    llm_server.enqueue(error(500, headers=quick), error(500, headers=quick), answer(TWO_DRONES))
    assert chat(llm_server, max_retries=2).choices[0].finish_reason == "stop"
    assert llm_server.count(CHAT_PATH) == 3
    assert [r.headers["x-stainless-retry-count"] for r in llm_server.requests] == ["0", "1", "2"]


def test_should_retry_false_stops_sdk_retries(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(server_error(should_retry=False))
    with pytest.raises(openai.InternalServerError) as caught:
        chat(llm_server, max_retries=3)
    assert caught.value.response.headers["x-should-retry"] == "false"
    assert llm_server.count(CHAT_PATH) == 1


def test_streaming_is_refused_plainly(llm_server: FakeLLMServer) -> None:
    with pytest.raises(openai.BadRequestError, match="does not stream"):
        client_for(llm_server).chat.completions.create(model="m", messages=MESSAGES, stream=True)


def test_drop_is_a_connection_error(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(drop())
    with pytest.raises(openai.APIConnectionError) as caught:
        chat(llm_server)
    assert not isinstance(caught.value, openai.APITimeoutError)


def test_delay_past_the_client_timeout_is_a_timeout(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(answer(TWO_DRONES, delay=1.0))
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        chat(llm_server, timeout=0.2)
    assert time.monotonic() - started < 0.9


def test_short_delay_still_answers(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(answer(TWO_DRONES, delay=0.1))
    started = time.monotonic()
    assert chat(llm_server, timeout=2.0).choices[0].finish_reason == "stop"
    assert time.monotonic() - started >= 0.1


def test_a_hung_reply_does_not_hold_up_stop() -> None:
    server = FakeLLMServer().start()
    server.enqueue(hang(30))
    with pytest.raises(openai.APITimeoutError):
        chat(server, timeout=0.2)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.0


# ------------------------------------------------------------ recording, HTTP


def test_requests_are_recorded_with_headers_and_body(llm_server: FakeLLMServer) -> None:
    llm_server.strict = False
    extract(llm_server, instructor.Mode.TOOLS)
    client_for(llm_server).models.list()
    chat_request, models_request = llm_server.requests
    assert (chat_request.method, chat_request.path) == ("POST", CHAT_PATH)
    assert chat_request.headers["authorization"] == "Bearer test-key"
    assert chat_request.body["messages"] == MESSAGES
    assert chat_request.body["tools"][0]["function"]["name"] == "Events"
    assert (models_request.method, models_request.path) == ("GET", "/v1/models")
    assert (llm_server.count(), llm_server.count(CHAT_PATH)) == (2, 1)
    llm_server.reset()
    assert llm_server.count() == 0


def test_models_lists_one_model(llm_server: FakeLLMServer) -> None:
    models = client_for(llm_server).models.list().data
    assert [model.id for model in models] == [llm_server.model]


def test_keep_alive_serves_several_requests_on_one_connection(llm_server: FakeLLMServer) -> None:
    llm_server.strict = False
    connection = http.client.HTTPConnection("127.0.0.1", llm_server.port, timeout=2)
    body = json.dumps({"model": "m", "messages": MESSAGES})
    for _ in range(3):
        connection.request("POST", CHAT_PATH, body, {"content-type": "application/json"})
        response = connection.getresponse()
        data = response.read()
        assert response.status == 200 and int(response.headers["content-length"]) == len(data)
    connection.request("POST", CHAT_PATH, iter([body[:10].encode(), body[10:].encode()]), encode_chunked=True)
    assert connection.getresponse().read() and llm_server.requests[-1].body["model"] == "m"
    for method, path, status in (("POST", CHAT_PATH, 400), ("GET", "/v1/nowhere", 404)):
        connection.request(method, path, "not json")
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())["error"]["type"]) == (status, "invalid_request_error")
    connection.close()


def test_nothing_is_logged_and_the_key_is_never_echoed(
    llm_server: FakeLLMServer, capfd: pytest.CaptureFixture[str]
) -> None:
    llm_server.enqueue(unauthorized(), drop())
    with pytest.raises(openai.AuthenticationError) as caught:
        chat(llm_server, api_key="sk-secret-123")
    assert "sk-secret-123" not in str(caught.value)
    with pytest.raises(openai.APIConnectionError):
        chat(llm_server, api_key="sk-secret-123")
    captured = capfd.readouterr()
    assert (captured.out, captured.err) == ("", "")


def test_server_runs_without_pytest() -> None:
    # A benchmark script imports the module on its own: no pytest, no fixtures.
    script = (
        "import json, sys, urllib.request; import fakeserver as f\n"
        "assert 'pytest' not in sys.modules\n"
        "with f.FakeLLMServer(strict=False) as s:\n"
        "    data = json.dumps({'model': 'm', 'messages': []}).encode()\n"
        "    request = urllib.request.Request(s.base_url + '/chat/completions', data)\n"
        "    reply = json.load(urllib.request.urlopen(request, timeout=5))\n"
        "    print(reply['choices'][0]['message']['content'])\n"
    )
    tests_dir = str(Path(__file__).parent)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tests_dir, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"events": []}


# ---------------------------------------------------------------- rate limiting


def test_requests_past_the_budget_get_429_with_rate_limit_headers() -> None:
    with FakeLLMServer(rpm=2, strict=False) as server:
        client = client_for(server)
        first = client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
        assert first.headers["x-ratelimit-limit-requests"] == "2"
        assert first.headers["x-ratelimit-remaining-requests"] == "1"
        client.chat.completions.create(model="m", messages=MESSAGES)
        with pytest.raises(openai.RateLimitError) as caught:
            client.chat.completions.create(model="m", messages=MESSAGES)
    headers = caught.value.response.headers
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert float(headers["retry-after-ms"]) > 25_000  # one request per 30 s at rpm=2
    assert int(headers["retry-after"]) >= 25 and headers["x-ratelimit-reset-requests"].endswith("s")
    assert server.count(CHAT_PATH) == 3


def test_budget_refills_over_time() -> None:
    now = [0.0]
    budget = RequestBudget(rpm=60, clock=lambda: now[0])
    assert all(budget.admit()[0] for _ in range(60))
    admitted, headers = budget.admit()
    assert not admitted and headers["retry-after-ms"] == "1000"
    now[0] += 1.0
    assert budget.admit()[0] and not budget.admit()[0]


def test_concurrent_requests_are_served_in_parallel() -> None:
    with FakeLLMServer(latency=0.3, strict=False) as server:
        client = client_for(server)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda _: client.chat.completions.create(model="m", messages=MESSAGES), range(8)))
        assert time.monotonic() - started < 1.2  # serially it would take 2.4 s
        assert server.count(CHAT_PATH) == 8


def test_latency_is_added_to_each_answer() -> None:
    with FakeLLMServer(latency=0.15, strict=False) as server:
        started = time.monotonic()
        chat(server)
        assert time.monotonic() - started >= 0.15


# -------------------------------------------------------------------- batch API


def batch_input(*custom_ids: str) -> bytes:
    lines = [
        {"custom_id": cid, "method": "POST", "url": CHAT_PATH,
         "body": {"model": "gpt-test", "messages": MESSAGES}}
        for cid in custom_ids
    ]
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def create_batch(client: openai.OpenAI, file_id: str) -> Any:
    return client.batches.create(input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h")


def wait_for_batch(
    client: openai.OpenAI, batch_id: str, until: tuple[str, ...] = ("completed", "failed", "cancelled")
) -> Any:
    deadline = time.monotonic() + 5.0
    batch = client.batches.retrieve(batch_id)
    while batch.status not in until and time.monotonic() < deadline:
        time.sleep(0.02)
        batch = client.batches.retrieve(batch_id)
    return batch


def read_jsonl(client: openai.OpenAI, file_id: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in client.files.content(file_id).text.splitlines()]


def test_batch_round_trip(llm_server: FakeLLMServer) -> None:
    llm_server.strict = False  # the third line gets the lenient empty answer
    client = client_for(llm_server)
    llm_server.enqueue(answer(TWO_DRONES, form="json"), server_error())
    uploaded = client.files.create(file=("in.jsonl", batch_input("a", "b", "c")), purpose="batch")
    assert (uploaded.filename, uploaded.purpose) == ("in.jsonl", "batch")
    assert client.files.retrieve(uploaded.id).bytes == len(batch_input("a", "b", "c"))
    created = create_batch(client, uploaded.id)
    assert created.status in ("validating", "in_progress", "finalizing", "completed")
    batch = wait_for_batch(client, created.id)
    assert batch.status == "completed"
    assert batch.request_counts.model_dump() == {"total": 3, "completed": 2, "failed": 1}
    outputs = read_jsonl(client, batch.output_file_id)
    assert [line["custom_id"] for line in outputs] == ["a", "c"]
    body = outputs[0]["response"]["body"]
    assert outputs[0]["response"]["status_code"] == 200 and outputs[0]["error"] is None
    assert json.loads(body["choices"][0]["message"]["content"]) == TWO_DRONES
    (failure,) = read_jsonl(client, batch.error_file_id)
    assert (failure["custom_id"], failure["response"]["status_code"]) == ("b", 500)
    assert client.files.delete(uploaded.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(uploaded.id)


def test_batch_moves_through_its_statuses() -> None:
    with FakeLLMServer(batch_step=0.3, strict=False) as server:
        client = client_for(server)
        uploaded = client.files.create(file=("in.jsonl", batch_input("a")), purpose="batch")
        created = create_batch(client, uploaded.id)
        assert created.status == "validating"
        assert wait_for_batch(client, created.id, until=("in_progress",)).status == "in_progress"
        cancelled = client.batches.cancel(created.id)
        assert cancelled.status == "cancelling"
        assert wait_for_batch(client, created.id).status == "cancelled"


def test_batch_with_a_bad_line_fails_validation(llm_server: FakeLLMServer) -> None:
    client = client_for(llm_server)
    data = batch_input("a") + b"not json\n"
    uploaded = client.files.create(file=("in.jsonl", data), purpose="batch")
    created = create_batch(client, uploaded.id)
    batch = wait_for_batch(client, created.id)
    assert batch.status == "failed"
    assert batch.errors.data[0].line == 2
    assert llm_server.count(CHAT_PATH) == 0


def test_batch_rejects_unknown_files(llm_server: FakeLLMServer) -> None:
    client = client_for(llm_server)
    with pytest.raises(openai.BadRequestError):
        create_batch(client, "file-nope")
    with pytest.raises(openai.NotFoundError):
        client.files.content("file-nope")


# ------------------------------------------------------------------ the fixtures


def test_environment_is_hermetic(hermetic_env: Path) -> None:
    assert os.environ["EXTRACTOR_CACHE_DIR"] == str(hermetic_env)
    assert not any(name.startswith("OPENAI_") for name in os.environ)
