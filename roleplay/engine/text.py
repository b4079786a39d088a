"""Small text helpers shared by the engine and every front end."""

from __future__ import annotations


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word and marked with an ellipsis: never mid-word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(",;:-") + "\u2026"
