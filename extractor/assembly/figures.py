"""The ``figures`` answer: a flat list a small model fills well, assembled into codebook events by code.

Asked for the codebook's nested schema, a 1.5B model answers with valid but
empty events. Asked for "each attack, and each figure with its kind, value,
weapon, place and the words that state it", it lists real figures. Code then
does what small models do badly and rules do well: it resolves the date
words against the publication date, names places as the gazetteer does (and
drops what is not a place), fixes a weapon's category from its model, reads
a figure's qualifier and source from the article's own words, files tolls on
the event or its place as the codebook says, and merges attacks that are one
event (same attacker, target country and date) as ``chunks.merge_events``
merges a long article's parts. What a small model lists
worst, the damage categories (shown the closed list, it copies the list),
and a date it cannot resolve, come from the offline model's reading of the
same attack (same attacker and target country) when it has one.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from extractor.articles import Article
from extractor.assembly import offline_reading
from extractor.chunks import merge_events
from extractor.grounding import EvidenceLocator, evidence_checker
from extractor.rules.damage import damage_categories
from extractor.rules.dates import dateline_date, find_dates
from extractor.rules.numbers import number_regex, parse_count
from extractor.rules.places import find_places
from extractor.rules.sources import find_source
from extractor.rules.weapons import categories_of
from extractor.schema import Attacker, AttackEvent, DamageCategory, Role, WeaponCategory, snapped
from extractor.vocabulary import canonical_model, canonical_source, model_category

FigureKind = Literal["launched", "intercepted", "killed", "injured"]
_DAMAGE = frozenset(get_args(DamageCategory))
_KINDS = frozenset(get_args(FigureKind))
MAX_NAMES = 12
MAX_FIGURES = 40
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")


class FigureLine(_Answer):
    """One figure the article states: a count of weapons or of people."""

    kind: FigureKind
    value: int | None = Field(default=None, ge=0, description="the number, as a number")
    weapon: WeaponCategory | None = Field(default=None, description="for launched and intercepted")
    model: str | None = Field(default=None, description="the weapon's model, if named")
    place: str | None = Field(default=None, description="for killed and injured: where, if the article says")
    # Optional, like the value: a small model that leaves one out costs that figure, not a re-ask of the
    # whole answer (a minute on a CPU); assembly drops a figure with no number or no quote from the article.
    quote: str = Field(default="", description="the article's words that state the figure, copied exactly")

    @field_validator("quote")
    @classmethod
    def _quote_in_article(cls, quote: str, info: ValidationInfo) -> str:
        # Snapped when near, never refused: a figure whose quote is not in the article is
        # dropped at assembly, which costs nothing, where a re-ask costs a minute on a CPU.
        return snapped(quote, info)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_word(cls, kind: Any) -> Any:
        return kind_word(kind)

    @field_validator("weapon", mode="before")
    @classmethod
    def _weapon_word(cls, weapon: Any) -> Any:
        """A weapon named loosely ("drones", "Shahed") is taken as its category; an unknown one as none."""
        if weapon is None or weapon in get_args(WeaponCategory):
            return weapon
        named = categories_of(str(weapon)) or category_words(str(weapon))
        return named[0][0] if named else None


def kind_word(kind: Any) -> str:
    """A figure's kind as one of the four, where the model used another word for it ("wounded")."""
    words = {"fired": "launched", "shot down": "intercepted", "downed": "intercepted", "dead": "killed",
             "wounded": "injured", "hurt": "injured"}
    text = str(kind).strip().lower()
    return words.get(text, text)


class AttackLine(_Answer):
    """One attack: who struck whom, when (in the article's words), where, and its figures."""

    @model_validator(mode="before")
    @classmethod
    def _drop_unusable_figures(cls, data: Any) -> Any:
        """A figure of a kind outside the four is dropped and counted, not a re-ask of the whole answer
        (a minute on a CPU) nor an invalid article: the rest of the answer stands."""
        if not isinstance(data, dict) or not isinstance(data.get("figures"), list):
            return data
        usable = [f for f in data["figures"] if not isinstance(f, dict) or kind_word(f.get("kind")) in _KINDS]
        dropped = len(data["figures"]) - len(usable)
        return {**data, "figures": usable, "dropped": int(data.get("dropped") or 0) + dropped} if dropped else data

    @field_validator("attacker", mode="before")
    @classmethod
    def _side(cls, attacker: Any) -> Any:
        text = str(attacker).lower()
        return "Russia" if "russia" in text else "Ukraine" if "ukrain" in text else "unknown"

    @field_validator("role", mode="before")
    @classmethod
    def _role(cls, role: Any) -> Any:
        return "background" if str(role).strip().lower() == "background" else "main"

    attacker: Attacker
    target: str = Field(default="Ukraine", description="the country attacked")
    when: str | None = Field(default=None, description="the article's words for the date")
    role: Role = Field(default="main", description="main for the news; background for an earlier attack")
    places: list[str] = Field(default_factory=list, description="cities, districts or regions hit")
    weapons: list[str] = Field(default_factory=list, description="weapons named without a count")
    figures: list[FigureLine] = Field(default_factory=list)
    damage: list[DamageCategory] = Field(default_factory=list, description="kinds of thing damaged")
    # Not asked for (kept out of the schema the model sees): the figures dropped for an unknown kind.
    dropped: SkipJsonSchema[int] = 0

    @field_validator("places", "weapons", mode="before")
    @classmethod
    def _short_list(cls, names: Any) -> Any:
        """Distinct names, at most MAX_NAMES: a small model caught in a loop repeats a list without end."""
        if not isinstance(names, list):
            return names
        return list(dict.fromkeys(str(n).strip() for n in names if str(n).strip()))[:MAX_NAMES]

    @field_validator("damage", mode="before")
    @classmethod
    def _damage_words(cls, words: Any) -> Any:
        """Damage as the closed list's categories; free words ("apartment block") are read as the rules read them."""
        if not isinstance(words, list):
            return words
        found: list[str] = []
        for word in words[:MAX_NAMES]:
            name = str(word).strip().lower()
            for category in [name] if name in _DAMAGE else damage_categories(name):
                if category not in found:
                    found.append(category)
        return found

    @field_validator("figures", mode="before")
    @classmethod
    def _few_figures(cls, figures: Any) -> Any:
        return figures[:MAX_FIGURES] if isinstance(figures, list) else figures


