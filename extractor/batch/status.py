"""How the batches of a state directory are doing, from any shell, any day.

Everything comes from the state file and the provider: no process needs to
have stayed up since submit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractor.batch.provider import batch_api, batch_client, settings_for
from extractor.batch.state import BatchEntry, BatchState, load_state

PENDING = frozenset({"validating", "in_progress", "finalizing", "cancelling"})
DEAD = frozenset({"failed", "expired", "cancelled"})


@dataclass
class BatchStatus:
    """One batch as the provider reports it now."""

    entry: BatchEntry
    status: str
    completed: int = 0
    failed: int = 0
    total: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: tuple[str, ...] = ()

    @property
    def pending(self) -> bool:
        return self.status in PENDING

    @property
    def dead(self) -> bool:
        return self.status in DEAD or self.status == "not created"

    def problem(self) -> str:
        """One line saying why a dead batch gave no (or partial) results."""
        if self.status == "not created":
            return f"{self.entry.file}: the batch was never created (submit was interrupted)"
        why = "; ".join(self.errors) or "no reason given"
        return f"batch {self.entry.batch_id} {self.status}: {why}"


def fetch_status(client: Any, entry: BatchEntry) -> BatchStatus:
    """The provider's view of one batch."""
    if entry.batch_id is None:
        return BatchStatus(entry, "not created", total=len(entry.custom_ids))
    with batch_api():
        batch = client.batches.retrieve(entry.batch_id)
    counts = batch.request_counts
    errors = tuple(f"{e.code}: {e.message}" for e in (batch.errors.data or [])) if batch.errors else ()
    return BatchStatus(
        entry, str(batch.status), completed=getattr(counts, "completed", 0) or 0,
        failed=getattr(counts, "failed", 0) or 0, total=getattr(counts, "total", 0) or len(entry.custom_ids),
        output_file_id=batch.output_file_id, error_file_id=batch.error_file_id, errors=errors,
    )


def batch_statuses(state_dir: Path) -> tuple[BatchState, list[BatchStatus]]:
    """Every batch of a state directory, fetched now."""
    state = load_state(state_dir)
    client = batch_client(settings_for(state))
    try:
        return state, [fetch_status(client, entry) for entry in state.batches]
    finally:
        client.close()
