"""What tokens cost: the packaged price table and the user's override.

Prices are data (``data/prices.json``, dollars per million tokens). A model
missing from the table has an unknown cost, which is reported as unknown and
never treated as free.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from extractor.errors import ConfigError

Prices = dict[str, dict[str, float]]


def load_prices(path: Path | None = None) -> Prices:
    """Prices per million tokens: the packaged table, updated by the user's file."""
    packaged = resources.files("extractor").joinpath("data/prices.json").read_text("utf-8")
    prices = dict(json.loads(packaged)["models"])
    if path is not None:
        try:
            user = json.loads(Path(path).read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(
                f"{path}: cannot read prices ({exc}); give a JSON file shaped like extractor/data/prices.json"
            ) from None
        prices.update(user.get("models", user))
    return prices


def token_cost(model: str, prompt_tokens: int, completion_tokens: int, prices: Prices) -> float | None:
    """Dollars for these tokens, or None when the model has no price."""
    price = prices.get(model)
    if price is None:
        return None
    return (prompt_tokens * price["input"] + completion_tokens * price["output"]) / 1_000_000
