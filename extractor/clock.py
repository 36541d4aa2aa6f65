"""Time as the retries and the pacer see it, so that tests can replace it.

Backoff, Retry-After pauses and rate pacing all wait through a ``Clock``; a
test passes one whose ``sleep`` advances a virtual time at once, and a run of
minutes of backoff takes milliseconds while every wait is still asserted.
"""

from __future__ import annotations

import asyncio
import time


class Clock:
    """The real clock: monotonic seconds, and asyncio's sleep."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


REAL_CLOCK = Clock()
