"""Lint for buyers: what makes a valid scenario a weak or unwinnable practice buyer.

Pure functions over a loaded Library. Each finding is a located warning
(file, line, column, field, a sentence saying why); warnings do not make a
file invalid, `roleplay validate --strict` makes them fail.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator

from .library import Entry, Library
from .models import Difficulty, Persona, Rubric, Scenario
from .yamlsource import Path_, Problem, format_path

LEVELS = ("easy", "medium", "hard")

# Lines a rep says before the call is about anything: a topic keyword that matches one of
# these earns a hidden fact for small talk ("a" matched "How are things going?").
SMALL_TALK = (
    "How are things going?",
    "How are you doing today?",
    "How was your weekend?",
    "Did you have a good week?",
    "Is now still a good time to talk?",
    "Can you hear me okay?",
    "Thanks for making the time, how have you been?",
    "Sorry I'm a couple of minutes late, how's your day been?",
    "What's new with you since we last spoke?",
    "How's the weather over there?",
    "Do you have a few minutes?",
    "Hope all is well, what are you up to this afternoon?",
    "Shall we get started?",
    "Anything I should know before we begin?",
)

# A harder level must not be kinder than an easier one: per field, whether harder means lower or higher.
_HARDER = {
    "starting_trust": ("lower", "the buyer starts warmer"),
    "patience_turns": ("lower", "the buyer gives more turns"),
    "trust_gain_good": ("lower", "a strong turn earns more trust"),
    "trust_loss_weak": ("higher", "a weak turn costs less trust"),
    "trust_to_agree": ("higher", "the buyer agrees with less trust"),
    "objections": ("higher", "the buyer raises fewer objections"),
}


def lint(lib: Library, files: Iterable[str] | None = None) -> list[Problem]:
    """Every warning for the library, or only for the files named (by path)."""
    wanted = None if files is None else {os.path.realpath(f) for f in files}
    out: list[Problem] = []
    seen: set[tuple[str, int, int, str, str]] = set()
    for warning in _all(lib):
        key = (warning.file, warning.line, warning.col, warning.path, warning.message)
        if key in seen or (wanted is not None and os.path.realpath(warning.file) not in wanted):
            continue
        seen.add(key)
        out.append(warning)
    return sorted(out, key=lambda w: (w.file, w.line, w.col))


def _all(lib: Library) -> Iterator[Problem]:
    for entry in lib.personas.values():
        if str(entry.path) not in lib.broken:
            yield from keyword_warnings(entry, entry.model, ())
    for entry in lib.scenarios.values():
        if str(entry.path) in lib.broken:
            continue  # its problems come first; lint once it loads
        scenario: Scenario = entry.model
        persona = lib.persona_of(scenario)
        rubric = lib.rubric_of(scenario)
        if isinstance(scenario.persona, Persona):
            yield from keyword_warnings(entry, scenario.persona, ("persona",))
        yield from difficulty_warnings(entry, scenario)
        if persona is not None:
            yield from objection_warnings(entry, scenario, persona)
            if rubric is not None:
                yield from gate_warnings(lib, entry, scenario, persona, rubric)


def _warn(entry: Entry, at: Path_, message: str) -> Problem:
    line, col = entry.located.where(at)
    return Problem(str(entry.path), line, col, format_path(at), "warning: " + message)


def keyword_warnings(entry: Entry, persona: Persona, at: Path_) -> Iterator[Problem]:
    """Topic keywords so short or common that small talk matches them."""
    from .engine.signals import topic_matches

    for i, topic in enumerate(persona.topics):
        for j, keyword in enumerate(topic.keywords):
            where = at + ("topics", i, "keywords", j)
            if keyword.strip().isalpha() and len(keyword.strip()) < 3:
                yield _warn(entry, where, (
                    f"the keyword '{keyword}' is too short: it matches the start of many everyday words, "
                    f"so almost any question counts as asking about '{topic.id}'; use a word or phrase "
                    "only this topic would use"))
                continue
            hit = next((line for line in SMALL_TALK if topic_matches(line, [keyword])), None)
            if hit is not None:
                yield _warn(entry, where, (
                    f"the keyword '{keyword}' matches small talk (\"{hit}\"), so a rep who only chats "
                    f"counts as asking about '{topic.id}' and can earn what it reveals; use a word or "
                    "phrase only this topic would use"))


def difficulty_warnings(entry: Entry, scenario: Scenario) -> Iterator[Problem]:
    """A harder level whose numbers are kinder than an easier level's."""
    levels = [(name, scenario.difficulty.get(name)) for name in LEVELS]  # type: ignore[arg-type]
    for (easier, a), (harder, b) in zip(levels, levels[1:]):
        for field, (way, kinder) in _HARDER.items():
            va, vb = getattr(a, field), getattr(b, field)
            if (vb < va) if way == "higher" else (vb > va):
                yield _warn(entry, ("difficulty", harder, field), (
                    f"{harder} is easier than {easier} here: {field} is {vb} on {harder} and {va} on "
                    f"{easier}, so on {harder} {kinder}; a harder level should have it {way} "
                    "(or the same)"))


