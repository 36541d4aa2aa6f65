"""An output file written record by record, each record all or nothing on disk.

A write that fails (no space, a vanished disk, a revoked permission) is
undone by truncating the file back to where the record began, and becomes
an ``OutputError`` naming the file (the run adds how many records are safely
written and how to resume). A killed process can still leave a torn last
line; ``resume.repair_torn_tail`` cuts it before the rerun appends.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from extractor.errors import ConfigError, OutputError


def open_output(path: Path, flags: int) -> int:
    """A descriptor for the output file (its folder made if missing), or a one-line ConfigError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, flags, 0o644)
    except IsADirectoryError:
        raise ConfigError(f"--output {path} is a directory; give a file path") from None
    except (FileExistsError, NotADirectoryError):
        raise ConfigError(f"--output {path}: part of its folder path is a file, not a folder; "
                          "give another path") from None
    except OSError as exc:
        raise ConfigError(f"--output {path} cannot be opened for writing ({exc.strerror}); "
                          "check the path and its permissions") from None


class FileSink:
    """Unbuffered writes of whole records to one file (appended, or replacing it)."""

    def __init__(self, path: Path, *, append: bool) -> None:
        self.path = path
        self.fd = open_output(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC))

    def write(self, text: str) -> None:
        """Write ``text`` whole, or leave the file as it was and raise an OutputError."""
        data = memoryview(text.encode("utf-8"))
        start = os.lseek(self.fd, 0, os.SEEK_END)
        try:
            while data:
                data = data[os.write(self.fd, data):]
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, start)
            raise OutputError(f"cannot write {self.path} ({exc.strerror or exc})") from None

    def flush(self) -> None:
        """Writes are unbuffered: each record is with the kernel once ``write`` returns."""

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)
