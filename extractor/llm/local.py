"""A llama.cpp server for a local GGUF model: started for a run, always stopped.

``LocalModelSource`` is the source of answers for ``local:NAME`` and
``gguf:PATH`` models. On the first question it starts llama-cpp-python's
OpenAI-compatible server on a free 127.0.0.1 port, waits until it answers,
and from then on asks it through the same ``ModelClient`` as any server, so
cache, retries, validation, pacing and usage all apply. The server is
stopped when the run closes its source (the end of a run, an error, Ctrl-C),
by an ``atexit`` hook if the interpreter exits some other way, and by the
kernel (``PR_SET_PDEATHSIG``) if extractor itself is killed: no orphaned
server, ever.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib.util
import logging
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from extractor.clock import REAL_CLOCK, Clock
from extractor.errors import ConfigError
from extractor.llm.catalogue import gguf_path
from extractor.llm.structured import ModelAnswer, Question
from extractor.settings import Settings

log = logging.getLogger(__name__)
CONTEXT_TOKENS = 16_384
READY_TIMEOUT = 180.0
STOP_GRACE = 3.0  # seconds a stopped server may take to exit before it is killed
_RUNNING: set[LocalServer] = set()


def check_chat_template(path: Path) -> None:
    """A ConfigError for a GGUF with no chat template: a base model would get the prompt mangled.

    Without a template the server falls back to a generic chat format, in
    which the system prompt (the codebook) is dropped: the answers would be
    valid and empty. Refused instead, in one line.
    """
    if importlib.util.find_spec("gguf") is None:
        raise ConfigError("local models need the 'local' extra: pip install 'extractor[local]'")
    from gguf import GGUFReader

    try:
        fields = GGUFReader(str(path)).fields
    except Exception as exc:  # not a GGUF file, or a damaged one
        raise ConfigError(f"{path}: not a readable GGUF file ({exc})") from None
    if "tokenizer.chat_template" not in fields:
        raise ConfigError(f"{path}: the model has no chat template (a base model, not an instruction-tuned one); "
                          "it would not see the instructions; use an instruct or chat GGUF")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    """In the child, before exec: ask the kernel to kill it when extractor dies (Linux).

    SIGKILL, not SIGTERM: on SIGTERM the server would first finish the request
    it is computing, minutes on a CPU, for nobody.
    """
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class LocalServer:
    """One llama-cpp-python server process for one GGUF file."""

    def __init__(self, path: Path, alias: str, log_path: Path, *, threads: int | None = None,
                 context: int = CONTEXT_TOKENS, program: list[str] | None = None) -> None:
        self.path, self.alias, self.log_path = path, alias, log_path
        # The server program; tests put a stand-in here.
        self.program = program or [sys.executable, "-m", "llama_cpp.server"]
        self.threads = threads or len(os.sched_getaffinity(0))
        self.context = context
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        return [
            *self.program, "--model", str(self.path), "--model_alias", self.alias,
            "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.context),
            "--n_threads", str(self.threads), "--n_threads_batch", str(self.threads),
            # Logits for every prompt position are only needed for speculative decoding;
            # without them the server needs 2 GB, not 7.
            "--logits_all", "False", "--verbose", "False",
        ]

    def start(self) -> str:
        """Start the server and wait until it answers; returns its base URL."""
        self.launch()
        self.wait_ready()
        return self.base_url

    def launch(self) -> None:
        """Start the process (from the thread that outlives the run: the kernel ties its
        parent-death signal to the thread that started it)."""
        if self.program[1:3] == ["-m", "llama_cpp.server"] and importlib.util.find_spec("llama_cpp") is None:
            raise ConfigError("local models need the 'local' extra: pip install 'extractor[local]' "
                              "(builds llama-cpp-python, about 10 minutes on 2 cores)")
        self.port = free_port()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as sink:
            self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=sink, stderr=sink,
                                            start_new_session=True, preexec_fn=_die_with_parent)
        _RUNNING.add(self)

    def wait_ready(self) -> None:
        """Block until the server answers; stop it and raise a ConfigError if it dies or stays silent."""
        try:
            self._poll_ready()
        except BaseException:
            self.stop()
            raise
        log.info("local model server for %s on %s", self.alias, self.base_url)

    def _poll_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            process = self.process
            if process is None:
                raise ConfigError(f"the local model server for {self.path.name} was stopped while it started")
            if process.poll() is not None:
                raise ConfigError(f"the local model server for {self.path.name} exited with code "
                                  f"{process.returncode}: {self._last_log_line()} (log: {self.log_path})")
            if _answers(self.base_url + "/models"):
                return
            time.sleep(0.25)
        raise ConfigError(f"the local model server for {self.path.name} did not answer within {READY_TIMEOUT:.0f} s "
                          f"(log: {self.log_path})")

    def _last_log_line(self) -> str:
        try:
            lines = [line for line in self.log_path.read_text("utf-8", "replace").splitlines() if line.strip()]
        except OSError:
            return "no log"
        return lines[-1][:300] if lines else "no output"

    def stop(self) -> None:
        """Stop the server's process group: SIGTERM, then SIGKILL after a grace period."""
        process, self.process = self.process, None
        _RUNNING.discard(self)
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
            return bool(response.status == 200)
    except OSError:
        return False


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        server.stop()


class LocalModelSource:
    """The source of answers for a local model: a server started on first use, a client to it."""

    def __init__(self, settings: Settings, clock: Clock = REAL_CLOCK, program: list[str] | None = None) -> None:
        self.settings, self.clock = settings, clock
        # EXTRACTOR_LOCAL_SERVER: another program that takes llama-cpp-python server's arguments.
        override = os.environ.get("EXTRACTOR_LOCAL_SERVER")
        self.program = program or (shlex.split(override) if override else None)
        # Found when the run starts, before any article: a strategy that asks nothing of an article (ask)
        # would otherwise finish a run on a model that is not there. Its chat template is checked when the
        # server starts: reading a GGUF's metadata takes about 20 s for a 1.5B model's vocabulary.
        self.path = gguf_path(settings.model)
        self.server: LocalServer | None = None
        self._client: Any = None
        self._lock = asyncio.Lock()

    async def answer(self, question: Question) -> ModelAnswer:
        client = await self._started()
        answer: ModelAnswer = await client.answer(question)
        return answer

    async def _started(self) -> Any:
        async with self._lock:
            if self._client is None:
                from extractor.llm.client import ModelClient

                await asyncio.to_thread(check_chat_template, self.path)
                self.server = LocalServer(self.path, self.settings.model, self.settings.cache_dir / "local-server.log",
                                          program=self.program)
                self.server.launch()
                await asyncio.to_thread(self.server.wait_ready)
                self._client = ModelClient(self.settings.with_(base_url=self.server.base_url), self.clock)
        return self._client

    @property
    def mode(self) -> str:
        return str(self._client.mode) if self._client is not None else self.settings.mode

    async def close(self) -> None:
        try:
            if self._client is not None:
                await self._client.close()
        finally:
            if self.server is not None:
                self.server.stop()