def turns_to_win(difficulty: Difficulty, persona: Persona) -> int:
    """The fewest rep turns in which every objection the level raises can be raised and answered,
    and the buyer agree (the engine raises owed objections before any yes)."""
    owed = min(difficulty.objections, len(persona.objections))
    opener = owed > 0 and any(o.raised == "at-opening" for o in persona.objections)
    # One turn answers one objection (and may bring the next); without an opening objection
    # the first one needs a turn to come up.
    turns = owed + (0 if opener or owed == 0 else 1)
    # The yes needs the trust earned before the asking turn.
    gap = max(0, difficulty.trust_to_agree - difficulty.starting_trust)
    earning = math.ceil(gap / difficulty.trust_gain_good) if difficulty.trust_gain_good else (0 if gap == 0 else 10**6)
    return max(turns, earning + 1, 1)


def objection_warnings(entry: Entry, scenario: Scenario, persona: Persona) -> Iterator[Problem]:
    """Objections that cannot all come up (and be answered) in the buyer's patience, a pile-up of
    objections in the first turns, and opening objections that never open."""
    for name in LEVELS:
        level: Difficulty = scenario.difficulty.get(name)  # type: ignore[arg-type]
        owed = min(level.objections, len(persona.objections))
        opener = owed > 0 and any(o.raised == "at-opening" for o in persona.objections)
        needed = owed + (0 if opener or owed == 0 else 1)
        if owed and needed > level.patience_turns:
            yield _warn(entry, ("difficulty", name, "objections"), (
                f"on {name} the buyer raises {owed} objections, each needing a turn to answer, but "
                f"walks away after {level.patience_turns} turns: the objections cannot all be raised "
                "and answered, so the call can never be won; raise patience_turns or lower objections"))
        elif owed and turns_to_win(level, persona) > level.patience_turns:
            yield _warn(entry, ("difficulty", name, "objections"), (
                f"on {name}, answering {owed} objections and earning trust from {level.starting_trust} "
                f"to {level.trust_to_agree} takes more than the buyer's {level.patience_turns} turns of "
                "patience, so the call can never be won; raise patience_turns or lower objections"))
        # The buyer opens with one objection and may raise one more on each of the rep's turns:
        # a pile-up a tough buyer may throw, not one for a first attempt or a typical buyer.
        early = min(owed, (1 if opener else 0) + 2)
        if early >= 3 and name != "hard":
            yield _warn(entry, ("difficulty", name, "objections"), (
                f"on {name} the buyer can raise {early} objections by the rep's second turn (one at "
                "the opening, then one on each turn), before the rep has had a turn to ask anything; "
                "keep that for hard, or lower objections on this level"))
    openers = [i for i, o in enumerate(persona.objections) if o.raised == "at-opening"]
    at = ("persona",) if isinstance(scenario.persona, Persona) else None
    if at is not None:
        for i in openers[1:]:
            yield _warn(entry, at + ("objections", i, "raised"), (
                f"only the first at-opening objection ('{persona.objections[openers[0]].id}') is "
                f"raised at the opening; '{persona.objections[i].id}' comes up only when the rep "
                "asks for a next step; give it another 'raised'"))


def _offline_can_pass(rubric: Rubric, criterion_id: str) -> str | None:
    """Why offline grading can never pass this criterion, or None when it can."""
    criterion = next((c for c in rubric.criteria if c.id == criterion_id), None)
    if criterion is None:
        return None  # a dangling reference is an error reported by validate itself
    if criterion.signal is None:
        return f"criterion '{criterion.id}' has no signal, so only a model judge can pass it"
    if criterion.applies == "end-of-call":
        return f"criterion '{criterion.id}' is judged at the end of the call, never on the turn that asks"
    if criterion.signal_mode == "fail-only":
        return (f"criterion '{criterion.id}' uses the signal '{criterion.signal}' to catch failures only "
                "(signal_decides: fail-only), so only a model judge can pass it")
    return None


def gate_warnings(lib: Library, entry: Entry, scenario: Scenario, persona: Persona,
                  rubric: Rubric) -> Iterator[Problem]:
    """Hidden facts gated on a criterion that offline grading never passes: never earned offline."""
    inline = isinstance(scenario.persona, Persona)
    persona_entry = entry if inline else lib.personas.get(persona.id)
    for i, fact in enumerate(persona.hidden_facts):
        rule = fact.reveal
        if rule.criterion is None or rule.topic is not None:
            continue  # with a topic, offline practice opens it on the topic when nothing can judge the criterion
        why = _offline_can_pass(rubric, rule.criterion)
        if why is None:
            continue
        at: Path_ = ("hidden_facts", i, "reveal", "criterion")
        message = (f"the hidden fact '{fact.id}' opens only when the rep passes a criterion, and {why} "
                   f"(rubric '{rubric.id}'): practising offline the rep can never earn it; add a "
                   "'topic' to the reveal rule, or give the criterion a signal")
        if inline:
            yield _warn(entry, ("persona",) + at, message)
        else:
            where = ""
            if persona_entry is not None:
                line, col = persona_entry.located.where(at)
                where = f" ({persona_entry.path}:{line}:{col})"
            yield _warn(entry, ("persona",), f"persona '{persona.id}', {format_path(at)}{where}: {message}")
