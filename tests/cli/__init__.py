"""Tests of extractor.cli."""
