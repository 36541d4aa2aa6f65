"""The built-in offline model ``rules``: deterministic extraction of attack events.

It needs no key, no network and no downloaded weights, so it is the default
when no API key is configured and the baseline row of every eval.
"""

from __future__ import annotations

from extractor.rules.offline import extract_rules

__all__ = ["extract_rules"]
