"""How well reports were resolved into attacks, against gold attacks (docs/codebook.md, Scoring attacks).

Predicted reports are tied to gold events per article by the events'
alignment (the same step that scores extraction); a predicted report with
no gold event counts against precision, a gold event no report was tied to
against recall. Membership is scored pairwise (a pair is positive when both
reports are of one attack) and by B-cubed; resolved figures as facts of the
attack, over attacks paired by the gold attack most of their reports have.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from extractor.attacks.model import Attack
from extractor.errors import InputError
from extractor.evaluation.scoring import Counts, align_events, fact_of
from extractor.schema import AttackEvent
from extractor.vocabulary import place_key

ReportKey = tuple[str, int]
Fact = tuple[object, ...]


class GoldValue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: int
    qualifier: str


class GoldWeapon(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str
    model: str | None = None
    launched: GoldValue | None = None
    intercepted: GoldValue | None = None


class GoldPlace(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    kind: str
    region: str | None = None
    killed: GoldValue | None = None
    injured: GoldValue | None = None


class GoldReport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    article_id: str
    event: int


class GoldAttack(BaseModel):
    """A labelled attack: which gold events report it, and its resolved figures."""

    model_config = ConfigDict(extra="forbid")
    attack: str
    role: str | None = None
    attacker: str
    target_country: str
    date: str | None = None
    reports: list[GoldReport]
    killed: GoldValue | None = None
    injured: GoldValue | None = None
    weapons: list[GoldWeapon] = []
    places: list[GoldPlace] = []
    damage: list[str] = []


class PRF(BaseModel):
    """Precision, recall and F1."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    precision: float
    recall: float
    f1: float

    @classmethod
    def of(cls, counts: Counts) -> PRF:
        """From counts, by the scorer's own rates (0.0 where there is nothing to rate)."""
        return cls.rounded(counts.precision or 0.0, counts.recall or 0.0)

    @classmethod
    def rounded(cls, p: float, r: float) -> PRF:
        return cls(precision=round(p, 3), recall=round(r, 3), f1=round(2 * p * r / (p + r), 3) if p + r else 0.0)


