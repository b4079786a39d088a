"""The practice engine: buyer, grading, state, session. Knows nothing of any user interface."""
