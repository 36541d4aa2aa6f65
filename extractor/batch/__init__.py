"""A provider's Batch API as a source of answers for the same pipeline.

``submit`` writes and uploads the requests; ``status`` asks how the batches
are doing; ``collect`` feeds the finished answers (``answers``) through the
pipeline, which validates, caches and records them as it does live answers.
"""
