"""The ``ask`` strategy: the offline model reads the article, a small model answers closed questions where it is silent.

Asked for a whole structured answer, a 1.5B model on a CPU finds a third of
the facts and takes most of a minute; the offline model is precise but
leaves numbers it cannot read unread ("the death toll stood at 51", "483 of
the 524 detected airborne threats"). So the offline model proposes the
questions: every count in a sentence about a strike whose value none of its
figures states. Only those sentences are sent, each number marked, and the model
answers one word per number (``killed``, ``injured``, ``launched``,
``intercepted`` or ``other``): a few hundred prompt tokens and a few dozen
answer tokens instead of the whole article and a structured list. An article
whose numbers the offline model all read is not sent at all.

The answers become figure lines (place and weapon read from the words around
the number, as the offline model reads them; an answer the count's clause
does not bear out, such as a toll with no word of harm, is not taken) of the offline event they
belong to, and ``merge`` adds them where that event has no figure: nothing
the offline model stated is overwritten, so a wrong answer can only add a
figure, never remove one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from extractor.articles import Article
from extractor.assembly import offline_reading
from extractor.assembly.figures import AttackLine, FigureLine, Figures, category_words, kind_word
from extractor.assembly.merge import merge_into_rules
from extractor.rules.numbers import number_regex, parse_count
from extractor.rules.offline import story_sentences
from extractor.rules.places import find_places
from extractor.rules.weapons import categories_of
from extractor.schema import AttackEvent

Label = Literal["killed", "injured", "launched", "intercepted", "other"]
#: The most numbers one article asks about: past it, the rest stay the offline model's (unread).
MAX_QUESTIONS = 40
#: The most tokens one answer ("12": "intercepted",) is given, with room for a space or a line break.
ANSWER_TOKENS = 12
#: Characters of the sentence shown either side of a count.
WINDOW = 90
# A sentence about a strike: harm, weapons, or air defence.
_TOPIC = re.compile(r"kill|dead|die[ds]?\b|injur|wound|hurt|casualt|toll|perish|lives|victim|fatalit|hospital"
                    r"|drone|missile|uav|rocket|bomb|shahed|shot down|intercept|destroy|downed|launch|fired"
                    r"|aerial|target|threat", re.IGNORECASE)
# What a count of people or weapons is not: a measure, a sum of money, a share, a date, a time.
_UNIT_AFTER = re.compile(
    r"\s*-?(?:km|kilomet|mile|metre|meter|hour|minute|second|day|week|month|year|time|percent|per cent|tonne"
    r"|tons?\b|dollar|hryvni|euro|roubles?|rubles?|mw|megawatt|kv|floor|stor|sq|square|kg|million|billion"
    r"|thousand|a\.m|p\.m|gmt|utc|after another)", re.IGNORECASE)
_UNIT_BEFORE = re.compile(r"(?:[$\u20ac\u00a3:]|\bNo\.?|\bnumber|\bUAH|\bRUB)\s*$", re.IGNORECASE)
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_NOT_COUNTS = frozenset({"both", "single", "several", "a few"})
_CLAUSE_END = re.compile(r"[,;:()\u2013\u2014]|\band\b")
_COUNTED = frozenset({"killed", "injured", "launched", "intercepted"})
# A part of a count already given ("two of them", "among them four children", "19 of whom"): not a count of its own.
_PART_AFTER = re.compile(r"\s+(?:of\s+(?:them|whom|those|the\s+(?:injured|wounded|dead|victims|people))|children)\b",
                         re.IGNORECASE)
_PART_BEFORE = re.compile(r"(?:among them|including|of whom)\s+$", re.IGNORECASE)
# What a count's label must agree with in its clause: a toll needs words of harm, a weapon count words of weapons.
_CUES = {
    "killed": re.compile(r"kill|dead|death|die|perish|lives|fatalit|bod(?:y|ies)|toll|victim|casualt", re.IGNORECASE),
    "injured": re.compile(r"injur|wound|hurt|hospital|casualt|victim|toll", re.IGNORECASE),
    "launched": re.compile(r"drone|missile|uav|rocket|bomb|shahed|aerial|target|threat|weapon|projectile",
                           re.IGNORECASE),
    "intercepted": re.compile(r"shot down|intercept|destroy|downed|neutrali[sz]|repel|suppress|brought down",
                              re.IGNORECASE),
}


@dataclass(frozen=True)
class Candidate:
    """One count the offline model left unread: where it is, and the sentence it is in."""

    words: str  # the number as written ("51", "dozens of")
    value: int
    start: int  # offsets of the number in the article
    end: int
    sentence: int  # the index of its sentence among the article's question sentences


@dataclass(frozen=True)
class Questions:
    """The sentences asked about and their marked counts, in the article's order."""

    sentences: tuple[tuple[int, int], ...]  # (start, end) of each sentence in the article
    candidates: tuple[Candidate, ...]

    def render(self, text: str) -> str:
        """One numbered line per count: the words around it in its sentence, the count marked ``[[count]]``."""
        lines = []
        for number, found in enumerate(self.candidates, 1):
            start, end = self.sentences[found.sentence]
            left, right = _window(text, start, end, found)
            words = f"{text[left:found.start]}[[{text[found.start:found.end]}]]{text[found.end:right]}"
            lines.append(f"{number}. {' '.join(words.split())}")
        return "\n".join(lines)