class Figures(_Answer):
    """Every attack the article describes, with every figure it states."""

    attacks: list[AttackLine] = Field(default_factory=list)

    @property
    def dropped_figures(self) -> int:
        """Figures the answer gave that no codebook slot can hold (a kind outside the four)."""
        return sum(attack.dropped for attack in self.attacks)


def assemble(answer: Figures, article: Article) -> dict[str, Any]:
    """Codebook events (as JSON) from a figures answer about ``article``; figures not quoted from it are dropped."""
    reference = dateline_date(article.text, article.published) or article.published
    text = _Text(article.text)
    rules = offline_reading(article.text, article.published).events
    events: list[AttackEvent] = []
    for attack in answer.attacks:
        line = _Event(attack, reference, text, rules)
        if line.worth_recording():
            events.append(AttackEvent.model_validate(line.to_json()))
    # Two attack lines that are one event (same sides and date) merge as the parts of a long article do.
    merged = [e.model_dump(mode="json") for e in merge_events(events, text.locator)]
    for event in merged:
        event["summary"] = _summary(event["attacker"], event["target_country"], event["places"], event["date"])
    return {"events": merged}


class _Text:
    """The article, for finding where a quote sits and which sentence holds it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.locator = EvidenceLocator(text)
        self.holds = evidence_checker(text)

    def sentence_of(self, quote: str) -> str:
        span = self.locator.find(quote)
        if span is None:
            return quote
        start = max((m.end() for m in _SENTENCE_END.finditer(self.text, 0, span[0])), default=0)
        end_match = _SENTENCE_END.search(self.text, span[1])
        return self.text[start: end_match.start() if end_match else len(self.text)]


def place_of(name: str) -> dict[str, Any] | None:
    """A place as the codebook names it, if the gazetteer knows it."""
    found = find_places(name)
    if not found:
        return None
    mention = found[0]
    region = mention.region if mention.kind != "region" else None
    return {"name": mention.name, "kind": mention.kind, "region": region, "killed": None, "injured": None}


def resolve_date(words: str | None, reference: dt.date | None) -> str | None:
    """The calendar date of the article's date words, resolved against its publication date."""
    if not words:
        return None
    for mention in find_dates(words, reference):
        if mention.date is not None:
            return mention.date.isoformat()
    return None


def read_count(quote: str, value: int | None) -> tuple[int, str] | None:
    """The (value, qualifier) a quote states for ``value``; vague words ("dozens") become the codebook's."""
    parsed = (parse_count(m.group("qual"), m.group("num")) for m in re.finditer(number_regex(), quote))
    counts = [c for c in parsed if c is not None]
    for count in counts:
        if count.value == value:
            return count.value, count.qualifier
    if len(counts) == 1:  # the model's number is a misreading of the only number there
        return counts[0].value, counts[0].qualifier
    return None


