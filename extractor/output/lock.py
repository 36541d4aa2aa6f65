"""One writer per output file: a run holds an exclusive lock on its ``--output`` while it writes.

Two runs on one file (a cron overlap, two terminals) would each see the same
ids missing and both process every article. The lock is ``flock`` on the
output file itself, so it ends with the process however it ends (a killed
run leaves no stale lock), readers (``score``, ``evals file:``) are never
blocked, and no lock file is left beside the output. (An output that is replaced
whole, as ``extractor attacks`` replaces its file, cannot be locked itself:
it locks a file beside it and names the output with ``shown``.) The second run fails at
once, naming the file and, where ``/proc/locks`` tells, the other process.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from extractor.errors import ConfigError
from extractor.output.sink import open_output


class OutputLocked(ConfigError):
    """Another run is writing this output file."""


@contextlib.contextmanager
def output_lock(path: Path, shown: Path | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the block; fail at once if taken.

    ``shown`` is the file the user named, when the lock is a file beside it.
    """
    import fcntl

    fd = open_output(path, os.O_RDWR | os.O_CREAT)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            who = f" (pid {holder})" if holder else ""
            raise OutputLocked(f"{shown or path} is being written by another extractor run{who}; wait for it to finish, "
                               "or give this run another --output") from None
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


def _holder(fd: int) -> int | None:
    """The pid that holds a flock on the file open as ``fd``, from /proc/locks (Linux), if it can tell."""
    stat = os.fstat(fd)
    wanted = f"{os.major(stat.st_dev):02x}:{os.minor(stat.st_dev):02x}:{stat.st_ino}"
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == wanted and fields[4].isdigit():
            pid = int(fields[4])
            if pid != os.getpid():
                return pid
    return None
