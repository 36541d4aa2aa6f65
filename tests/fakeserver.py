"""A small OpenAI-compatible server on 127.0.0.1 for offline tests and benchmarks.

Why it exists: no machine here reaches a real model API, yet the project must
exercise its real openai (httpx2) and instructor code paths, including every
endpoint-side fault in docs/reliability.md (429 with Retry-After, quota, 5xx,
x-should-retry: false, 401, context length, hangs, dropped connections,
malformed JSON, truncation, refusals, empty answers). Mocking the client would
skip exactly the layers (retries, timeouts, header parsing) that those faults
test, so the fake speaks HTTP instead.

Stdlib only and free of pytest, so a benchmark script can run it too::

    with FakeLLMServer(latency=0.3, rpm=1200) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="k")
        server.enqueue(answer({"events": []}), rate_limited(retry_after=3))

Chat completions are answered from a FIFO of response specs, then by
`responder(body)`. Strict by default (as pydantic-ai's cassettes are): a
request with nothing scripted for it is answered 500 and, with an answer never
played or a responder that raised, fails the test when the server is closed;
`strict=False` answers such a request with a valid empty `{"events": []}`.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import math
import re
import socket
import socketserver
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self

CHAT_PATH = "/v1/chat/completions"
DEFAULT_MODEL = "gpt-4o-mini"
Form = Literal["auto", "tools", "json", "markdown"]
JSON = dict[str, Any]

# ----------------------------------------------------------------- response specs


@dataclass(frozen=True)
class Answer:
    """A 200 chat.completion; `text` becomes the content or the tool call's arguments.

    `form="auto"` answers with a tool call when the request offered tools and
    with plain content otherwise, so one spec serves every instructor mode.
    """

    text: str | None
    form: Literal["auto", "tools", "content"] = "auto"
    refusal: str | None = None
    finish_reason: str | None = None  # None: "tool_calls" for tool calls, else "stop"
    usage: tuple[int, int] | None = None  # None: estimated from the text sizes
    delay: float = 0.0


@dataclass(frozen=True)
class Error:
    """An HTTP error status with an OpenAI-style body and chosen headers."""

    status: int
    body: JSON
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Drop:
    """Close the connection without a response (after `delay` seconds)."""

    delay: float = 0.0


Spec = Answer | Error | Drop
Responder = Callable[[JSON], Spec]


def answer(
    obj: Any,
    form: Form = "auto",
    finish_reason: str | None = None,
    usage: tuple[int, int] | None = None,
    delay: float = 0.0,
) -> Answer:
    """A well-formed answer carrying `obj` as JSON in the chosen form."""
    if form == "markdown":
        text = f"Here you go:\n```json\n{json.dumps(obj, indent=2)}\n```"
        return Answer(text, "content", None, finish_reason, usage, delay)
    shape: Literal["auto", "tools", "content"] = "content" if form == "json" else form
    return Answer(json.dumps(obj), shape, None, finish_reason, usage, delay)


def raw(
    text: str,
    finish_reason: str = "stop",
    usage: tuple[int, int] | None = None,
    delay: float = 0.0,
    as_tool: bool = False,
) -> Answer:
    """Exactly `text` as the content (or tool arguments): for malformed output."""
    return Answer(text, "tools" if as_tool else "content", None, finish_reason, usage, delay)


def truncated(obj: Any, form: Form = "auto") -> Answer:
    """`obj` cut off halfway with finish_reason "length", as when max_tokens runs out."""
    whole = answer(obj, form)
    text = whole.text or ""
    return replace(whole, text=text[: max(1, len(text) // 2)], finish_reason="length")


def refusal(message: str = "I'm sorry, but I can't help with that.") -> Answer:
    """A safety refusal: message.refusal set, content null."""
    return Answer(None, "content", refusal=message)


def error_body(message: str, type: str, code: str | None = None, param: str | None = None) -> JSON:
    """The `{"error": {...}}` envelope OpenAI puts on every failure."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def error(
    status: int,
    body: JSON | None = None,
    headers: dict[str, str] | None = None,
    *,
    should_retry: bool | None = None,
    delay: float = 0.0,
) -> Error:
    """Any error status; `should_retry` sets the x-should-retry header the SDK obeys."""
    extra = dict(headers or {})
    if should_retry is not None:
        extra["x-should-retry"] = "true" if should_retry else "false"
    body = body if body is not None else error_body(f"Fake error {status}", "api_error")
    return Error(status, body, extra, delay)