class _Event:
    """One attack line on its way to a codebook event."""

    def __init__(self, attack: AttackLine, reference: dt.date | None, text: _Text,
                 rules: list[AttackEvent]) -> None:
        self.attack, self.text = attack, text
        self.target = _country(attack.target)
        self.date = resolve_date(attack.when, reference)
        self.counterpart = _counterpart(rules, attack, self.target, self.date)
        if self.date is None and self.counterpart is not None:
            self.date = self.counterpart.date
        self.places: dict[str, dict[str, Any]] = {}
        for name in attack.places + [f.place for f in attack.figures if f.place]:
            self._place(name)
        self.weapons: dict[tuple[str, str | None], dict[str, Any]] = {}
        self.tolls: dict[str, list[dict[str, Any]]] = {"killed": [], "injured": []}
        for figure in attack.figures:
            self._add(figure)
        for name in attack.weapons:
            for category, model in categories_of(name) or category_words(name):
                self.weapons.setdefault((category, model), _weapon(category, model))

    def _place(self, name: str) -> dict[str, Any] | None:
        place = place_of(name)
        if place is None:
            return None
        return self.places.setdefault(place["name"], place)

    def _figure(self, figure: FigureLine) -> dict[str, Any] | None:
        if figure.value is None or not figure.quote or not self.text.holds(figure.quote):
            return None
        count = read_count(figure.quote, figure.value)
        if count is None:
            return None
        source = find_source(self.text.sentence_of(figure.quote))
        return {"value": count[0], "qualifier": count[1], "source": canonical_source(source) if source else None,
                "evidence": figure.quote}

    def _add(self, figure: FigureLine) -> None:
        made = self._figure(figure)
        if made is None:
            return
        if figure.kind in ("killed", "injured"):
            place = self._place(figure.place) if figure.place else None
            if place is not None:
                place[figure.kind] = _larger(place[figure.kind], made)
            else:
                self.tolls[figure.kind].append(made)
            return
        for key in _weapon_keys(figure):
            entry = self.weapons.setdefault(key, _weapon(*key))
            entry[figure.kind] = entry[figure.kind] or made

    def _damage(self) -> list[str]:
        if self.counterpart is not None:
            return list(self.counterpart.damage)
        return list(self.attack.damage)

    def worth_recording(self) -> bool:
        tolls = any(self.tolls.values()) or any(p["killed"] or p["injured"] for p in self.places.values())
        return bool(self.places or self.weapons or tolls)

    def to_json(self) -> dict[str, Any]:
        places = list(self.places.values())
        killed, injured = (_event_toll(self.tolls[k], places, k) for k in ("killed", "injured"))
        return {
            "role": self.attack.role, "attacker": self.attack.attacker, "target_country": self.target,
            "date": self.date, "date_text": self.attack.when or None, "weapons": list(self.weapons.values()),
            "killed": killed, "injured": injured, "places": places, "damage": self._damage(),
            "summary": _summary(self.attack.attacker, self.target, places, self.date),
        }


def _counterpart(rules: list[AttackEvent], attack: AttackLine, target: str, date: str | None) -> AttackEvent | None:
    """The offline model's event for the same attack: same sides, and the same date when both have one."""
    sides = [e for e in rules if e.attacker == attack.attacker and e.target_country == target]
    dated = [e for e in sides if date is not None and e.date == date]
    if dated:
        return dated[0]
    same_role = [e for e in sides if e.role == attack.role and (date is None or e.date is None)]
    return same_role[0] if same_role else None


def _country(target: str) -> str:
    words = target.strip()
    for country in ("Ukraine", "Russia"):
        if country.lower() in words.lower():
            return country
    found = find_places(words)
    if found:
        return found[0].country
    return words.title() or "Ukraine"


def _weapon(category: str, model: str | None) -> dict[str, Any]:
    return {"category": category, "model": model, "launched": None, "intercepted": None}


def _weapon_keys(figure: FigureLine) -> list[tuple[str, str | None]]:
    """The (category, model) a weapon figure counts: a named model fixes its category."""
    if figure.model:
        canonical = canonical_model(figure.model)
        if canonical is not None:
            return [(model_category(canonical) or "missile", canonical)]
        named = categories_of(figure.model)
        if named:
            return named[:1]
    if figure.weapon is not None:
        return [(figure.weapon, None)]
    return category_words(figure.quote)[:1]


_CATEGORY_WORDS = (
    (r"cruise missile", "cruise_missile"), (r"ballistic missile", "ballistic_missile"), (r"drone|uav", "drone"),
    (r"guided (?:aerial )?bomb|glide bomb", "guided_bomb"), (r"rocket|mlrs", "rocket"),
    (r"artillery|shell|mortar", "artillery"), (r"missile", "missile"),
)


def category_words(words: str) -> list[tuple[str, str | None]]:
    folded = words.lower()
    found: list[tuple[str, str | None]] = [(c, None) for pattern, c in _CATEGORY_WORDS if re.search(pattern, folded)]
    return found[:1]


def _larger(current: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """Of two tolls for one thing, the larger: articles update tolls upward."""
    return new if current is None or new["value"] > current["value"] else current


def _event_toll(candidates: list[dict[str, Any]], places: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    """The whole attack's toll; with one place only, a toll given for that place is the event's too."""
    toll = None
    for candidate in candidates:
        toll = _larger(toll, candidate)
    if toll is None and len(places) == 1:
        toll = places[0][kind]
    return toll


def _summary(attacker: str, target: str, places: list[dict[str, Any]], date: str | None) -> str:
    where = ", ".join(p["name"] for p in places[:3]) or target
    who = "An unknown attacker" if attacker == "unknown" else attacker
    when = f" on {date}" if date else ""
    return f"{who} struck {where} in {target}{when}."
