"""Resuming a run from its output file: what is already done, and a torn last line cut away.

On resume a torn last line (a write cut off by SIGKILL) is cut away before
anything is appended, and the ids already on disk are skipped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO


def repair_torn_tail(path: Path) -> None:
    """Cut a last line that was being written when the process died."""
    with path.open("rb+") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        if size == 0:
            return
        handle.seek(max(0, size - 1))
        if handle.read(1) == b"\n":
            return
        data = _tail(handle, size)
        cut = data.rfind(b"\n")
        handle.truncate(size - len(data) + cut + 1 if cut >= 0 else size - len(data))


def _tail(handle: IO[bytes], size: int, chunk: int = 1 << 20) -> bytes:
    start = max(0, size - chunk)
    handle.seek(start)
    data = handle.read()
    return data if start == 0 or b"\n" in data else _tail(handle, size, chunk * 4)


def done_ids(path: Path, retry_errors: bool = False) -> set[str]:
    """Ids that already have a record in ``path`` (all, or all but errors)."""
    if not path.exists():
        return set()
    repair_torn_tail(path)
    ids: set[str] = set()
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and "id" in record:
                if retry_errors and record.get("status") == "error":
                    ids.discard(str(record["id"]))
                else:
                    ids.add(str(record["id"]))
    return ids
