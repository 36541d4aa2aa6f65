"""Attacks on disk: read back for an incremental run, written whole or not at all.

An attacks file is replaced atomically (written beside it, synced, renamed
over it), so a run killed mid-write leaves the attacks that were there whole
(docs/reliability.md, item 32); one run at a time holds a lock beside it
(item 33). JSONL holds the whole state (every report's event), so a later
run adds to it; CSV is a flat view, one row per attack, written from the
resolution of the runs it is given.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from extractor.articles import decoded_lines, json_object
from extractor.attacks.model import Attack, Resolved
from extractor.errors import InputError, OutputError
from extractor.output.lock import output_lock
from extractor.output.records import defang

CSV_COLUMNS = ["attack_id", "date", "role", "attacker", "target_country", "reports", "articles", "outlets",
               "killed", "killed_reported", "injured", "injured_reported", "weapons", "places", "damage"]


def read_attacks(path: Path) -> list[Attack]:
    """The attacks of an attacks JSONL file; a line that is not an attack is an error naming it."""
    attacks = []
    for number, line in enumerate(decoded_lines(path), start=1):
        if isinstance(line, InputError):
            raise line
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            attacks.append(Attack.model_validate(json_object(line, where)))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "the line"
            raise InputError(f"{where}: not an attack record ({field}: {first['msg']}); "
                             "give an output of extractor attacks, or a new file") from None
    return attacks


@contextlib.contextmanager
def attacks_lock(path: Path) -> Iterator[None]:
    """One writer per attacks file: a lock file beside it, since the file itself is replaced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(path.with_name(f".{path.name}.lock"), shown=path):
        for stale in path.parent.glob(f".{glob.escape(path.name)}.*.part"):  # left by a run killed mid-write
            with contextlib.suppress(OSError):
                stale.unlink()
        yield


def write_attacks(path: Path, attacks: list[Attack], fmt: str = "jsonl") -> None:
    """Replace ``path`` with ``attacks`` in one step: the old file stays whole until the new one is complete."""
    text = attacks_jsonl(attacks) if fmt == "jsonl" else attacks_csv(attacks)
    replace_file(path, text)


def replace_file(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, sync it, and rename it over ``path``."""
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        try:
            os.fchmod(fd, _mode_of(path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
    except OSError as exc:
        raise OutputError(f"cannot write {path} ({exc.strerror or exc}); the file is as it was before this run; "
                          "fix that (free space, permissions) and rerun") from None


def _mode_of(path: Path) -> int:
    """The mode the replaced file had, else what a new file gets (mkstemp's own 0600 would hide it from others)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def attacks_jsonl(attacks: list[Attack]) -> str:
    return "".join(json.dumps(a.model_dump(mode="json"), ensure_ascii=False) + "\n" for a in attacks)


def _values(resolved: Resolved | None) -> tuple[str, str]:
    if resolved is None:
        return "", ""
    return str(resolved.value), "; ".join(f"{r.value} ({r.source or r.article_id})" for r in resolved.reported)


def attack_row(attack: Attack) -> dict[str, str]:
    """One attack as a flat CSV row."""
    killed, killed_reported = _values(attack.killed)
    injured, injured_reported = _values(attack.injured)
    weapons = []
    for w in attack.weapons:
        counts = [f"{k}={f.value}" for k, f in (("launched", w.launched), ("intercepted", w.intercepted)) if f]
        weapons.append(" ".join([w.category + (f"/{w.model}" if w.model else ""), *counts]))
    return {
        "attack_id": attack.attack_id, "date": attack.date.isoformat() if attack.date else "", "role": attack.role,
        "attacker": attack.attacker, "target_country": attack.target_country, "reports": str(len(attack.reports)),
        "articles": "; ".join(dict.fromkeys(r.article_id for r in attack.reports)),
        "outlets": "; ".join(dict.fromkeys(r.outlet for r in attack.reports if r.outlet)),
        "killed": killed, "killed_reported": killed_reported, "injured": injured,
        "injured_reported": injured_reported, "weapons": "; ".join(weapons),
        "places": "; ".join(p.name for p in attack.places), "damage": "; ".join(attack.damage),
    }


def attacks_csv(attacks: list[Attack]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows({k: defang(v) for k, v in attack_row(a).items()} for a in attacks)
    return buffer.getvalue()
