"""The plan check: what the rep planned to ask and to find out, against what happened in the call.

An item counts as asked when one of the rep's questions covered it, and as found out when the
buyer gave the answer, however it came up: a hidden fact on the item's topic was revealed, or a
buyer line holds the item's key words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models import Persona
from .records import Turn
from .signals import SignalContext, question, topic_matches

_WORD = re.compile(r"[a-z0-9']{4,}")
_COMMON = {"what", "your", "have", "with", "that", "this", "they", "them", "their", "about", "does",
           "would", "could", "when", "which", "there", "were", "will", "from", "into", "much", "many",
           "how", "ask", "asks", "find", "know", "learn", "whether", "does", "their", "there"}


@dataclass
class PlanItem:
    kind: str  # "questions" or "information"
    text: str
    asked: bool
    found: str | None  # the buyer's words that answered it, if any


def planned_items(plan: dict | None) -> list[tuple[str, str]]:
    """(kind, text) for each planned question and piece of information to find out."""
    if not plan:
        return []
    out = []
    for kind in ("questions", "information"):
        for line in (plan.get(kind) or "").splitlines():
            text = line.strip(" -•*\t").rstrip(" ?.")
            if text:
                out.append((kind, text))
    return out


def _keys(text: str) -> set[str]:
    return {w[:5] for w in _WORD.findall(text.lower()) if w not in _COMMON}


def covered(item: str, said: list[str]) -> bool:
    """At least two thirds of the item's key words (by their first five letters) in one line."""
    words = _keys(item)
    if not words:
        return False
    need = max(1, -(-2 * len(words) // 3))
    return any(sum(1 for w in words if w in line.lower()) >= need for line in said)


def check(plan: dict | None, turns: list[Turn], persona: Persona | None = None,
          revealed: list[str] = (), told: dict[str, int] | None = None) -> list[PlanItem]:
    asked = [q for t in turns if t.speaker == "rep" for q in question(t.text, SignalContext()).evidence]
    first_rep = next((t.index for t in turns if t.speaker == "rep"), None)
    # What the buyer said in answer to the rep, not the opening line the call started with.
    buyer = [t.text for t in turns if t.speaker == "buyer" and t.text and first_rep is not None
             and t.index > first_rep]
    topics = {t.id: t for t in (persona.topics if persona else [])}
    out = []
    for kind, item in planned_items(plan):
        found = None
        for fact in (persona.hidden_facts if persona else []):
            topic = topics.get(fact.reveal.topic or "")
            if fact.id in revealed and topic is not None and topic_matches(item, topic.keywords):
                # the buyer's own line that told it (recorded when it was said), else the fact itself
                at = (told or {}).get(fact.id)
                found = next((t.text for t in turns if t.index == at and t.text), None) or fact.fact
                break
        if found is None:
            found = next((b for b in buyer if covered(item, [b])), None)
        out.append(PlanItem(kind, item, covered(item, [q.lower() for q in asked]), found))
    return out
