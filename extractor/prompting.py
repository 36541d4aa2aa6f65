"""Prompt templates from ``prompts/``, rendered with the article as a value.

A prompt is a strategy (``extractor.strategies``: templates, answer format,
assembler, draft) with its templates loaded: a folder holding ``system.md`` and
``user.md`` (Jinja templates). The article is passed to the template as a
value, so ``{{``, ``{%`` or ``$x`` inside an article reaches the model
literally. A prompt's version is a hash of its templates and its strategy: it
goes into every output record, and the request's part of it into the cache
key, so an edited prompt never reuses answers cached for the old one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from extractor.articles import Article
from extractor.errors import ConfigError
from extractor.resources import prompt_dirs
from extractor.strategies import STRATEGIES, Strategy, strategy

PARTS = ("system", "user")
Message = dict[str, str]


@dataclass(frozen=True)
class Prompt:
    """A strategy with its templates, and the hashes that version them."""

    name: str
    system: str
    user: str
    strategy: Strategy

    @property
    def version(self) -> str:
        """The hash of the templates and the strategy: what records name."""
        return _hash(self.system, self.user, self.strategy.shape)

    @property
    def request_version(self) -> str:
        """The hash of what shapes the request (templates, answer format, draft), not of how the answer
        is assembled: the cache key's, so that two strategies asking the same share the model's answers."""
        return _hash(self.system, self.user, self.strategy.asks)

    @property
    def assembler(self) -> str:
        return self.strategy.assembler

    @property
    def answer(self) -> str:
        return self.strategy.answer

    @property
    def shows_draft(self) -> bool:
        return self.strategy.draft


def _hash(system: str, user: str, extra: str) -> str:
    text = f"{system}\x00{user}" + (f"\x00{extra}" if extra else "")
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def available_prompts() -> list[str]:
    """Names of every prompt that can be loaded: the built-in strategies and every prompt folder."""
    folders = {d.name for base in prompt_dirs() for d in base.iterdir() if _is_prompt(d)}
    return sorted(folders | {name for name, s in STRATEGIES.items() if s.templates in folders})


def _is_prompt(folder: Path) -> bool:
    return all((folder / f"{part}.md").is_file() for part in PARTS)


@cache
def load_prompt(name: str) -> Prompt:
    """The prompt called ``name``, or a ConfigError listing the ones there are."""
    chosen = strategy(name)
    for base in prompt_dirs():
        folder = base / chosen.templates
        if "/" not in name and "\\" not in name and _is_prompt(folder):
            texts = {part: (folder / f"{part}.md").read_text("utf-8") for part in PARTS}
            return Prompt(name=name, system=texts["system"], user=texts["user"], strategy=chosen)
    known = ", ".join(available_prompts()) or "none found"
    raise ConfigError(f"unknown prompt {name!r}; choose one of: {known}")


@cache
def _template(text: str) -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True)
    return env.from_string(text)


def render_messages(prompt: Prompt, article: Article, shown: dict[str, str | None] | None = None) -> list[Message]:
    """The chat messages for one article; the article text (and what else is ``shown``: the offline
    model's draft, the questions) are values, never templates."""
    values = {
        "article": article.text,
        "published": article.published.isoformat() if article.published else None,
        "title": article.title,
        "draft": None,
        "questions": None,
        **(shown or {}),
    }
    return [
        {"role": "system", "content": _template(prompt.system).render(**values).strip()},
        {"role": "user", "content": _template(prompt.user).render(**values).strip()},
    ]
