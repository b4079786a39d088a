"""Scripted reps for self-play: a strong rep and a weak rep, written from the scenario itself.

They let a test (or a manager previewing a buyer) see how the buyer behaves without typing:
the strong rep acknowledges the concern on the table, asks open questions on the buyer's own
topics, uses the buyer's numbers back and asks for the objective with a day and a time once
the buyer is warm; the weak rep pitches, asks yes/no questions, discounts and pushes for the
meeting at once. Neither reads the buyer's hidden facts: only what the buyer has said.
"""

from __future__ import annotations

import re

from ..models import Persona, Scenario
from .state import BuyerState

_NUM = re.compile(r"\$?\d[\d,.]*(?:\s?(?:k|%|percent|thousand|million|hours?|days?|a\s+month|a\s+year))?|"
                  r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|sixty|seventy|"
                  r"eighty|ninety)[\w-]*(?:\s+(?:thousand|million|grand|hours|days))?\b", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")
_SMALL = set("that this with what have your they them their about would could there were will from been just "
             "really look honest honestly know think sure okay well like want need into than then".split())


_SWAP = {"i": "you", "i'm": "you're", "i've": "you've", "i'll": "you'll", "i'd": "you'd", "me": "you",
         "my": "your", "mine": "yours", "we": "you", "we're": "you're", "we've": "you've", "we'll": "you'll",
         "our": "your", "us": "you", "myself": "yourself"}
_SENT = re.compile(r"[^.!?]+[.!?]?")


def _play_back(line: str) -> str:
    """The buyer's weightiest sentence, turned round to 'you': a restatement in their own words."""
    sentences = [x.strip() for x in _SENT.findall(line.replace("\u2019", "'")) if len(x.split()) >= 4]
    if not sentences:
        return ""
    best = max(sentences, key=lambda x: sum(1 for w in _WORD.findall(x) if w.lower() not in _SMALL))
    best = re.sub(r"^(?:look|honestly|so|well|okay|ok|and|but),?\s+", "", best.rstrip(".!?"), flags=re.I)
    words = [_SWAP.get(w.lower(), w) for w in best.split()]
    out = " ".join(words)
    return out[0].lower() + out[1:] if out else ""


def _decider(scenario: Scenario, persona: Persona) -> str:
    """Who the objective brings in, as the scenario names them (e.g. 'Mark Chen'), else a role."""
    first = persona.name.split()[0]
    names = [m for m in re.findall(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\b", scenario.objective.milestone)
             if m.split()[0] not in (first, "A", "An", "The") and not m.startswith(("March", "October"))]
    return names[-1] if names else "the people who decide"


class StrongRep:
    """A rep who listens, digs and earns the ask. Deterministic."""

    def __init__(self, scenario: Scenario, persona: Persona):
        self.scenario, self.persona = scenario, persona
        self.asked_topics: list[str] = []
        self.turn = 0

    def say(self, state: BuyerState, buyer_last: str, difficulty_trust_to_agree: int) -> str:
        self.turn += 1
        first = self.persona.name.split()[0]
        if not state.replied:  # the ghost: an email worth answering, with value and one question
            return (f"Hi {first}, one thing that may matter before your agency contract notice date: "
                    "what changed on your side since we last spoke, and is the timeline still the same?")
        back = _play_back(buyer_last) or "that's where you are"
        ready = state.trust >= difficulty_trust_to_agree or (state.patience <= 2 and state.open_objection is None)
        if ready and state.open_objection is not None:
            who = _decider(self.scenario, self.persona)
            asks = [f"Would Thursday at 2 work for 30 minutes with {who}, with you leading it?",
                    f"Could we hold 25 minutes next Tuesday at 10 with you and {who}, so you're not carrying it alone?"]
            self.asks = getattr(self, "asks", 0) + 1
            return f"That makes sense: {back}. " + asks[(self.asks - 1) % len(asks)]
        if state.open_objection is not None or self.turn == 1:
            openers = [f"That's a fair reaction, {first}. So {back}.",
                       f"That makes sense, {first}: {back}.",
                       f"I'd feel the same in your shoes. So {back}."]
            asks = ["What are you comparing it to, and what would it need to look like to work for you?",
                    "What's driving that for you right now?",
                    "How would you want to see that handled before anything else happens?"]
            k = (self.turn - 1) % 3
            return f"{openers[k]} {asks[k]}"
        if ready:
            numbers = _NUM.findall(" ".join(buyer_last.split()))
            value = f" You said {numbers[0]}; that's the number to put in front of them." if numbers else ""
            who = _decider(self.scenario, self.persona)
            asks = [f"Could we book 30 minutes next Tuesday at 10 with you and {who} to go through it together?",
                    f"Would Thursday at 2 work for 30 minutes with {who}, so you're not carrying this alone?",
                    f"How does Wednesday at 11 look for a short call with {who}?"]
            self.asks = getattr(self, "asks", 0) + 1
            return f"Thanks, that helps.{value} " + asks[(self.asks - 1) % len(asks)]
        frames = ["Help me understand {kw} on your side: how does it affect you today?",
                  "When it comes to {kw}, what does that look like for you right now?",
                  "Can I ask about {kw}: what happens when it goes wrong?",
                  "Walk me through {kw} for a moment. Where does it hurt most?"]
        for topic in self.persona.topics:
            if topic.id in self.asked_topics:
                continue
            self.asked_topics.append(topic.id)
            kw = topic.keywords[0]
            frame = frames[(len(self.asked_topics) - 1) % len(frames)]
            return f"Thanks, {first}. " + frame.format(kw=kw)
        closers = ["What would happen if nothing changed over the next six months?",
                   "Who else feels this most when it goes wrong?",
                   "What would a good outcome look like for you by the end of the quarter?"]
        return f"That's useful, {first}. " + closers[self.turn % len(closers)]


class WeakRep:
    """A rep who pitches, asks yes/no questions, discounts and pushes. Deterministic."""

    LINES = [
        "Our platform is best-in-class, with real-time dashboards and AI-powered automation. Does that sound good?",
        "Honestly, I can knock 20% off if you sign this week.",
        "Can we book a demo for Tuesday at 3?",
        "Our customers love it. It integrates with everything out of the box. Is that helpful?",
        "I can do 30% off, that's my best offer. Can we meet Thursday at 2?",
        "Just checking in to see if you had any thoughts.",
        "Can you sign the order form today? I need a yes or no.",
        "Our tool also includes mobile approvals and one-click reporting.",
    ]

    def __init__(self) -> None:
        self.turn = 0

    def say(self, state: BuyerState, buyer_last: str, difficulty_trust_to_agree: int) -> str:
        line = self.LINES[self.turn % len(self.LINES)]
        self.turn += 1
        return line
