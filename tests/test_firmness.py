"""A buyer that can't be gamed, and that answers only what was said (issue 7).

Every shipped scenario, every difficulty, several seeds, played offline:
- formula lines (a repeated acknowledgment + open question + dated ask, the same line every turn,
  a pitch with a question tacked on) never win and never pass the rubric;
- a strong rep (selfplay.StrongRep) scores higher than a weak one (selfplay.WeakRep);
- the buyer's lines never mention a hidden fact before it is revealed, an invite before one was
  proposed, an objection before it was raised, or a "question" when none was asked.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from roleplay import library
from roleplay.engine.selfplay import StrongRep, WeakRep
from roleplay.engine.session import BuyerTurnSaved, Session, Setup
from roleplay.engine.signals import SignalContext, question
from roleplay.store import Store

LIB = library.load([library.shipped_folder()])
SCENARIOS = sorted(LIB.scenarios)
DIFFICULTIES = ["easy", "medium", "hard"]
SEEDS = [1, 7, 42]
MAX_TURNS = 20

ASK = "Can we meet Tuesday at 3?"
FORMULAS = {
    # "I hear you. What does that cost you?" five times, then the same with a dated ask, again and again.
    "ack-question-ask": lambda i: "I hear you. What does that cost you?" + (f" {ASK}" if i >= 5 else ""),
    "same-line": lambda i: f"That's fair. What would it take to move forward? {ASK}",
    # The formula varied by a word or two each turn, so it is not a word-for-word repeat.
    "varied-formula": lambda i: "I hear you. What does that cost you " + [
        "each month?", "per week?", "per quarter?", "this year?", "overall?", "on average?", "in total?",
        "right now?"][i % 8] + (f" Can we meet Tuesday at {3 + i % 4}?" if i >= 3 else ""),
    "two-things": lambda i: ["Right, two things to note then.", "Understood. Those two points are noted.",
                             "Okay, so two things, got it."][i % 3] + (f" {ASK}" if i >= 3 else ""),
    "pitch-plus-question": lambda i: [
        "Our platform automates the whole workflow with real-time dashboards. What do you think?",
        "It also integrates with everything out of the box and our customers love it. Thoughts?",
        f"Our AI-powered engine is best-in-class. Does that sound good? {ASK}",
    ][i % 3],
}


class Played:
    def __init__(self, session: Session, buyer_log: list[tuple[str, dict, str]]):
        self.session, self.buyer_log = session, buyer_log


async def _play(scenario: str, difficulty: str, seed: int, next_line, tmp: Path) -> Played:  # noqa: ANN001
    setup = Setup.from_library(LIB, scenario, difficulty)
    store = Store(tmp / f"{scenario}-{difficulty}-{seed}.db")
    session = Session.begin(setup, store, store.rep("Tester"), seed=seed)
    log: list[tuple[str, dict, str]] = []  # (buyer line, state after it, the rep line it answers)
    i = 0
    while not session.over and i < MAX_TURNS:
        last = next((t.text for t in reversed(session.turns) if t.speaker == "buyer"), "")
        line = next_line(i, session, last)
        async for event in session.say(line):
            if isinstance(event, BuyerTurnSaved) and event.turn.text:
                log.append((event.turn.text, event.state.to_json(), line))
        i += 1
    await session.end()
    store.close()
    return Played(session, log)


def play(scenario: str, difficulty: str, seed: int, next_line, tmp: Path) -> Played:  # noqa: ANN001
    return asyncio.run(_play(scenario, difficulty, seed, next_line, tmp))


@pytest.mark.parametrize("formula", sorted(FORMULAS))
@pytest.mark.parametrize("difficulty", DIFFICULTIES)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_formula_lines_never_win_nor_pass(scenario: str, difficulty: str, formula: str, tmp_path: Path) -> None:
    for seed in SEEDS:
        played = play(scenario, difficulty, seed, lambda i, s, last: FORMULAS[formula](i), tmp_path)
        card = played.session.scorecard
        assert played.session.state.outcome != "won", (scenario, difficulty, formula, seed)
        assert card is not None and card.passed is not True, (scenario, difficulty, formula, seed, card.score)


def _strong(setup_scenario: str):  # noqa: ANN202
    entry = LIB.scenarios[setup_scenario].model
    rep = StrongRep(entry, LIB.persona_of(entry))
    return lambda i, s, last: rep.say(s.state, last, s.setup.difficulty.trust_to_agree)


def _weak():  # noqa: ANN202
    rep = WeakRep()
    return lambda i, s, last: rep.say(s.state, last, s.setup.difficulty.trust_to_agree)


_FIGURE = re.compile(r"\$?\d[\d,.]*\d|\$?\d|(?i:\b(?:[a-z]+[\s-])?(?:hundred|thousand|million|grand|percent)\b)")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)(?<![.!?\"]\s\s)\b[A-Z][a-zA-Z]+\b")
_COMMON = set("I Yeah Okay Ok Monday Tuesday Wednesday Thursday Friday Saturday Sunday Q1 Q2 Q3 Q4".split())


def _tokens(text: str) -> set[str]:
    """Names (not a sentence's first word) and figures: what a buyer line cannot mention before it came up."""
    out = {m.group().strip("$.,").replace(",", "").lower() for m in _FIGURE.finditer(text)}
    out |= {m.group().lower() for m in _NAME.finditer(text) if m.group() not in _COMMON}
    return out


def violations(scenario_id: str, played: Played) -> list[str]:
    """Buyer lines that refer to something that had not happened when they were said."""
    sc = LIB.scenarios[scenario_id].model
    persona = LIB.persona_of(sc)
    public = " ".join([sc.summary, sc.title, sc.rep_brief.product, sc.rep_brief.price, sc.rep_brief.history,
                       " ".join(sc.rep_brief.notes), sc.objective.milestone, sc.opening.line or "",
                       " ".join(sc.offline_script.opening), persona.name, persona.role, persona.company.name])
    said_so_far = public
    found: list[str] = []
    rep_lines: list[str] = []
    for line, state, rep_line in played.buyer_log:
        rep_lines.append(rep_line)
        known = said_so_far + " " + " ".join(rep_lines)
        known += " " + " ".join(f.fact for f in persona.hidden_facts if f.id in state["revealed"])
        known += " " + " ".join(" ".join(sc.offline_script.fact_revealed.get(f.id, []) and
                                         [getattr(x, "say", x) for x in sc.offline_script.fact_revealed[f.id]])
                                for f in persona.hidden_facts if f.id in state["revealed"])
        known += " " + " ".join(o.line for o in persona.objections if o.id in state["raised"])
        known_tokens = _tokens(known)
        for fact in persona.hidden_facts:
            if fact.id in state["revealed"]:
                continue
            secret = _tokens(fact.fact + " " + " ".join(getattr(x, "say", x)
                                                        for x in sc.offline_script.fact_revealed.get(fact.id, [])))
            leaked = (_tokens(line) & secret) - known_tokens
            if leaked:
                found.append(f"{line!r} leaks {sorted(leaked)} of the unrevealed fact '{fact.id}'")
        for o in persona.objections:
            if o.id not in state["raised"] and (line == o.line or line in o.handled):
                found.append(f"{line!r} belongs to the objection '{o.id}', which was never raised")
        if re.search(r"\b(?:invite|declined)\b", line, re.I) and not state["proposed"] \
                and not re.search(r"\binvite\b", known, re.I):
            found.append(f"{line!r} mentions an invite before any meeting was proposed")
        if re.search(r"\b(?:fair|good|great|that's a|the right)\s+question\b", line, re.I) and \
                not question(rep_line, SignalContext()).hit:
            found.append(f"{line!r} answers a question the rep never asked ({rep_line!r})")
        said_so_far += " " + line
    return found


@pytest.mark.parametrize("difficulty", ["easy", "medium"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_strong_rep_beats_weak_rep_and_buyer_says_only_what_happened(scenario: str, difficulty: str,
                                                                     tmp_path: Path) -> None:
    for seed in SEEDS:
        strong = play(scenario, difficulty, seed, _strong(scenario), tmp_path)
        weak = play(scenario, difficulty, seed, _weak(), tmp_path)
        s_card, w_card = strong.session.scorecard, weak.session.scorecard
        assert s_card is not None and w_card is not None
        assert (s_card.score or 0) > (w_card.score or 0), (scenario, difficulty, seed, s_card.score, w_card.score)
        assert weak.session.state.outcome != "won"
        for played in (strong, weak):
            assert violations(scenario, played) == [], (scenario, difficulty, seed)


def test_the_check_catches_a_leak() -> None:
    """The reference check itself can fail: a buyer line quoting an unrevealed fact is caught."""
    sid = "price-objection"
    sc = LIB.scenarios[sid].model
    fact = LIB.persona_of(sc).hidden_facts[0]
    state = {"revealed": [], "raised": [], "proposed": False}
    fake = Played(None, [(fact.fact, state, "How are things?")])  # type: ignore[arg-type]
    assert violations(sid, fake)
    fake = Played(None, [("I saw the invite and declined it.", state, "Hello?")])  # type: ignore[arg-type]
    assert any("invite" in v for v in violations(sid, fake))
    fake = Played(None, [("Fair question. Go on.", state, "We're the best on the market.")])  # type: ignore[arg-type]
    assert any("never asked" in v for v in violations(sid, fake))
