"""Tests of extractor.rules."""
