"""Shared by the benchmarks: every buyer line a scenario's offline script holds, as plain strings."""

from __future__ import annotations


def strings(data) -> list[str]:  # noqa: ANN001 - a model_dump()
    """Every string in nested dicts and lists (a script line's `say` included)."""
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for v in data.values() for s in strings(v)]
    if isinstance(data, list | tuple):
        return [s for v in data for s in strings(v)]
    return []
