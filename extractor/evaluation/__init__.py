"""Evals: gold datasets, the codebook's scoring, the bootstrap, and the runner that makes the typed report.

Pure data in (gold, predictions or models to run), ``report.EvalReport`` out;
rendering it is ``extractor.report``'s job.
"""
