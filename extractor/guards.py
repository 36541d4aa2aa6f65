"""Run-level stops: a spending cap, and a provider that keeps refusing.

Both stop *starting* work; what is in flight is finished (budget) or
abandoned (a fatal stop), and every finished record is already on disk, so
rerunning with the same ``--output`` resumes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from extractor.errors import BudgetExceeded, ConfigError, FatalModelError, Reason
from extractor.pricing import Prices, load_prices, token_cost
from extractor.settings import Settings

# A first answer's completion size before any has been seen: a generous guess,
# so that the cap errs on the side of stopping early.
DEFAULT_COMPLETION_TOKENS = 1500
RATE_LIMIT_STREAK = 3


@dataclass
class RunGuard:
    """Tracks spend and failures across a run and says when to stop."""

    settings: Settings
    prices: Prices = field(default_factory=dict)
    spent: float = 0.0
    reserved: dict[str, float] = field(default_factory=dict)
    completions: list[int] = field(default_factory=list)
    rate_limit_streak: int = 0
    exhausted: bool = False

    @classmethod
    def for_settings(cls, settings: Settings) -> RunGuard:
        prices = load_prices(settings.prices_path) if settings.max_cost is not None else {}
        if settings.max_cost is not None and not settings.is_rules and settings.model not in prices:
            raise ConfigError(
                f"--max-cost needs a price for model {settings.model!r}; add one with --prices FILE"
            )
        return cls(settings, prices)

    def admit(self, article_id: str, prompt_tokens: int) -> bool:
        """Whether a call for this article may start; reserves its estimated cost."""
        if self.settings.max_cost is None or self.settings.is_rules:
            return True
        estimate = self._cost(prompt_tokens, self._expected_completion()) or 0.0
        if self.spent + sum(self.reserved.values()) + estimate > self.settings.max_cost:
            self.exhausted = True
            return False
        self.reserved[article_id] = estimate
        return True

    def settle(self, article_id: str, prompt_tokens: int, completion_tokens: int, cached: bool) -> None:
        """Replace an article's reservation by what it really cost (nothing if cached)."""
        self.reserved.pop(article_id, None)
        if not cached:
            self.spent += self._cost(prompt_tokens, completion_tokens) or 0.0
            if completion_tokens:
                self.completions.append(completion_tokens)

    def observe(self, reason: Reason | None) -> None:
        """Stop the run when articles keep failing on rate limits, one after another."""
        limited = reason is Reason.RATE_LIMITED
        self.rate_limit_streak = self.rate_limit_streak + 1 if limited else 0
        if self.rate_limit_streak >= RATE_LIMIT_STREAK:
            raise FatalModelError(
                f"{self.rate_limit_streak} articles in a row failed on rate limits; wait, then rerun "
                "with the same --output and --retry-errors to resume (or lower --concurrency / set --rpm)",
                reason=Reason.RATE_LIMITED,
            )

    def stop_if_exhausted(self) -> None:
        if self.exhausted:
            raise BudgetExceeded(
                f"stopped before passing --max-cost ${self.settings.max_cost:.2f} "
                f"(spent about ${self.spent:.4f}); raise it and rerun with the same --output to resume"
            )

    def _expected_completion(self) -> int:
        if not self.completions:
            return DEFAULT_COMPLETION_TOKENS
        return max(self.completions)

    def _cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        return token_cost(self.settings.model, prompt_tokens, completion_tokens, self.prices)
