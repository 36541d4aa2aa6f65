"""Where the data folders are: inside the installed package, else the source checkout's.

A wheel carries ``prompts/`` and ``evals/datasets/`` inside the package
(``pyproject.toml``'s force-include); a checkout or an editable install has
them at the top of the repository. This is the one place that knows both.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def package_dir() -> Path:
    return Path(str(resources.files("extractor")))


def data_dirs(packaged: str, *in_checkout: str) -> list[Path]:
    """The existing folders for some data: the package's copy first, then the checkout's."""
    package = package_dir()
    candidates = [package / packaged, package.parent.joinpath(*in_checkout)]
    return [folder for folder in candidates if folder.is_dir()]


def prompt_dirs() -> list[Path]:
    return data_dirs("prompts", "prompts")


def dataset_dirs() -> list[Path]:
    """Datasets by name: the working directory's evals/datasets, then the shipped ones."""
    local = Path("evals") / "datasets"
    return ([local] if local.is_dir() else []) + data_dirs("datasets", "evals", "datasets")
