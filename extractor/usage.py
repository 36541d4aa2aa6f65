"""Tokens spent on an article, and the one rule of thumb that estimates them.

Usage is counted where responses arrive (the HTTP layer), so refusals,
truncations and re-asks all count; the estimate serves the budget, the input
length check and --tpm pacing, so the three can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Usage:
    """Tokens spent on one article, summed over every attempt."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, usage: Any) -> None:
        """Add a provider's usage object (or another Usage); None adds nothing."""
        if usage is not None:
            self.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
            self.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)

    def to_dict(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens}

    @classmethod
    def of(cls, usage: Any) -> Usage:
        """A Usage holding a provider's usage object (None: nothing spent)."""
        total = cls()
        total.add(usage)
        return total


def approx_tokens(chars: int) -> int:
    """Tokens in a text of ``chars`` characters, at about four characters a token."""
    return chars // 4