def rate_limited(
    retry_after: float | None = 1.0, *, with_ms: bool = True, should_retry: bool | None = None
) -> Error:
    """429 rate_limit_exceeded with Retry-After (whole seconds) and retry-after-ms."""
    body = error_body(
        "Rate limit reached for requests. Please try again later.", "requests", "rate_limit_exceeded"
    )
    return error(429, body, _retry_headers(retry_after, with_ms), should_retry=should_retry)


def quota_exceeded(*, should_retry: bool | None = None) -> Error:
    """429 insufficient_quota: retrying cannot help, yet the status alone looks retryable."""
    message = "You exceeded your current quota, please check your plan and billing details."
    body = error_body(message, "insufficient_quota", "insufficient_quota")
    return error(429, body, should_retry=should_retry)


def server_error(status: int = 500, *, should_retry: bool | None = None, message: str | None = None) -> Error:
    """A 5xx with the body OpenAI sends when it fails internally (or ``message``, as a local server words it)."""
    message = message or "The server had an error while processing your request. Sorry about that!"
    return error(status, error_body(message, "server_error"), should_retry=should_retry)


def unauthorized(*, should_retry: bool | None = None) -> Error:
    """401 invalid_api_key; the message never echoes the key that was sent."""
    body = error_body("Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
    return error(401, body, should_retry=should_retry)


def context_length_exceeded(limit: int = 128000, *, should_retry: bool | None = None) -> Error:
    """400 context_length_exceeded, as for an article longer than the model's window."""
    message = f"This model's maximum context length is {limit} tokens."
    body = error_body(message, "invalid_request_error", "context_length_exceeded", "messages")
    return error(400, body, should_retry=should_retry)


def hang(seconds: float = 60.0) -> Drop:
    """Say nothing for `seconds` (client timeouts fire), then close; stop() cuts it short."""
    return Drop(delay=seconds)


def drop(delay: float = 0.0) -> Drop:
    """Close the connection without sending any response."""
    return Drop(delay=delay)


def _retry_headers(seconds: float | None, with_ms: bool) -> dict[str, str]:
    """Retry-After as OpenAI sends it: whole seconds, plus exact retry-after-ms."""
    if seconds is None:
        return {}
    headers = {"retry-after": str(math.ceil(seconds))}
    if with_ms:
        headers["retry-after-ms"] = str(round(seconds * 1000))
    return headers


# -------------------------------------------------------------- chat completions


def new_id(prefix: str) -> str:
    """A random id in OpenAI's style, e.g. chatcmpl-3f2a..."""
    return f"{prefix}{uuid.uuid4().hex[:24]}"


def render_completion(spec: Answer, request: JSON, default_model: str) -> JSON:
    """The full chat.completion envelope the SDK and instructor parse."""
    message, finish_reason = _render_message(spec, request)
    return {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(request.get("model") or default_model),
        "system_fingerprint": "fp_fake",
        "service_tier": "default",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
        "usage": _render_usage(spec, request),
    }


def _render_message(spec: Answer, request: JSON) -> tuple[JSON, str]:
    """The assistant message and the finish_reason that goes with its shape."""
    message: JSON = {"role": "assistant", "content": None, "refusal": spec.refusal}
    as_tool = spec.form == "tools" or (spec.form == "auto" and bool(request.get("tools")))
    if as_tool:
        call = {"name": _tool_name(request), "arguments": spec.text or ""}
        message["tool_calls"] = [{"id": new_id("call_"), "type": "function", "function": call}]
    else:
        message["content"] = spec.text
    return message, spec.finish_reason or ("tool_calls" if as_tool else "stop")


def _tool_name(request: JSON) -> str:
    """The function the request forced or offered first, as a real model would call."""
    choice = request.get("tool_choice")
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        return str(choice["function"].get("name"))
    tools = request.get("tools") or []
    if tools and isinstance(tools[0], dict):
        return str(tools[0].get("function", {}).get("name", "respond"))
    return "respond"


def _render_usage(spec: Answer, request: JSON) -> JSON:
    """Token counts: the spec's, or about four characters a token, as English runs."""
    if spec.usage is not None:
        prompt, completion = spec.usage
    else:
        prompt = max(1, len(json.dumps(request.get("messages", []))) // 4)
        completion = max(1, len(spec.text or spec.refusal or "") // 4)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


class RequestBudget:
    """A requests-per-minute token bucket, refilled continuously like OpenAI's limiter."""

    def __init__(self, rpm: int, clock: Callable[[], float] = time.monotonic, burst: int | None = None) -> None:
        self.rpm = rpm
        # How many requests the bucket holds: a minute's worth like OpenAI by
        # default; benchmarks use a smaller one so the limit binds at once.
        self.capacity = float(burst if burst is not None else rpm)
        self._clock = clock
        self._tokens = self.capacity
        self._last = clock()
        self._lock = threading.Lock()

    def admit(self) -> tuple[bool, dict[str, str]]:
        """Spend one request if the bucket allows; return the x-ratelimit headers either way."""
        with self._lock:
            self._refill()
            admitted = self._tokens >= 1.0
            if admitted:
                self._tokens -= 1.0
            return admitted, self._headers(admitted)

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rpm / 60.0)
        self._last = now

    def _headers(self, admitted: bool) -> dict[str, str]:
        per_second = self.rpm / 60.0
        headers = {
            "x-ratelimit-limit-requests": str(self.rpm),
            "x-ratelimit-remaining-requests": str(int(self._tokens)),
            "x-ratelimit-reset-requests": f"{(self.capacity - self._tokens) / per_second:.3f}s",
        }
        if not admitted:
            headers.update(_retry_headers((1.0 - self._tokens) / per_second, with_ms=True))
        return headers


class WindowBudget:
    """A strict requests-per-minute limit as providers quantize it: rpm/60 in any 1-second window.

    A request that would be the (rpm/60 + 1)th within the last second gets a
    429 whose Retry-After runs to the moment the oldest of them leaves the window.
    """

    def __init__(self, rpm: int, clock: Callable[[], float] = time.monotonic, window: float = 1.0) -> None:
        self.rpm = rpm
        self.window = window
        self.per_window = max(1, int(rpm * window / 60))
        self._clock = clock
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def admit(self) -> tuple[bool, dict[str, str]]:
        with self._lock:
            now = self._clock()
            while self._sent and self._sent[0] <= now - self.window:
                self._sent.popleft()
            admitted = len(self._sent) < self.per_window
            if admitted:
                self._sent.append(now)
            headers = {
                "x-ratelimit-limit-requests": str(self.rpm),
                "x-ratelimit-remaining-requests": str(self.per_window - len(self._sent)),
            }
            if not admitted:
                headers.update(_retry_headers(self._sent[0] + self.window - now, with_ms=True))
            return admitted, headers


# --------------------------------------------------------------------- replies


@dataclass(frozen=True)
class Reply:
    """What a route answers: JSON (or raw bytes), or a dropped connection."""

    status: int = 200
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


def json_error(status: int, message: str, type: str = "invalid_request_error") -> Reply:
    """An error reply for the server's own routing and validation failures."""
    return Reply(status, error_body(message, type))


# ------------------------------------------------------------------- batch API


def parse_multipart(raw_body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """Form fields of a multipart/form-data body: name -> (filename, bytes).

    The stdlib `cgi` module is gone in 3.13; the `email` parser reads the same MIME.
    """
    head = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n"
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw_body)
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.walk():
        if part.is_multipart():
            continue
        name = str(part.get_param("name", header="content-disposition"))
        data = part.get_payload(decode=True)
        fields[name] = (part.get_filename(), data if isinstance(data, bytes) else b"")
    return fields


class BatchAPI:
    """Files and batches, just enough of OpenAI's Batch API to test a batch client.

    Each request line runs through `complete`, the same queue/responder logic
    that serves live chat completions, in a background thread.
    """

    def __init__(
        self, complete: Callable[[JSON], tuple[int, JSON]], stop: threading.Event, step: float
    ) -> None:
        self._complete = complete
        self._stop = stop
        self._step = step
        self._lock = threading.Lock()
        self.files: dict[str, tuple[JSON, bytes]] = {}
        self.batches: dict[str, JSON] = {}

    def store_file(self, filename: str, purpose: str, data: bytes) -> JSON:
        """Keep a file and return its OpenAI file object."""
        meta: JSON = {"id": new_id("file-"), "object": "file", "bytes": len(data),
                "created_at": int(time.time()), "filename": filename,
                "purpose": purpose, "status": "processed"}
        with self._lock:
            self.files[meta["id"]] = (meta, data)
        return meta

    def upload(self, raw_body: bytes, content_type: str) -> Reply:
        fields = parse_multipart(raw_body, content_type)
        if "file" not in fields or "purpose" not in fields:
            return json_error(400, "Both 'file' and 'purpose' are required.")
        filename, data = fields["file"]
        purpose = fields["purpose"][1].decode()
        return Reply(200, self.store_file(filename or "upload.jsonl", purpose, data))

    def file_meta(self, file_id: str) -> Reply:
        with self._lock:
            found = self.files.get(file_id)
        return Reply(200, found[0]) if found else json_error(404, f"No such File object: {file_id}")

    def file_content(self, file_id: str) -> Reply:
        with self._lock:
            found = self.files.get(file_id)
        if not found:
            return json_error(404, f"No such File object: {file_id}")
        return Reply(200, found[1])

    def delete_file(self, file_id: str) -> Reply:
        with self._lock:
            found = self.files.pop(file_id, None)
        if not found:
            return json_error(404, f"No such File object: {file_id}")
        return Reply(200, {"id": file_id, "object": "file", "deleted": True})

    def create(self, body: Any) -> Reply:
        with self._lock:
            known = isinstance(body, dict) and body.get("input_file_id") in self.files
        if not known:
            return json_error(400, "Invalid 'input_file_id'.")
        if body.get("endpoint") != CHAT_PATH:
            return json_error(400, f"Only {CHAT_PATH} batches are supported.")
        batch = _new_batch(body)
        with self._lock:
            self.batches[batch["id"]] = batch
        threading.Thread(target=self._run, args=(batch["id"],), daemon=True).start()
        return self.get(batch["id"])

    def get(self, batch_id: str) -> Reply:
        with self._lock:
            batch = self.batches.get(batch_id)
            snapshot = json.loads(json.dumps(batch)) if batch else None
        return Reply(200, snapshot) if snapshot else json_error(404, f"No such batch: {batch_id}")

    def cancel(self, batch_id: str) -> Reply:
        with self._lock:
            batch = self.batches.get(batch_id)
            if batch and batch["status"] in ("validating", "in_progress"):
                batch.update(status="cancelling", cancelling_at=int(time.time()))
        return self.get(batch_id)

    def _run(self, batch_id: str) -> None:
        """validating -> in_progress -> finalizing -> completed (or failed / cancelled)."""
        lines = self._validate(batch_id)
        if lines is None or not self._advance(batch_id, "in_progress"):
            return
        outputs: list[JSON] = []
        failures: list[JSON] = []
        for line in lines:
            if self._status(batch_id) != "in_progress" or self._stop.is_set():
                break
            record, ok = self._run_line(line)
            (outputs if ok else failures).append(record)
            self._count(batch_id, ok)
        self._finish(batch_id, outputs, failures)

    def _validate(self, batch_id: str) -> list[JSON] | None:
        """Parse the input JSONL; a bad line fails the whole batch, as OpenAI does."""
        with self._lock:
            batch = self.batches[batch_id]
            data = self.files[batch["input_file_id"]][1]
        lines: list[JSON] = []
        for number, text in enumerate(data.decode("utf-8").splitlines(), start=1):
            if not text.strip():
                continue
            line = _parse_json(text.encode())
            if not (isinstance(line, dict) and "custom_id" in line and "body" in line):
                self._fail(batch_id, number)
                return None
            lines.append(line)
        with self._lock:
            batch["request_counts"]["total"] = len(lines)
        return lines

    def _run_line(self, line: JSON) -> tuple[JSON, bool]:
        status, body = self._complete(line["body"])
        response = {"status_code": status, "request_id": new_id("req_"), "body": body}
        record = {"id": new_id("batch_req_"), "custom_id": line["custom_id"],
                  "response": response, "error": None}
        return record, status == 200

    def _finish(self, batch_id: str, outputs: list[JSON], failures: list[JSON]) -> None:
        """Write the output and error files; a cancelled batch keeps its partial results."""
        finishing = self._advance(batch_id, "finalizing")
        if self._stop.is_set():
            return
        output = self.store_file("batch_output.jsonl", "batch_output", _jsonl(outputs))
        errors = self.store_file("batch_errors.jsonl", "batch_output", _jsonl(failures)) if failures else None
        with self._lock:
            self.batches[batch_id].update(
                output_file_id=output["id"], error_file_id=errors["id"] if errors else None
            )
        if finishing:
            self._advance(batch_id, "completed")

    def _advance(self, batch_id: str, status: str) -> bool:
        """Move to `status` after the configured pause; False if work should stop here.

        A batch found "cancelling" becomes "cancelled" instead.
        """
        if self._stop.wait(self._step):
            return False
        with self._lock:
            batch = self.batches[batch_id]
            cancelled = batch["status"] == "cancelling"
            status = "cancelled" if cancelled else status
            batch["status"] = status
            batch[_timestamp_field(status)] = int(time.time())
        return not cancelled

    def _status(self, batch_id: str) -> str:
        with self._lock:
            return str(self.batches[batch_id]["status"])

    def _count(self, batch_id: str, ok: bool) -> None:
        with self._lock:
            self.batches[batch_id]["request_counts"]["completed" if ok else "failed"] += 1

    def _fail(self, batch_id: str, line: int) -> None:
        error = {"code": "invalid_json_line", "line": line, "param": None,
                 "message": f"Line {line} is not a JSON request with custom_id and body."}
        with self._lock:
            self.batches[batch_id].update(
                status="failed", failed_at=int(time.time()),
                errors={"object": "list", "data": [error]},
            )


def _timestamp_field(status: str) -> str:
    """The batch field that records when `status` began, e.g. in_progress -> in_progress_at."""
    return {"in_progress": "in_progress_at", "finalizing": "finalizing_at",
            "completed": "completed_at", "cancelled": "cancelled_at"}[status]


def _new_batch(body: JSON) -> JSON:
    now = int(time.time())
    nulls = dict.fromkeys(["output_file_id", "error_file_id", "errors", "in_progress_at",
                           "finalizing_at", "completed_at", "failed_at", "expired_at",
                           "cancelling_at", "cancelled_at"])
    return {**nulls, "id": new_id("batch_"), "object": "batch", "status": "validating",
            "endpoint": body["endpoint"], "input_file_id": body["input_file_id"],
            "completion_window": body.get("completion_window", "24h"),
            "created_at": now, "expires_at": now + 86400, "metadata": body.get("metadata"),
            "request_counts": {"total": 0, "completed": 0, "failed": 0}}


def _jsonl(records: list[JSON]) -> bytes:
    return "".join(json.dumps(record) + "\n" for record in records).encode()


# ---------------------------------------------------------------------- HTTP


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request as received; header names are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None when the body was not JSON (e.g. a file upload)


class _HTTPServer(ThreadingHTTPServer):
    """Knows its FakeLLMServer and its open connections, so stop() can cut them."""

    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 drops SYNs under benchmark concurrency

    def __init__(self, fake: FakeLLMServer) -> None:
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", fake.bind_port), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn), slow on some hosts.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and left is expected, not worth a traceback; a bug is.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self.connections_lock:
            for conn in self.connections:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class _Handler(BaseHTTPRequestHandler):
    """Reads a request, lets FakeLLMServer answer it, writes or withholds the reply."""

    protocol_version = "HTTP/1.1"  # keep-alive, as httpx2's connection pool expects
    disable_nagle_algorithm = True  # else headers and body in two writes wait ~40 ms for an ACK
    server_version = "fakeserver"
    sys_version = ""
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        # Silent: request lines are noise in test output, and nothing may echo a key.
        pass

    def _serve(self) -> None:
        raw_body = self._read_body()
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.fake.handle(self.command, self.path, headers, raw_body)
        if reply.delay > 0 and self.server.fake.stopping.wait(reply.delay):
            reply = Reply(drop=True)
        try:
            self._write(reply)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up first (its timeout fired)

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            return self._read_chunked()
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(chunks)

    def _write(self, reply: Reply) -> None:
        if reply.drop:
            self.close_connection = True
            return
        is_bytes = isinstance(reply.payload, bytes)
        data = reply.payload if is_bytes else json.dumps(reply.payload).encode()
        self.send_response(reply.status)
        self.send_header("content-type", "application/octet-stream" if is_bytes else "application/json")
        for name, value in reply.headers.items():
            if name.lower() != "content-type":
                self.send_header(name, value)
        self.send_header("x-request-id", new_id("req_"))
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


Route = Callable[[RecordedRequest, bytes, str], Reply]


class UnscriptedRequest(Exception):
    """A request the test did not script: recorded, answered 500, and failed at teardown."""


class FakeLLMServer:
    """An OpenAI-compatible endpoint on 127.0.0.1 with scripted answers and faults.

    Thread-safe: requests are served concurrently; the queue, the record and
    the rate limiter are guarded. `latency` is added to every chat completion;
    `rpm` turns on a requests-per-minute limit answered with real-looking 429s.
    """

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        latency: float = 0.0,
        rpm: int | None = None,
        responder: Responder | None = None,
        batch_step: float = 0.0,
        burst: int | None = None,
        port: int = 0,
        limiter: Literal["bucket", "window"] = "bucket",
        strict: bool = True,
    ) -> None:
        self.model = model
        # Strict (the default): a chat request with nothing scripted for it, a responder that raises, or a
        # scripted answer never played fails the test at teardown (``check``), instead of being forgiven.
        self.strict = strict
        self.bind_port = port
        self.latency = latency
        self.responder = responder
        self.budget: RequestBudget | WindowBudget | None = None
        if rpm:
            self.budget = WindowBudget(rpm) if limiter == "window" else RequestBudget(rpm, burst=burst)
        self.stopping = threading.Event()
        self.batch = BatchAPI(self._complete_offline, self.stopping, batch_step)
        self._queue: deque[Spec] = deque()
        self._requests: list[RecordedRequest] = []
        self.failures: list[Exception] = []  # exceptions raised while serving (responder bugs)
        self._lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._routes = self._route_table()

    # lifecycle

    def start(self) -> Self:
        """Bind a free port and serve from a daemon thread."""
        if self._httpd is not None:
            raise RuntimeError("FakeLLMServer already started")
        self.stopping.clear()
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hung replies and idle keep-alive connections are cut at once."""
        if self._httpd is None:
            return
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        if exc_info[0] is None:
            self.check()

    def check(self) -> None:
        """Fail when the test left scripted answers unplayed, sent what nothing scripted, or a responder raised."""
        if not self.strict:
            return
        problems = [f"{type(e).__name__}: {e}" for e in self.failures]
        if self.pending:
            problems.append(f"{self.pending} scripted answers never requested (enqueue fewer, or strict=False)")
        if problems:
            raise AssertionError("fakeserver: " + "; ".join(problems))

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeLLMServer is not running; call start() first")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """What to pass as openai.OpenAI(base_url=...)."""
        return f"http://127.0.0.1:{self.port}/v1"

    # scripting and inspection

    def enqueue(self, *specs: Spec) -> None:
        """Answer the next chat completions with these specs, in order."""
        with self._lock:
            self._queue.extend(specs)

    @property
    def pending(self) -> int:
        """Specs enqueued but not yet served: a test can assert none were left unplayed."""
        with self._lock:
            return len(self._queue)

    def take_unplayed(self) -> int:
        """How many scripted answers were never requested, forgetting them: for a test that enqueues an answer
        to show that it is not asked for (no retry), and says so."""
        with self._lock:
            left = len(self._queue)
            self._queue.clear()
        return left

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every HTTP request received, oldest first."""
        with self._lock:
            return list(self._requests)

    def count(self, path: str | None = None) -> int:
        """How many HTTP requests arrived, at `path` (e.g. CHAT_PATH) or in all.

        Requests the rate limiter turned away count too: they reached the server.
        """
        with self._lock:
            return sum(1 for r in self._requests if path is None or r.path == path)

    def reset(self) -> None:
        """Forget recorded requests and unplayed specs (the responder stays)."""
        with self._lock:
            self._queue.clear()
            self._requests.clear()

    # request handling

    def handle(self, method: str, target: str, headers: dict[str, str], raw_body: bytes) -> Reply:
        """Record the request and route it; called from handler threads."""
        path = target.split("?", 1)[0]
        request = RecordedRequest(method, path, headers, _parse_json(raw_body))
        with self._lock:
            self._requests.append(request)
        for route_method, pattern, route in self._routes:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return self._guarded(route, request, raw_body, match.groupdict().get("id") or "")
        return json_error(404, f"Unknown route: {method} {path}")

    def _guarded(self, serve: Callable[..., Reply], *args: Any) -> Reply:
        """A bug in a responder (or here) becomes a 500 that names it, not a dropped socket."""
        try:
            return serve(*args)
        except Exception as exc:
            with self._lock:
                self.failures.append(exc)
            return json_error(500, f"fakeserver: {type(exc).__name__}: {exc}", "fakeserver_error")

    def _route_table(self) -> list[tuple[str, re.Pattern[str], Route]]:
        ident = r"(?P<id>[\w-]+)"
        batch = self.batch
        table: list[tuple[str, str, Route]] = [
            ("POST", CHAT_PATH, lambda r, _b, _i: self._chat(r)),
            ("GET", "/v1/models", lambda _r, _b, _i: self._models()),
            ("POST", "/v1/files", lambda r, b, _i: batch.upload(b, r.headers.get("content-type", ""))),
            ("GET", f"/v1/files/{ident}", lambda _r, _b, i: batch.file_meta(i)),
            ("GET", f"/v1/files/{ident}/content", lambda _r, _b, i: batch.file_content(i)),
            ("DELETE", f"/v1/files/{ident}", lambda _r, _b, i: batch.delete_file(i)),
            ("POST", "/v1/batches", lambda r, _b, _i: batch.create(r.body)),
            ("GET", f"/v1/batches/{ident}", lambda _r, _b, i: batch.get(i)),
            ("POST", f"/v1/batches/{ident}/cancel", lambda _r, _b, i: batch.cancel(i)),
        ]
        return [(method, re.compile(pattern), route) for method, pattern, route in table]

    def _chat(self, request: RecordedRequest) -> Reply:
        if not isinstance(request.body, dict):
            return json_error(400, "We could not parse the JSON body of your request.")
        if request.body.get("stream"):
            return json_error(400, "fakeserver does not stream; call without stream=True.")
        admitted, limit_headers = self.budget.admit() if self.budget else (True, {})
        if not admitted:
            return Reply(429, rate_limited(None).body, limit_headers)
        reply = self._reply_for(self._next_spec(request.body), request.body)
        headers = {**limit_headers, "openai-processing-ms": str(round(self.latency * 1000))}
        return replace(reply, headers={**headers, **reply.headers}, delay=reply.delay + self.latency)

    def _next_spec(self, body: JSON) -> Spec:
        """The queue first, then the responder; then, when not strict, a valid empty answer."""
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        responder = self.responder
        if responder is not None:
            return responder(body)
        if self.strict:
            raise UnscriptedRequest("a chat request arrived with nothing enqueued and no responder")
        return answer({"events": []})

    def _reply_for(self, spec: Spec, body: JSON) -> Reply:
        if isinstance(spec, Answer):
            return Reply(200, render_completion(spec, body, self.model), delay=spec.delay)
        if isinstance(spec, Error):
            return Reply(spec.status, spec.body, spec.headers, spec.delay)
        return Reply(drop=True, delay=spec.delay)

    def _complete_offline(self, body: JSON) -> tuple[int, JSON]:
        """One batch line: the same specs as live traffic; a drop becomes a 500."""
        reply = self._guarded(lambda: self._reply_for(self._next_spec(body), body))
        if reply.delay > 0 and self.stopping.wait(reply.delay):
            reply = Reply(drop=True)
        if reply.drop:
            return 500, error_body("The connection was dropped.", "server_error")
        return reply.status, reply.payload

    def _models(self) -> Reply:
        model = {"id": self.model, "object": "model", "created": 1700000000, "owned_by": "fakeserver"}
        return Reply(200, {"object": "list", "data": [model]})


def _parse_json(raw_body: bytes) -> Any:
    """The body as JSON, or None for empty or non-JSON bodies (uploads)."""
    if not raw_body:
        return None
    try:
        return json.loads(raw_body)
    except ValueError:
        return None


def _serve_forever(argv: list[str]) -> None:
    """``python fakeserver.py --port N [--model NAME] ...``: stand in for a model server process
    (the local-model lifecycle tests start it as the llama.cpp server); extra arguments are ignored."""
    port = int(argv[argv.index("--port") + 1]) if "--port" in argv else 0
    model = argv[argv.index("--model_alias") + 1] if "--model_alias" in argv else DEFAULT_MODEL
    responder = (lambda body: hang(600)) if "--hang" in argv else None
    with FakeLLMServer(port=port, model=model, responder=responder, strict=False) as server:
        print(f"serving on {server.base_url}", flush=True)
        server.stopping.wait()


if __name__ == "__main__":
    _serve_forever(sys.argv[1:])
