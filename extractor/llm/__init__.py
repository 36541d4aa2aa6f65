"""The one part that talks to language models: instructor over the openai client.

``client`` is the live source of answers; ``structured`` the instructor
boundary that live and batch answers share; ``failures`` what a failed call
means; ``retry`` and ``throttle`` when to send again and how fast.
"""
