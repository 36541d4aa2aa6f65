"""Prompt templates from ``prompts/``, rendered with the article as a value.

A prompt is a folder holding ``system.md`` and ``user.md`` (Jinja templates).
The article is passed to the template as a value, so ``{{``, ``{%`` or ``$x``
inside an article reaches the model literally. A prompt's version is a hash of
its template text: it goes into every output record and the cache key, so an
edited prompt never reuses answers cached for the old one.
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

PARTS = ("system", "user")
Message = dict[str, str]


@dataclass(frozen=True)
class Prompt:
    """A named pair of templates and the hash that versions them."""

    name: str
    system: str
    user: str

    @property
    def version(self) -> str:
        digest = hashlib.sha256(f"{self.system}\x00{self.user}".encode()).hexdigest()
        return digest[:12]


def available_prompts() -> list[str]:
    """Names of every prompt that can be loaded."""
    names = {d.name for base in prompt_dirs() for d in base.iterdir() if _is_prompt(d)}
    return sorted(names)


def _is_prompt(folder: Path) -> bool:
    return all((folder / f"{part}.md").is_file() for part in PARTS)


@cache
def load_prompt(name: str) -> Prompt:
    """The prompt called ``name``, or a ConfigError listing the ones there are."""
    for base in prompt_dirs():
        folder = base / name
        if "/" not in name and "\\" not in name and _is_prompt(folder):
            texts = {part: (folder / f"{part}.md").read_text("utf-8") for part in PARTS}
            return Prompt(name=name, system=texts["system"], user=texts["user"])
    known = ", ".join(available_prompts()) or "none found"
    raise ConfigError(f"unknown prompt {name!r}; choose one of: {known}")


@cache
def _template(text: str) -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True)
    return env.from_string(text)


def render_messages(prompt: Prompt, article: Article) -> list[Message]:
    """The chat messages for one article; the article text is a value, never a template."""
    values = {
        "article": article.text,
        "published": article.published.isoformat() if article.published else None,
        "title": article.title,
    }
    return [
        {"role": "system", "content": _template(prompt.system).render(**values).strip()},
        {"role": "user", "content": _template(prompt.user).render(**values).strip()},
    ]
