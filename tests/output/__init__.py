"""Tests of extractor.output."""
