"""The buyer's state, kept and changed by code; a model only voices it.

After every rep turn, `advance` reads that turn's signals and grades and the
difficulty's numbers, and decides the buyer's move: agree, walk away, raise
an objection, give up a hidden fact, push back on a pushy close, or just
warm up or cool down. Whether the call is won, lost or abandoned is decided
here and nowhere else.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Literal

from ..models import Difficulty, HiddenFact, Objection, Persona, Rubric, Scenario
from .records import Grade
from .signals import SignalResult, content_words, topic_matches

Outcome = Literal["in-progress", "won", "walked-away", "ended-by-rep"]
MoveKind = Literal[
    "won", "walked-away", "objection", "discount", "pushy-close", "reveal",
    "objection-handled", "good", "weak", "neutral", "silence", "repeat", "off-script", "complied",
]

_PRICE = re.compile(r"\b(price|pricing|\$\s?\d|budget|expensive|discount|quote|licen[cs]e fee)",
                    re.IGNORECASE)


REACTIONS: dict[str, tuple[str, str]] = {
    "good": ("Landed well", "good"),
    "weak": ("Fell flat", "bad"),
    "neutral": ("No change", "dim"),
    "pushy-close": ("Too early: the buyer isn't ready to agree yet", "bad"),
    "discount": ("Discount offered: the first price now looks made up", "bad"),
    "reveal": ("You earned new information", "good"),
    "objection": ("New objection: handle it before you move on", "warn"),
    "objection-handled": ("Objection handled", "good"),
    "silence": ("No reply: nothing in it worth answering", "warn"),
    "repeat": ("Said before: a repeated line earns nothing and costs patience", "bad"),
    "off-script": ("That was not said to the buyer: it earns nothing", "bad"),
    "complied": ("You agreed to just send it: the buyer has what they wanted and ends the call", "bad"),
    "won": ("They agreed", "win"),
    "walked-away": ("They ended it", "lost"),
}
"""How the buyer took a turn, in words a rep understands, with a tone for front ends to colour."""


@dataclass
class BuyerState:
    """Everything the buyer 'feels' and 'knows' about this call, as numbers and ids."""

    trust: int
    patience: int
    revealed: list[str] = field(default_factory=list)
    raised: list[str] = field(default_factory=list)
    open_objection: str | None = None
    handled: list[str] = field(default_factory=list)
    rep_turns: int = 0
    replied: bool = True  # False while a silent buyer has not answered yet (the ghost)
    days: int = 0  # simulated days since the first touch (the ghost)
    outcome: Outcome = "in-progress"
    last_move: MoveKind | None = None
    objective_asked: bool = False
    proposed: bool = False  # the rep has proposed a meeting or next step at some point in the call
    voiced: dict[str, int] = field(default_factory=dict)  # objection id -> the buyer turn that said it
    told: dict[str, int] = field(default_factory=dict)  # hidden fact id -> the buyer turn that told it
    repeats: int = 0  # rep turns that only repeated earlier ones
    credited: list[str] = field(default_factory=list)  # what has earned trust already (a topic, a figure)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> BuyerState:
        return cls(**data)

    @property
    def over(self) -> bool:
        return self.outcome != "in-progress"

    @property
    def objection_on_table(self) -> bool:
        """An objection was just raised, or is still open: the next rep turn answers it."""
        return self.open_objection is not None or self.last_move == "objection"


@dataclass
class Move:
    """What the buyer does in reply to one rep turn."""

    kind: MoveKind
    trust_delta: int = 0
    objection: Objection | None = None
    fact: HiddenFact | None = None
    days_passed: int = 0
    why: str = ""


def start(scenario: Scenario, persona: Persona, difficulty: Difficulty) -> tuple[BuyerState, Objection | None]:
    """The state at the first word, and the objection the buyer opens with, if any."""
    silent = scenario.opening.silent_days is not None
    state = BuyerState(trust=difficulty.starting_trust, patience=difficulty.patience_turns,
                       replied=not silent, days=scenario.opening.silent_days or 0)
    opener = None
    if difficulty.objections > 0:
        opener = next((o for o in persona.objections if o.raised == "at-opening"), None)
        if opener is not None:
            state.raised.append(opener.id)
            state.open_objection = opener.id
    return state, opener


def _passed(criterion: str, grades: dict[str, Grade]) -> bool | None:
    """True/False when the turn has a verdict on the criterion; None when it cannot be told yet."""
    grade = grades.get(criterion)
    if grade is None or grade.verdict in ("ungraded", "n/a"):
        return None
    return grade.verdict == "pass"


_CLOSE_ASK = re.compile(
    r"\b(?:sign\s+(?:the|this|it|today|now|off\s+(?:today|now)|on\s+the)|signature\s+(?:today|now|on)|order\s+form|"
    r"purchase\s+order|yes\s+or\s+(?:a\s+)?no|close\s+(?:this|the\s+deal|it)\s+(?:today|now|this\s+week)|"
    r"commit\s+(?:today|now|to\s+(?:buying|the\s+purchase|a\s+purchase|the\s+deal))|move\s+forward\s+(?:today|now)|"
    r"ink\s+(?:it|this)|(?:buy|purchase)\s+(?:it\s+)?(?:today|now)|do\s+(?:the|this)\s+deal\s+(?:today|now))",
    re.IGNORECASE)

def _fresh(result: SignalResult, signals: dict[str, SignalResult]) -> bool:
    """A positive signal that rests on something new in this turn, not on a repeated line."""
    if not result.hit:
        return False
    repeated = signals.get("repeats-earlier-line")
    if repeated is None or not repeated.hit:
        return True
    return any(e not in repeated.evidence and not any(e in r for r in repeated.evidence)
               for e in result.evidence)


def concern_on_table(state: BuyerState, buyer_last: str) -> bool:
    from .grading import looks_like_objection

    return state.open_objection is not None or looks_like_objection(buyer_last)


def quality(signals: dict[str, SignalResult], grades: dict[str, Grade] | None = None, *,
            state: BuyerState | None = None, persona: Persona | None = None, buyer_last: str = "",
            heard: str = "") -> tuple[int, list[str]]:
    """What this turn does for THIS buyer at THIS moment: above 0 strong, below 0 weak, with reasons.

    Credit comes only from behaviour aimed at the buyer's situation, and only once for the same
    thing: an open question on something they care about (a topic, a pain, the concern on the
    table) that has not been credited before, or that builds on what they just said; an
    acknowledgment of a concern actually raised; the buyer's own figures used back. A generic or
    varied formula, a repeat or a line to the grader earns nothing. `state.credited` records what
    was credited (the caller passes its own copy)."""
    reasons: list[str] = []
    if signals["talks-to-grader"].hit:
        return -2, ["spoke to the grading, not to the buyer"]
    repeat = signals.get("repeats-earlier-line")
    if repeat is not None and repeat.hit and repeat.value == 1.0:
        return -1, ["repeated an earlier line"]
    q = 0
    credited = state.credited if state is not None else []
    on_table = state is not None and concern_on_table(state, buyer_last)
    if _fresh(signals["open-question"], signals):
        asked = " ".join(e for e in signals["open-question"].evidence)
        keys: list[str] = []
        if persona is not None:
            keys += [f"topic:{t.id}" for t in persona.topics if topic_matches(asked, t.keywords)]
            care = content_words(" ".join(list(persona.pains) + list(persona.priorities) + [persona.situation]))
            keys += [f"care:{w}" for w in sorted((content_words(asked) & care) - _GENERIC)]
        if on_table and state is not None:
            # A question about the concern on the table: it digs into what was said, or is a clarifier.
            concern = buyer_last + " " + " ".join(o.line for o in (persona.objections if persona else [])
                                                  if o.id == state.open_objection)
            if (content_words(asked) & content_words(concern)) - _GENERIC or _CLARIFIER.search(asked):
                keys.append(f"concern:{state.open_objection or ' '.join(sorted(content_words(buyer_last)))}")
        builds = bool(buyer_last) and bool((content_words(asked) & content_words(buyer_last)) - _GENERIC) \
            and f"builds:{buyer_last}" not in credited
        if builds:
            credited.append(f"builds:{buyer_last}")
        new = [k for k in keys if k not in credited]
        if new or builds:
            q += 1
            credited.extend(new)
            reasons.append("asked an open question about what matters to the buyer")
        elif keys:
            reasons.append("asked about something already covered: nothing new for the buyer")
        else:
            reasons.append("the open question was generic: nothing in it is about this buyer")
    if _fresh(signals["acknowledgment"], signals) and on_table:
        q += 1
        reasons.append("acknowledged the concern on the table")
    if heard and state is not None and state.revealed:
        said = _figures(heard)
        used = [f for f in _figures(text_of(signals)) if f in said and f"figure:{f}" not in credited]
        if used:
            q += 1
            credited.extend(f"figure:{f}" for f in used)
            reasons.append("used the buyer's own numbers")
    if not signals["question"].hit and q == 0:
        q -= 1  # telling, not asking
        reasons.append("told, did not ask")
    for name, why in (("talk-length", "a monologue"), ("feature-pitch", "a pitch"),
                      ("filler-words", "filler")):
        if signals[name].hit:
            q -= 1
            reasons.append(why)
    return q, reasons


# Words too general to show that a question is about this buyer ("what does that cost you per week?").
_GENERIC = frozenset(content_words(
    "cost costs costing money price time month months week weeks year years quarter day days today team people "
    "thing things work working business company process problem problems issue issues right now overall average "
    "total each every"))
_CLARIFIER = re.compile(
    r"\b(?:compar\w*|behind\s+(?:it|that|this)|driv(?:es|ing)\s+(?:it|that|this)|what\s+would\s+(?:it|you)\s+"
    r"(?:take|need)|what\s+would\s+have\s+to|mean\s+by|what\s+makes\s+you|why\s+(?:is|does|would)|"
    r"what\s+worries|what\s+concerns|what\s+happened|what\s+changed)\b", re.IGNORECASE)
_FIGURE = re.compile(
    r"\$?\d[\d,.]*\s*(?:k\b|%|percent|thousand|million|grand|hours?|days?|loads?|trucks?)?|"
    r"\b(?:(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety)(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?[\s-])?"
    r"(?:hundred|thousand|million|grand)\b|\bone-point-\w+\s+million\b",
    re.IGNORECASE)


def _figures(text: str) -> set[str]:
    """The figures in a text worth using back: amounts, counts with a unit, percentages; no bare 'two'."""
    out = set()
    for m in _FIGURE.finditer(text):
        f = re.sub(r"[\s,$-]+", "", m.group().lower())
        if len(re.sub(r"\D", "", f)) >= 2 or not f.isdigit() and len(f) > 3:
            out.add(f)
    return out


def text_of(signals: dict[str, SignalResult]) -> str:
    """The rep's whole turn, which the talk-length signal carries as its evidence."""
    ev = signals["talk-length"].evidence
    return ev[0] if ev else ""


