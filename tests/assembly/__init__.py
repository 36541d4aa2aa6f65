"""Tests of extractor.assembly."""
