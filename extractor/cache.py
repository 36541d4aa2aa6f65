"""The disk cache around the model call.

Keys are a SHA-256 of one canonical JSON form (sorted keys, no spaces, UTF-8)
of everything that changes the answer. Changing ``CACHE_FORMAT`` or the
canonical form changes every key, which is how an incompatible change
invalidates old entries. Values are JSON text, never pickles: an entry that
is not JSON text (a tampered or corrupt database) is a miss, and a cache that
cannot be opened is turned off with a warning rather than failing the run.
Only validated answers are stored; a hit is validated again by the caller.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
CACHE_FORMAT = 1


def canonical_json(value: Any) -> str:
    """The one JSON form hashed for keys; changing it changes every key."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def cache_key(request: dict[str, Any]) -> str:
    """The key of a request: a hash of its canonical JSON and the cache format."""
    payload = canonical_json({"format": CACHE_FORMAT, "request": request})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _json_only_disk() -> Any:
    import diskcache

    class JSONOnlyDisk(diskcache.Disk):  # type: ignore[misc]
        """Refuses to unpickle: nothing read from the cache is ever executed."""

        def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
            if mode == diskcache.core.MODE_PICKLE:
                raise ValueError("pickled cache entry refused")
            return super().fetch(mode, filename, value, read)

    return JSONOnlyDisk


class AnswerCache:
    """Validated answers on disk, keyed by request; degrades to a miss on any fault."""

    def __init__(self, directory: Path, enabled: bool = True) -> None:
        self.directory = directory
        self._cache: Any = None
        if enabled:
            self._cache = self._open(directory)

    @staticmethod
    def _open(directory: Path) -> Any:
        import diskcache

        if _shared(directory):
            return None
        try:
            return diskcache.Cache(str(directory), disk=_json_only_disk(), timeout=5)
        except Exception as exc:  # a garbage database, a read-only or full disk
            log.warning("cache at %s is unusable (%s); running without cache", directory, exc)
            return None

    @property
    def enabled(self) -> bool:
        return self._cache is not None

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored entry for ``key``, or None for a miss or an unreadable entry."""
        if self._cache is None:
            return None
        try:
            text = self._cache.get(key)
            entry = json.loads(text) if isinstance(text, str) else None
        except Exception as exc:
            log.warning("cache entry %s unreadable (%s); treated as a miss", key[:12], exc)
            return None
        return entry if isinstance(entry, dict) else None

    def set(self, key: str, entry: dict[str, Any]) -> None:
        """Store a validated answer; a failing disk only costs the cache."""
        if self._cache is None:
            return
        try:
            self._cache.set(key, canonical_json(entry))
        except Exception as exc:
            log.warning("could not write to cache (%s); continuing", exc)

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()


def _shared(directory: Path) -> bool:
    """A cache others can write is not trusted: they could plant grounded but false answers."""
    try:
        shared = bool(directory.stat().st_mode & 0o002)
    except OSError:
        return False
    if shared:
        log.warning("cache directory %s is writable by other users; running without cache", directory)
    return shared


def _cache_files(directory: Path) -> list[Path]:
    """diskcache's own files: the database and its two-hex-digit value folders."""
    names = [p for p in directory.glob("cache.db*") if p.is_file()]
    return names + [p for p in directory.iterdir() if p.is_dir() and len(p.name) == 2 and all(c in "0123456789abcdef" for c in p.name)]


def cache_info(directory: Path) -> dict[str, Any]:
    """What ``extractor cache info`` shows: where, how many entries, how big."""
    info: dict[str, Any] = {"directory": str(directory), "entries": 0, "bytes": 0}
    if not directory.exists():
        return info
    cache = AnswerCache(directory)
    if cache._cache is not None:
        info["entries"] = len(cache._cache)
        info["bytes"] = int(cache._cache.volume())
        cache.close()
    return info


def clear_cache(directory: Path) -> int:
    """Remove every entry; returns how many there were."""
    cache = AnswerCache(directory)
    if cache._cache is None:
        # An unopenable cache: remove its files, and nothing else that lives there.
        for path in _cache_files(directory) if directory.is_dir() else []:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        return 0
    count = int(cache._cache.clear())
    cache.close()
    return count