def advance(state: BuyerState, text: str, signals: dict[str, SignalResult],
            grades: dict[str, Grade], scenario: Scenario, persona: Persona, rubric: Rubric,
            difficulty: Difficulty, seed: int = 0, buyer_last: str = "", heard: str = "") -> tuple[BuyerState, Move]:
    """The state after one rep turn, and the buyer's move. Pure: `state` is not changed."""
    s = BuyerState.from_json(state.to_json())
    if s.over:
        return s, Move("walked-away" if s.outcome == "walked-away" else "won", why="the call is over")
    s.rep_turns += 1
    s.patience -= 1
    gain, loss = difficulty.trust_gain_good, difficulty.trust_loss_weak
    q, reasons = quality(signals, grades, state=s, persona=persona, buyer_last=buyer_last, heard=heard)
    if signals["talks-to-grader"].hit:
        s.trust = max(0, s.trust - loss)
        s = _maybe_walk(s)
        move = Move("off-script", -loss, why="spoke to the grading, not to the buyer: it earns nothing")
        return s, (Move("walked-away", -loss, why="trust gone") if s.over else move)
    repeat = signals.get("repeats-earlier-line")
    if repeat is not None and repeat.hit and repeat.value == 1.0:
        # Saying the same thing again earns nothing and wears the buyer's patience.
        s.repeats += 1
        s.patience -= 1
        s.trust = max(0, s.trust - loss)
        s = _maybe_walk(s)
        move = Move("repeat", -loss, why="repeated an earlier line: it earns nothing the second time")
        return s, (Move("walked-away", -loss, why="out of patience") if s.over else move)
    if signals["complies-with-brush-off"].hit:
        # Obeying "just send me the information" ends the conversation there.
        s.outcome = "walked-away"
        return s, Move("complied", 0, why="agreed to just send it: the buyer has what they wanted and ends the call")
    delta = gain if q > 0 else -loss if q < 0 else 0
    move = Move("good" if q > 0 else "weak" if q < 0 else "neutral", why="; ".join(reasons))

    # An open objection is handled when the turn passes what resolves it.
    if s.open_objection is not None:
        objection = next(o for o in persona.objections if o.id == s.open_objection)
        # A criterion shown on some other turn ("n/a" here) does not answer this objection now.
        verdicts = [False if (grades.get(c) is not None and grades[c].verdict == "n/a") else _passed(c, grades)
                    for c in objection.resolved_when]
        told = [v for v in verdicts if v is not None]
        # The criteria that resolve it must pass, and the turn must do something for this buyer
        # (a varied formula that happens to pass a question check does not answer a concern).
        handled = (all(told) if told else True) and q > 0
        if handled:
            s.handled.append(objection.id)
            s.open_objection = None
            move = Move("objection-handled", objection=objection, why=f"answered '{objection.id}' well")
            delta = max(delta, gain)

    if signals["discount-offered"].hit:
        delta = -loss
        move = Move("discount", why="offered a discount: the first price now looks made up")

    asked = signals["next-step-ask"].hit
    if asked:
        s.objective_asked = True
        s.proposed = True
    elif _CLOSE_ASK.search(text) and signals["question"].hit and move.kind != "discount" \
            and not _CLOSE_ASK.search(scenario.objective.milestone):
        # "Can you sign today? Yes or no." asks for more than the call is for: always too early.
        s.trust = max(0, state.trust - loss)
        s = _maybe_walk(s)
        push = Move("pushy-close", s.trust - state.trust, why="asked for a commitment the call is not about")
        return s, (Move("walked-away", push.trust_delta, why="out of patience") if s.over else push)
    s.trust = max(0, min(100, s.trust + delta))

    if asked and move.kind != "discount":
        # Before agreeing, the buyer voices the concerns the difficulty still owes:
        # first the one kept for this moment, then any other not yet raised.
        objection = (_next_objection(s, persona, difficulty, "when-rep-asks-for-next-step")
                     or _next_objection(s, persona, difficulty, None))
        # The trust must have been earned before the ask: a turn that asks cannot
        # also be the one that earns the yes (or a pushy close could win).
        if state.trust >= difficulty.trust_to_agree and s.open_objection is None and objection is None:
            s.outcome = "won"
            return s, Move("won", delta, why="asked for the next step with enough trust earned")
        if objection is None:
            # Whatever else was good in the turn, pushing for the objective before it
            # is earned never gains trust: otherwise asking again and again would win.
            s.trust = max(0, state.trust - loss)
            delta = s.trust - state.trust
            move = Move("pushy-close", why=(
                "asked while the buyer's concern is still open: answer it first" if s.open_objection else
                f"asked at trust {state.trust}, {difficulty.trust_to_agree} needed"))
            s = _maybe_walk(s)
            move.trust_delta = delta
            return s, (Move("walked-away", delta, why="out of patience") if s.over else move)
        s.raised.append(objection.id)
        s.open_objection = objection.id
        move = Move("objection", objection=objection, why="asked for the next step")

    if move.kind not in ("objection", "discount") and s.open_objection is None:
        trigger = _trigger(text, signals, s)
        if trigger == "mid-call" and _earned_fact(s, text, signals, grades, persona) is not None:
            trigger = None  # a question that earned an answer gets the answer; the concern can wait a turn
        objection = _next_objection(s, persona, difficulty, trigger) if trigger else None
        if objection is not None:
            s.raised.append(objection.id)
            s.open_objection = objection.id
            move = Move("objection", objection=objection, why=f"{trigger.replace('-', ' ')}")

    if move.kind not in ("objection", "discount"):
        fact = _earned_fact(s, text, signals, grades, persona)
        if fact is not None:
            s.revealed.append(fact.id)
            move = Move("reveal", fact=fact, why=f"earned: {fact.earned_by}")

    if not s.replied:  # the ghost answers only a follow-up worth answering
        if move.kind in ("good", "reveal", "objection-handled") or (move.kind == "objection"):
            s.replied = True
        else:
            days = 2 + (seed + s.rep_turns) % 4
            s.days += days
            move = Move("silence", days_passed=days, why="nothing in it worth a reply")

    move.trust_delta = delta
    s = _maybe_walk(s)
    if s.over:
        return s, Move("walked-away", delta, why="out of patience" if s.patience <= 0 else "trust gone")
    return s, move


