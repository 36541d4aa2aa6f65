"""Prompt templates from ``prompts/``, rendered with the article as a value.

A prompt is a folder holding ``system.md`` and ``user.md`` (Jinja templates)
and, optionally, ``prompt.json``: which answer format it asks for (``answer``:
``codebook``, the default, or ``figures``), how it is assembled into events
(``assembler``: ``figures``, or ``merge`` into the offline model's events),
and whether the offline model's draft is shown to the model (``draft``). The article is passed to the
template as a value, so ``{{``, ``{%`` or ``$x`` inside an article reaches the
model literally. A prompt's version is a hash of its files: it goes into
every output record and the cache key, so an edited prompt never reuses
answers cached for the old one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from extractor.articles import Article
from extractor.errors import ConfigError
from extractor.resources import prompt_dirs

PARTS = ("system", "user")
Message = dict[str, str]


META = "prompt.json"
ANSWER_FORMATS = ("codebook", "figures")
ASSEMBLERS = {"codebook": ("codebook",), "figures": ("figures", "merge")}


@dataclass(frozen=True)
class Prompt:
    """A named pair of templates, what they ask for, and the hash that versions them."""

    name: str
    system: str
    user: str
    meta: str = ""
    options: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def version(self) -> str:
        """The hash of every file of the prompt: what records name."""
        text = f"{self.system}\x00{self.user}" + (f"\x00{self.meta}" if self.meta else "")
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def request_version(self) -> str:
        """The hash of what shapes the request (templates, answer format, draft), not of how the answer
        is assembled: the cache key's, so that two strategies asking the same share the model's answers."""
        asks = {k: v for k, v in self.options.items() if k in ("answer", "draft")}
        if not asks and not self.meta:
            return self.version
        text = f"{self.system}\x00{self.user}\x00" + json.dumps(asks, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def assembler(self) -> str:
        return str(self.options.get("assembler", self.answer))

    @property
    def answer(self) -> str:
        return str(self.options.get("answer", "codebook"))

    @property
    def shows_draft(self) -> bool:
        return bool(self.options.get("draft", False))


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
            meta = (folder / META).read_text("utf-8") if (folder / META).is_file() else ""
            return Prompt(name=name, system=texts["system"], user=texts["user"], meta=meta,
                          options=_options(folder, meta))
    known = ", ".join(available_prompts()) or "none found"
    raise ConfigError(f"unknown prompt {name!r}; choose one of: {known}")


def _options(folder: Path, meta: str) -> dict[str, Any]:
    try:
        options = json.loads(meta) if meta else {}
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{folder / META}: not JSON ({exc.msg})") from None
    answer = options.get("answer", "codebook") if isinstance(options, dict) else None
    if answer not in ANSWER_FORMATS:
        raise ConfigError(f"{folder / META}: 'answer' must be one of {', '.join(ANSWER_FORMATS)}")
    if options.get("assembler", answer) not in ASSEMBLERS[answer]:
        raise ConfigError(f"{folder / META}: 'assembler' must be one of {', '.join(ASSEMBLERS[answer])}")
    return options


@cache
def _template(text: str) -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True)
    return env.from_string(text)


def render_messages(prompt: Prompt, article: Article, draft: str | None = None) -> list[Message]:
    """The chat messages for one article; the article text (and a draft) are values, never templates."""
    values = {
        "article": article.text,
        "published": article.published.isoformat() if article.published else None,
        "title": article.title,
        "draft": draft,
    }
    return [
        {"role": "system", "content": _template(prompt.system).render(**values).strip()},
        {"role": "user", "content": _template(prompt.user).render(**values).strip()},
    ]
