"""Where results go: record writers (JSONL, JSON, CSV) and resuming from what is written."""