def _maybe_walk(s: BuyerState) -> BuyerState:
    if s.outcome == "in-progress" and (s.patience <= 0 or s.trust <= 0):
        s.outcome = "walked-away"
    return s


def _trigger(text: str, signals: dict[str, SignalResult], s: BuyerState) -> str | None:
    if _PRICE.search(text):
        return "when-price-comes-up"
    if signals["feature-pitch"].hit:
        return "when-rep-pitches"
    if s.rep_turns >= 2:
        return "mid-call"
    return None


def _next_objection(s: BuyerState, persona: Persona, difficulty: Difficulty,
                    trigger: str | None) -> Objection | None:
    """The next objection not raised yet with this trigger (any trigger for None), within the budget."""
    if len(s.raised) >= difficulty.objections:
        return None
    return next((o for o in persona.objections
                 if (trigger is None or o.raised == trigger) and o.id not in s.raised), None)


def _earned_fact(s: BuyerState, text: str, signals: dict[str, SignalResult],
                 grades: dict[str, Grade], persona: Persona) -> HiddenFact | None:
    asked = " ".join(signals["question"].evidence)
    topics = {t.id: t for t in persona.topics}
    for fact in persona.hidden_facts:
        if fact.id in s.revealed or s.trust < fact.reveal.min_trust:
            continue
        rule = fact.reveal
        if rule.topic is not None:
            topic = topics.get(rule.topic)
            if topic is None or not topic_matches(asked, topic.keywords):
                continue
        if rule.criterion is not None:
            verdict = _passed(rule.criterion, grades)
            # A criterion nothing can judge yet (no signal, judge still working)
            # does not block: the topic rule alone applies. A clear fail does.
            if verdict is False or (verdict is None and rule.topic is None):
                continue
        return fact
    return None
