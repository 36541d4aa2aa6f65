"""The request lines of a batch, split into files within the provider's limits.

A line's body is ``llm.structured.request_body``: what instructor sends for
the same messages in the same mode, byte for byte. The format is OpenAI's
batch JSONL (``custom_id``, ``method``, ``url``, ``body``), which vLLM's batch
runner and other providers accept too.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

CHAT_ENDPOINT = "/v1/chat/completions"
# OpenAI's limits per batch input file.
MAX_REQUESTS_PER_FILE = 50_000
MAX_FILE_BYTES = 200_000_000
_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]")
_CUSTOM_ID_ROOM = 64


def custom_id_for(article_id: str, taken: set[str]) -> str:
    """A unique, provider-safe custom_id that still reads as the article id.

    Ids that are safe and short stay as they are; others get their unsafe
    characters replaced and a hash of the original appended, so two ids that
    clean up alike cannot collide.
    """
    candidate = article_id
    if _UNSAFE.search(article_id) or len(article_id) > _CUSTOM_ID_ROOM or article_id in taken:
        digest = hashlib.sha256(article_id.encode("utf-8")).hexdigest()[:10]
        candidate = f"{_UNSAFE.sub('_', article_id)[: _CUSTOM_ID_ROOM - 11]}-{digest}"
    number = 1
    unique = candidate
    while unique in taken:
        number += 1
        unique = f"{candidate}-{number}"
    taken.add(unique)
    return unique


def request_line(custom_id: str, body: dict[str, Any]) -> bytes:
    """One line of a batch input file."""
    line = {"custom_id": custom_id, "method": "POST", "url": CHAT_ENDPOINT, "body": body}
    return (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


@dataclass
class RequestFile:
    """One batch input file on disk and the custom_ids it holds."""

    path: Path
    custom_ids: list[str] = field(default_factory=list)
    size: int = 0


class RequestFiles:
    """Writes request lines into numbered files, starting a new one at either limit.

    Lines go straight to disk, so a corpus of any size needs no more memory
    than one line.
    """

    def __init__(self, directory: Path, max_requests: int = MAX_REQUESTS_PER_FILE,
                 max_bytes: int = MAX_FILE_BYTES) -> None:
        self.directory = directory
        self.max_requests = max_requests
        self.max_bytes = max_bytes
        self.files: list[RequestFile] = []
        self._handle: IO[bytes] | None = None

    def fits(self, line: bytes) -> bool:
        """Whether a line can go into any file at all."""
        return len(line) <= self.max_bytes

    def add(self, custom_id: str, line: bytes) -> None:
        current = self.files[-1] if self.files else None
        if current is None or len(current.custom_ids) >= self.max_requests or current.size + len(line) > self.max_bytes:
            current = self._start()
        assert self._handle is not None
        self._handle.write(line)
        current.custom_ids.append(custom_id)
        current.size += len(line)

    def _start(self) -> RequestFile:
        self.close()
        started = RequestFile(self.directory / f"requests-{len(self.files) + 1:03d}.jsonl")
        self._handle = started.path.open("wb")
        self.files.append(started)
        return started

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
