"""Tests of extractor.report."""
