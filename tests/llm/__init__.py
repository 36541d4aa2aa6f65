"""Tests of extractor.llm."""