def _window(text: str, start: int, end: int, found: Candidate) -> tuple[int, int]:
    """The sentence around a count, cut to WINDOW characters either side at word bounds."""
    left = max(start, found.start - WINDOW)
    right = min(end, found.end + WINDOW)
    if left > start:
        left = text.find(" ", left, found.start) + 1 or left
    if right < end:
        cut = text.rfind(" ", found.end, right)
        right = cut if cut > 0 else right
    return left, right


class Answers(BaseModel):
    """What each marked number counts, by the number of its line."""

    model_config = ConfigDict(extra="ignore")

    answers: dict[str, Label] = Field(
        default_factory=dict, description="for each numbered count: killed, injured, launched, intercepted or other")

    @field_validator("answers", mode="before")
    @classmethod
    def _labels(cls, answers: Any) -> Any:
        """Answers by number (a list is numbered from 1); a label in other words ("wounded", "shot down")
        is read as the four are; anything else is ``other``."""
        if isinstance(answers, list):
            answers = {str(n): a for n, a in enumerate(answers, 1)}
        if not isinstance(answers, dict):
            return answers
        labels: dict[Any, str] = {}
        for key, answer in list(answers.items())[:MAX_QUESTIONS]:
            word = kind_word(answer.get("answer", "") if isinstance(answer, dict) else answer)
            number = str(key).strip(" .#[]")
            if number.isdigit():
                labels[str(int(number))] = word if word in _COUNTED else "other"
        return labels


def questions_of(text: str, published: dt.date | None) -> Questions:
    """The counts of strike sentences that none of the offline model's figures quotes."""
    return _questions(text, published)


@lru_cache(maxsize=64)
def _questions(text: str, published: dt.date | None) -> Questions:
    read = {slot.figure.value for event in offline_reading(text, published).events for slot in event.figures()}
    sentences: list[tuple[int, int]] = []
    candidates: list[Candidate] = []
    for sentence in story_sentences(text):
        if not _TOPIC.search(sentence.text):
            continue
        found = [c for c in _counts(sentence.text, sentence.start, len(sentences)) if c.value not in read]
        if found and len(candidates) < MAX_QUESTIONS:
            sentences.append((sentence.start, sentence.end))
            candidates += found[:MAX_QUESTIONS - len(candidates)]
    return Questions(tuple(sentences), tuple(candidates))


