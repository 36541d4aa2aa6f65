"""Tests of extractor.batch."""