class ClusterScores(BaseModel):
    """Resolution quality: membership (pairwise, B-cubed), counts of attacks, and resolved figures."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    pairwise: PRF
    bcubed: PRF
    pairwise_ci95: tuple[float, float] | None
    attacks: int
    gold_attacks: int
    figures: PRF
    near_misses_apart: int
    near_misses: int


Item = tuple[str, str]  # (predicted label, gold label)


def tie_reports(gold: Mapping[str, Sequence[AttackEvent]], predicted: Iterable[Attack]) -> list[Item]:
    """Every report, as (its predicted attack, its gold event's key), untied ones with a label of their own."""
    pred_label: dict[ReportKey, str] = {}
    pred_events: dict[str, dict[int, AttackEvent]] = defaultdict(dict)
    for attack in predicted:
        for report in attack.reports:
            pred_label[report.key] = attack.attack_id
            pred_events[report.article_id][report.event] = report.extracted
    items: list[Item] = []
    for article in sorted(set(gold) | set(pred_events)):
        events = pred_events.get(article, {})
        positions = sorted(events)
        pairs = align_events(list(gold.get(article, [])), [events[p] for p in positions])
        tied = {positions[j]: i for i, j in pairs}
        for position in positions:
            label = pred_label[(article, position)]
            items.append((label, f"{article}#{tied[position]}" if position in tied else f"unmatched:{label}:{article}#{position}"))
        for i in range(len(gold.get(article, []))):
            if i not in tied.values():
                items.append((f"missing:{article}#{i}", f"{article}#{i}"))
    return items


def membership(items: Sequence[Item], gold_attack: Mapping[str, str]) -> tuple[PRF, PRF]:
    """Pairwise and B-cubed P/R/F1; ``gold_attack`` maps a gold event key to its attack."""
    pred_of = [p for p, _ in items]
    gold_of = [gold_attack.get(g, f"none:{g}") for _, g in items]
    real_pred = [not p.startswith("missing:") for p in pred_of]
    real_gold = [not g.startswith("unmatched:") for _, g in items]
    by_pred: dict[str, list[int]] = defaultdict(list)
    by_gold: dict[str, list[int]] = defaultdict(list)
    for n, (p, g) in enumerate(zip(pred_of, gold_of, strict=True)):
        if real_pred[n]:
            by_pred[p].append(n)
        if real_gold[n]:
            by_gold[g].append(n)
    both = Counter((p, g) for n, (p, g) in enumerate(zip(pred_of, gold_of, strict=True)) if real_pred[n] and real_gold[n])
    pairs = lambda k: k * (k - 1) // 2  # noqa: E731
    tp = sum(pairs(k) for k in both.values())
    predicted, actual = sum(pairs(len(v)) for v in by_pred.values()), sum(pairs(len(v)) for v in by_gold.values())
    pairwise = PRF.of(Counts(tp, predicted - tp, actual - tp))
    precision = [both[(pred_of[n], gold_of[n])] / len(by_pred[pred_of[n]]) if real_gold[n] else 0.0
                 for n in range(len(items)) if real_pred[n]]
    recall = [both[(pred_of[n], gold_of[n])] / len(by_gold[gold_of[n]]) if real_pred[n] else 0.0
              for n in range(len(items)) if real_gold[n]]
    bcubed = PRF.rounded(sum(precision) / len(precision) if precision else 0.0,
                         sum(recall) / len(recall) if recall else 0.0)
    return pairwise, bcubed


def pairwise_interval(items: Sequence[Item], gold_attack: Mapping[str, str], resamples: int = 1000,
                      seed: int = 20240521) -> tuple[float, float] | None:
    """A 95% percentile interval of pairwise F1, resampling gold attacks (with the reports tied to them)."""
    import numpy as np

    units: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        units[gold_attack.get(item[1], item[1])].append(item)
    names = sorted(units)
    if len(names) < 2:
        return None
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(resamples):
        chosen = rng.integers(0, len(names), len(names))
        sample: list[Item] = []
        for copy, index in enumerate(chosen):
            sample += [(f"{p}~{copy}", f"{g}~{copy}") for p, g in units[names[index]]]
        renamed = {f"{g}~{c}": f"{a}~{c}" for c in range(len(names)) for g, a in gold_attack.items()}
        scores.append(membership(sample, renamed)[0].f1)
    low, high = np.percentile(scores, [2.5, 97.5])
    return round(float(low), 3), round(float(high), 3)


def _facts(killed: object, injured: object, weapons: Iterable[object], places: Iterable[object]) -> set[Fact]:
    """Resolved figures as the codebook's facts (``scoring.fact_of``), for predicted and gold attacks alike."""
    facts: set[Fact] = set()
    for kind, figure in (("killed", killed), ("injured", injured)):
        if figure is not None:
            facts.add(fact_of(kind, figure.value))  # type: ignore[attr-defined]
    for w in weapons:
        for kind in ("launched", "intercepted"):
            figure = getattr(w, kind)
            if figure is not None:
                facts.add(fact_of(kind, figure.value, weapon=(w.category, w.model)))  # type: ignore[attr-defined]
    for p in places:
        for kind in ("killed", "injured"):
            figure = getattr(p, kind)
            if figure is not None:
                facts.add(fact_of(kind, figure.value, place=p.name))  # type: ignore[attr-defined]
    return facts


def attack_facts(attack: Attack | GoldAttack) -> set[Fact]:
    """An attack's resolved figures as facts, as the codebook scores them."""
    return _facts(attack.killed, attack.injured, attack.weapons, attack.places)


def figure_scores(items: Sequence[Item], gold_attack: Mapping[str, str], predicted: Sequence[Attack],
                  gold: Sequence[GoldAttack]) -> PRF:
    """Resolved figures against gold, micro-averaged over attacks paired by most of their reports."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for p, g in items:
        if g in gold_attack:
            votes[p][gold_attack[g]] += 1
    gold_by_name = {a.attack: a for a in gold}
    tp = fp = fn = 0
    paired: set[str] = set()
    for attack in predicted:
        ballot = votes.get(attack.attack_id)
        name = ballot.most_common(1)[0][0] if ballot else None
        mine = attack_facts(attack)
        if name is None or name in paired:
            fp += len(mine)
            continue
        paired.add(name)
        theirs = attack_facts(gold_by_name[name])
        tp, fp, fn = tp + len(mine & theirs), fp + len(mine - theirs), fn + len(theirs - mine)
    fn += sum(len(attack_facts(a)) for a in gold if a.attack not in paired)
    return PRF.of(Counts(tp, fp, fn))


def near_misses(gold: Sequence[GoldAttack], items: Sequence[Item], gold_attack: Mapping[str, str]) -> tuple[int, int]:
    """Gold attacks of the same sides and a shared place within 3 days: how many pairs stayed apart."""
    predicted_of: dict[str, set[str]] = defaultdict(set)
    for p, g in items:
        if g in gold_attack and not p.startswith("missing:"):
            predicted_of[gold_attack[g]].add(p)
    import datetime as dt

    pairs = apart = 0
    dated = [a for a in gold if a.date]
    for n, first in enumerate(dated):
        for second in dated[n + 1:]:
            close = abs((dt.date.fromisoformat(first.date or "") - dt.date.fromisoformat(second.date or "")).days) <= 3
            places = {place_key(p.name) for p in first.places} & {place_key(p.name) for p in second.places}
            if close and places and first.target_country == second.target_country:
                pairs += 1
                apart += not (predicted_of[first.attack] & predicted_of[second.attack])
    return apart, pairs


def score_clusters(gold_events: Mapping[str, Sequence[AttackEvent]], gold: Sequence[GoldAttack],
                   predicted: Sequence[Attack]) -> ClusterScores:
    """Every resolution score of ``predicted`` attacks against the gold attacks of the same articles."""
    gold_attack = {f"{r.article_id}#{r.event}": a.attack for a in gold for r in a.reports}
    items = tie_reports(gold_events, predicted)
    pairwise, bcubed = membership(items, gold_attack)
    apart, pairs = near_misses(gold, items, gold_attack)
    return ClusterScores(pairwise=pairwise, bcubed=bcubed, pairwise_ci95=pairwise_interval(items, gold_attack),
                         attacks=len(predicted), gold_attacks=len(gold),
                         figures=figure_scores(items, gold_attack, predicted, gold),
                         near_misses_apart=apart, near_misses=pairs)


def load_gold_attacks(path: Path) -> list[GoldAttack]:
    """A dataset's gold attacks (attacks.jsonl), each line strict; a bad line is an error naming it."""
    attacks = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if line.strip():
            try:
                attacks.append(GoldAttack.model_validate_json(line))
            except ValueError as exc:
                raise InputError(f"{path}:{number}: not a gold attack ({exc})") from None
    return attacks


def resolve_and_score(events: Mapping[str, Sequence[AttackEvent]], published: Mapping[str, str | None],
                      gold_events: Mapping[str, Sequence[AttackEvent]], gold: Sequence[GoldAttack]) -> ClusterScores:
    """Resolve one set of events (a model's, or gold's) into attacks and score them against gold attacks."""
    from extractor.attacks import resolve_attacks
    from extractor.record import Record

    records = [Record.model_validate({"id": key, "status": "ok", "events": list(found),
                                      "published": published.get(key)}) for key, found in events.items()]
    return score_clusters(gold_events, gold, resolve_attacks(records).attacks)