def _counts(sentence: str, offset: int, index: int) -> list[Candidate]:
    found = []
    for match in re.finditer(number_regex(), sentence):
        words = match.group("num")
        before, after = sentence[:match.start("num")], sentence[match.end("num"):]
        if (words.lower() in _NOT_COUNTS or re.fullmatch(r"(?:19|20)\d\d", words) or _UNIT_AFTER.match(after)
                or _PART_AFTER.match(after) or _PART_BEFORE.search(before)
                or _UNIT_BEFORE.search(before) or re.search(_MONTH + r"\s*$", before)
                or re.match(r"\s*" + _MONTH, after)):
            continue
        count = parse_count(match.group("qual"), words)
        if count is not None:
            found.append(Candidate(words, count.value, offset + match.start("num"), offset + match.end("num"), index))
    return found


def assemble_answers(answer: Answers, article: Article) -> dict[str, Any]:
    """The offline model's events with the answered counts added where they have no figure, as codebook JSON."""
    text, questions = article.text, questions_of(article.text, article.published)
    events = offline_reading(text, article.published).events
    lines: dict[int, AttackLine] = {}
    for number, candidate in enumerate(questions.candidates, 1):
        label = answer.answers.get(str(number), "other")
        start, end = questions.sentences[candidate.sentence]
        if label == "other" or not events or not _CUES[label].search(_clause(text, start, end, candidate)):
            continue
        line = _figure_line(label, candidate, text, start, end)
        owner = _owner(events, text[start:end])
        attack = lines.setdefault(owner, _attack_line(events[owner]))
        attack.figures.append(line)
    return merge_into_rules(Figures(attacks=list(lines.values())), article)


def _figure_line(label: str, candidate: Candidate, text: str, start: int, end: int) -> FigureLine:
    """The answered count as a figure line: its clause as the quote, the nearest place, the weapon it counts."""
    line: dict[str, Any] = {"kind": label, "value": candidate.value, "quote": _clause(text, start, end, candidate)}
    if label in ("killed", "injured"):
        line["place"] = _nearest_place(text[start:end], candidate.start - start)
    else:
        line["weapon"], line["model"] = _counted_weapon(text[candidate.end:end], text[start:end])
    return FigureLine.model_validate(line)


def _clause(text: str, start: int, end: int, candidate: Candidate) -> str:
    """The words around the count up to the clause's bounds: a quote the article holds that states the count."""
    before = text[start:candidate.start]
    cuts = [m.end() for m in _CLAUSE_END.finditer(before)]
    left = start + (cuts[-1] if cuts else 0)
    after = _CLAUSE_END.search(text, candidate.end, end)
    right = after.start() if after else end
    return text[left:right].strip(" .!?\"'\u201c\u201d")


def _nearest_place(sentence: str, position: int) -> str | None:
    """The place named nearest the count in its sentence (a toll tied to it), or None."""
    places = [p for p in find_places(sentence) if not p.reference]
    if not places:
        return None
    return min(places, key=lambda p: min(abs(p.start - position), abs(p.end - position))).name


def _counted_weapon(after: str, sentence: str) -> tuple[str, str | None]:
    """The weapon a count counts: the one named right after it, else the one the sentence names, else all."""
    window = re.split(r"\d|[.;]", after, maxsplit=1)[0][:80]
    for words in (window, sentence):
        named = categories_of(words) or category_words(words)
        if named:
            return named[0]
    return "all", None


def _owner(events: list[AttackEvent], sentence: str) -> int:
    """The offline event a sentence's count belongs to: the one with a place it names, else the first main one."""
    names = {p.name for p in find_places(sentence)}
    for index, event in enumerate(events):
        if names & {p.name for p in event.places}:
            return index
    return next((i for i, e in enumerate(events) if e.role == "main"), 0)


def _attack_line(event: AttackEvent) -> AttackLine:
    """An empty figures-answer line for an offline event: the same sides, date words, role and places."""
    return AttackLine(attacker=event.attacker, target=event.target_country, when=event.date_text, role=event.role,
                      places=[p.name for p in event.places])
