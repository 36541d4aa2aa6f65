"""Tests of extractor.evaluation."""
