"""The strategies: how a model is asked, what it answers in, and how its answer becomes codebook events.

One registry (as instructor has one ``Mode`` enum and one table of what each
mode does): a strategy names the prompt templates it renders (a folder of
``prompts/``), the answer format the model fills (``codebook``: the
``Extraction`` itself; ``figures``: a flat list of figures with quotes;
``answers``: one closed answer per count the offline model left unread), the
assembler that turns that answer into events (``codebook``: as it is;
``figures``: assembled by code; ``merge``: merged into the offline model's
events; ``ask``: added to them), and whether the offline model's reading is
shown as a draft.
``--prompt NAME`` chooses one. Two strategies that ask the same (the same
templates, answer format and draft) share the model's cached answers
(``Prompt.request_version``); a prompt folder that no built-in strategy names
is a codebook strategy of its own, so a user's own templates need no entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

AnswerName = Literal["codebook", "figures", "answers"]
AssemblerName = Literal["codebook", "figures", "merge", "ask"]
#: Which assemblers can read which answer format.
ASSEMBLERS: dict[AnswerName, tuple[AssemblerName, ...]] = {"codebook": ("codebook",),
                                                           "figures": ("figures", "merge"),
                                                           "answers": ("ask",)}


@dataclass(frozen=True)
class Strategy:
    """A named way of asking: templates, answer format, assembler, draft."""

    name: str
    templates: str
    answer: AnswerName = "codebook"
    assembler: AssemblerName = "codebook"
    draft: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        if self.assembler not in ASSEMBLERS[self.answer]:
            raise ValueError(f"strategy {self.name}: a {self.answer} answer is not assembled by {self.assembler}")

    @property
    def asks(self) -> str:
        """What shapes the request (not how the answer is assembled), for the cache key."""
        return f"answer={self.answer};draft={self.draft}" if (self.answer, self.draft) != ("codebook", False) else ""

    @property
    def shape(self) -> str:
        """Everything but the templates that makes the strategy what it is, for its version."""
        return "" if self == codebook_strategy(self.name, self.templates, self.description) else (
            f"{self.asks};assembler={self.assembler}")


def codebook_strategy(name: str, templates: str | None = None, description: str = "") -> Strategy:
    """The plain strategy: templates asking for the codebook's ``Extraction`` directly."""
    return Strategy(name, templates or name, description=description)


STRATEGIES: dict[str, Strategy] = {s.name: s for s in (
    codebook_strategy("default", description="The codebook in full, answered as Extraction."),
    codebook_strategy("brief", description="A shorter codebook prompt, answered as Extraction."),
    Strategy("figures", "figures", "figures", "figures",
             description="A short prompt with a worked example; the model lists attacks and figures with quotes, "
                         "code assembles the codebook events."),
    Strategy("merge", "figures", "figures", "merge",
             description="The figures prompt; the figures are merged into the offline model's events (nothing "
                         "it states is overwritten)."),
    Strategy("draft", "draft", "figures", "figures", draft=True,
             description="The offline model's reading is shown as a draft in the figures shape; the model "
                         "corrects and completes it."),
    Strategy("ask", "ask", "answers", "ask",
             description="The offline model reads the article; the model is shown only the sentences with counts "
                         "it left unread and says what each counts (killed, injured, launched, intercepted, other); "
                         "the answers are added to the offline events. No request when nothing is unread."),
)}


def strategy(name: str) -> Strategy:
    """The strategy called ``name``: a built-in one, else a prompt folder's own codebook strategy."""
    return STRATEGIES.get(name) or codebook_strategy(name)
