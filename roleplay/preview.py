"""`roleplay preview`: a strong and a weak rep self-played against a buyer, side by side.

So that the manager who wrote a scenario sees how its buyer behaves before any rep meets it:
the scripted reps of engine/selfplay.py (a strong rep who listens, digs and earns the ask; a
weak rep who pitches, discounts and pushes) each play one call through the real session engine
(signals, grades, the buyer's state and the offline buyer's lines), with the practice history
kept in memory (firmness.MemoryStore): a preview writes nothing to the rep's history.

`preview_scenario` is the pure part (typed results, used by the command line and the app's
preview screen); `cmd_preview` prints them. The offline buyer is deterministic for a seed.
A configured model is not used yet: the preview always plays the scripted buyer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import textwrap
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DIFFICULTIES = ("easy", "medium", "hard")
DEFAULT_SEED = 1
REPS = (("strong", "Strong rep"), ("weak", "Weak rep"))


# ---------------------------------------------------------------------------------------------
# Typed results


@dataclass
class PreviewTurn:
    """One rep turn of a self-played call and the buyer's state just after it."""

    turn: int
    rep: str  # what the scripted rep said
    buyer: str  # the buyer's reply, or the silence note when the buyer did not answer
    silent: bool  # the buyer did not reply (`buyer` is the note saying so)
    move: str  # the buyer's move (state.MoveKind): objection, reveal, good, pushy-close, won...
    reaction: str  # the move in words, as the rep sees it in practice
    trust: int
    trust_to_agree: int
    patience: int  # turns of patience left
    revealed: list[str]  # hidden fact ids told so far
    new_facts: list[str]  # hidden fact ids told on this turn
    raised: list[str]  # objection ids raised so far
    open_objection: str | None  # the objection still waiting for an answer
    passed: list[str]  # criteria this turn passed (ids)
    failed: list[str]  # criteria this turn failed (ids)

    @property
    def grades(self) -> str:
        """'2 passed, 1 failed (no-discount)', or 'no criterion applied'."""
        if not self.passed and not self.failed:
            return "no criterion applied"
        out = f"{len(self.passed)} passed"
        if self.failed:
            out += f", {len(self.failed)} failed ({', '.join(self.failed)})"
        return out

    def to_json(self) -> dict:
        data = asdict(self)
        data["grades"] = self.grades
        return data


@dataclass
class PreviewCall:
    """One scripted rep's call against the buyer."""

    rep: str  # strong or weak
    label: str  # Strong rep, Weak rep
    outcome: str  # won, walked-away, in-progress
    turns: list[PreviewTurn] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """'won at turn 6', 'buyer walked away at turn 3', 'still talking after 8 turns (...)'."""
        n = len(self.turns)
        if self.outcome == "won":
            return f"won at turn {n}"
        if self.outcome in ("walked-away", "ended-by-rep"):
            return f"buyer walked away at turn {n}"
        last = self.turns[-1] if self.turns else None
        where = (f" (trust {last.trust} of {last.trust_to_agree} needed, patience {last.patience})"
                 if last else "")
        return f"still talking after {n} turn{'s' if n != 1 else ''}{where}"

    def to_json(self) -> dict:
        return {"rep": self.rep, "outcome": self.outcome, "verdict": self.verdict,
                "turns": [t.to_json() for t in self.turns]}


@dataclass
class Preview:
    """Both calls on one difficulty."""

    scenario: str
    title: str
    difficulty: str
    seed: int
    opening: str  # the buyer's first line, or the note that they are not answering
    starting_trust: int
    trust_to_agree: int
    patience: int
    opening_objection: str | None
    calls: list[PreviewCall]

    @property
    def strong(self) -> PreviewCall:
        return self.calls[0]

    @property
    def weak(self) -> PreviewCall:
        return self.calls[1]

    def to_json(self) -> dict:
        return {"difficulty": self.difficulty, "seed": self.seed, "opening": self.opening,
                "starting_trust": self.starting_trust, "trust_to_agree": self.trust_to_agree,
                "patience": self.patience, "opening_objection": self.opening_objection,
                "calls": {c.rep: c.to_json() for c in self.calls}}


# ---------------------------------------------------------------------------------------------
# Playing


async def _play(setup: Any, which: str, *, seed: int, max_turns: int | None, players: Any = None) -> PreviewCall:
    from .engine.selfplay import StrongRep, WeakRep
    from .engine.session import BuyerTurnSaved, RepTurnSaved, Session
    from .engine.state import REACTIONS
    from .firmness import MemoryStore

    store = MemoryStore()
    buyer, llm = players() if players is not None else (None, None)
    session = Session.begin(setup, store, store.rep("preview"), seed=seed,  # type: ignore[arg-type]
                            buyer=buyer, llm=llm)
    rep = StrongRep(setup.scenario, setup.persona) if which == "strong" else WeakRep()
    need = setup.difficulty.trust_to_agree
    cap = max_turns if max_turns is not None else setup.difficulty.patience_turns + 2
    call = PreviewCall(which, dict(REPS)[which], "in-progress")
    while not session.over and len(call.turns) < cap:
        buyer_last = next((t.text for t in reversed(session.turns) if t.speaker == "buyer"), "")
        line = rep.say(session.state, buyer_last, need)
        before = list(session.state.revealed)
        reply, silent, move, passed, failed = "", False, "neutral", [], []
        async for event in session.say(line):
            if isinstance(event, RepTurnSaved):
                passed = [g.criterion for g in event.turn.grades if g.verdict == "pass"]
                failed = [g.criterion for g in event.turn.grades if g.verdict == "fail"]
            elif isinstance(event, BuyerTurnSaved):
                reply = event.turn.text
                if not reply:
                    reply, silent = event.turn.note or "No reply.", True
                move = event.move.kind if event.move is not None else move
        s = session.state
        call.turns.append(PreviewTurn(
            turn=len(call.turns) + 1, rep=line, buyer=" ".join(reply.split()), silent=silent, move=move,
            reaction=REACTIONS.get(move, (move, ""))[0], trust=s.trust, trust_to_agree=need,
            patience=s.patience, revealed=list(s.revealed),
            new_facts=[f for f in s.revealed if f not in before], raised=list(s.raised),
            open_objection=s.open_objection, passed=passed, failed=failed))
    call.outcome = session.state.outcome
    return call


async def preview_setup_async(setup: Any, *, seed: int = DEFAULT_SEED, max_turns: int | None = None,
                              players: Any = None) -> Preview:
    """Play the strong and the weak rep against the offline buyer of `setup` (engine Setup), or the
    model buyer `players()` makes (a fresh (buyer, llm) pair). Offline it is deterministic for a
    seed; nothing is saved anywhere."""
    from .engine.buyer import OfflineBuyer
    from .engine.state import start

    state, opener = start(setup.scenario, setup.persona, setup.difficulty)
    if setup.scenario.opening.silent_days is not None:
        opening = f"No reply for {setup.scenario.opening.silent_days} days since the rep's last email."
    else:
        opening = OfflineBuyer().opening(setup.context, seed) or (opener.line if opener else "")
    calls = [await _play(setup, which, seed=seed, max_turns=max_turns, players=players) for which, _ in REPS]
    return Preview(setup.scenario.id, setup.scenario.title, setup.difficulty_name, seed,
                   " ".join(opening.split()), state.trust, setup.difficulty.trust_to_agree, state.patience,
                   opener.id if opener else None, calls)


def preview_scenario(lib: Any, ref: str, difficulties: tuple[str, ...] = ("medium",), *,
                     seed: int = DEFAULT_SEED, max_turns: int | None = None, players: Any = None) -> list[Preview]:
    """The previews of a scenario (an id or a file in `lib`), one per difficulty.
    Raises a RoleplayError with a sentence when the scenario can't be previewed."""
    return asyncio.run(preview_scenario_async(lib, ref, difficulties, seed=seed, max_turns=max_turns,
                                              players=players))


async def preview_scenario_async(lib: Any, ref: str, difficulties: tuple[str, ...] = ("medium",), *,
                                 seed: int = DEFAULT_SEED, max_turns: int | None = None,
                                 players: Any = None) -> list[Preview]:
    """preview_scenario, for a caller already in an event loop (the app)."""
    from .engine.session import Setup
    from .errors import LibraryError, NotFound, RoleplayError

    bad = [d for d in difficulties if d not in DIFFICULTIES]
    if bad:
        raise RoleplayError(f"there is no difficulty '{bad[0]}': use easy, medium, hard or all")
    if max_turns is not None and max_turns < 1:
        raise RoleplayError("--turns needs a number of turns of 1 or more")
    try:
        entry = lib.find("scenario", ref)
    except LookupError as exc:
        text = str(exc)
        if " has problems:" in text:
            raise LibraryError(f"{ref} can't be previewed because it has problems; fix them first "
                               f"(roleplay validate {ref}):\n{text.split(' has problems:', 1)[1].strip()}") from None
        raise NotFound(f"{text}; see 'roleplay list'") from None
    scenario = entry.model
    if str(entry.path) in lib.broken:
        raise LibraryError(f"scenario '{scenario.id}' has problems; run 'roleplay validate {entry.path}' "
                           "and fix them before previewing")
    persona, rubric = lib.persona_of(scenario), lib.rubric_of(scenario)
    if persona is None or rubric is None:
        raise LibraryError(f"scenario '{scenario.id}' refers to a missing persona or rubric; "
                           f"run 'roleplay validate {entry.path}'")
    out = [await preview_setup_async(Setup(scenario, persona, rubric, d), seed=seed, max_turns=max_turns,
                                     players=players)
           for d in difficulties]
    return out


# ---------------------------------------------------------------------------------------------
# Text


def _names(ids: list[str]) -> str:
    return ", ".join(ids) if ids else "none"


def turn_lines(t: PreviewTurn, width: int) -> list[str]:
    """One turn as plain lines no wider than `width`."""
    def wrap(text: str, first: str) -> list[str]:
        more = first + "  " if not first.strip() else "  "  # the state lines hang under themselves
        return textwrap.wrap(text, width, initial_indent=first, subsequent_indent=more) or [first.rstrip()]

    out = [f"Turn {t.turn}"]
    out += wrap(t.rep, "Rep: ")
    out += wrap(t.buyer, "Buyer (no reply): " if t.silent else "Buyer: ")
    out += wrap(t.reaction, "-> ")
    out += wrap(f"trust {t.trust} of {t.trust_to_agree} needed · patience {t.patience} left", "   ")
    objection = (f"objection open: {t.open_objection}" if t.open_objection else
                 f"objections raised: {len(t.raised)}, none open")
    out += wrap(objection, "   ")
    facts = _names(t.revealed) + (f" (new: {', '.join(t.new_facts)})" if t.new_facts else "")
    out += wrap(f"facts: {facts}", "   ")
    out += wrap(f"grades: {t.grades}", "   ")
    return out


def header_lines(p: Preview, width: int) -> list[str]:
    title = p.title.strip('"')
    opening = f"'{p.opening}'" if p.opening else "(nothing)"
    out = textwrap.wrap(f"{p.scenario} ({title}): {p.difficulty}, offline buyer, seed {p.seed}", width,
                        subsequent_indent="  ")
    out += textwrap.wrap(f"Buyer opens: {opening}", width, subsequent_indent="  ")
    objection = f"; objection open from the start: {p.opening_objection}" if p.opening_objection else ""
    out += textwrap.wrap(f"Trust starts at {p.starting_trust} and must reach {p.trust_to_agree} to agree; "
                         f"patience {p.patience} turns{objection}.", width)
    return out


def verdict_lines(p: Preview) -> list[str]:
    return [f"{c.label}: {c.verdict}." for c in p.calls]


def text_of(p: Preview, width: int) -> str:
    """A preview as text for a terminal `width` columns wide: the two calls side by side when
    there is room for two columns of 44, else one after the other."""
    out = header_lines(p, width) + [""]
    gap = 3
    if width >= 2 * 44 + gap:
        col = (width - gap) // 2
        out.append(f"{REPS[0][1].upper():<{col}}{' ' * gap}{REPS[1][1].upper()}")
        out.append(f"{'-' * col}{' ' * gap}{'-' * col}")
        n = max(len(c.turns) for c in p.calls)
        for i in range(n):
            left = turn_lines(p.strong.turns[i], col) if i < len(p.strong.turns) else []
            right = turn_lines(p.weak.turns[i], col) if i < len(p.weak.turns) else []
            if i == len(p.strong.turns):
                left = [f"({p.strong.verdict})"]
            if i == len(p.weak.turns):
                right = [f"({p.weak.verdict})"]
            for k in range(max(len(left), len(right))):
                a = left[k] if k < len(left) else ""
                b = right[k] if k < len(right) else ""
                out.append(f"{a:<{col}}{' ' * gap}{b}".rstrip())
            out.append("")
    else:
        for call in p.calls:
            out.append(call.label.upper())
            out.append("-" * min(width, 40))
            for t in call.turns:
                out += turn_lines(t, width) + [""]
    out += verdict_lines(p)
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# The command


def _load(args: argparse.Namespace) -> Any:
    from . import library
    from .errors import NotFound

    ref = args.scenario
    path = Path(ref)
    files: list[Path] = []
    if path.suffix.lower() in (".yaml", ".yml") or path.is_file():
        if not path.exists():
            raise NotFound(f"{ref}: does not exist (no such file)")
        files = [path]
    lib = library.load_named(files, args.library)
    for warning in lib.warnings:
        print(warning, file=sys.stderr)
    return lib


def _difficulties(value: str) -> tuple[str, ...]:
    from .errors import RoleplayError

    value = value.strip().lower()
    if value == "all":
        return DIFFICULTIES
    if value not in DIFFICULTIES:
        raise RoleplayError(f"there is no difficulty '{value}': use easy, medium, hard or all")
    return (value,)


def _players(args: argparse.Namespace) -> tuple[Any, str]:
    """A maker of fresh (model buyer, llm) pairs when a model is configured, and the buyer's name."""
    from .settings import load_settings

    settings = load_settings(model=args.model, offline=True if args.offline else None)
    if not settings.online:
        return None, "offline"
    from .engine.buyer import LLMBuyer
    from .llm.client import LLM

    def players() -> tuple[Any, Any]:
        llm = LLM(settings, notice=lambda m: print(f"({m})", file=sys.stderr, flush=True))
        return LLMBuyer(llm, settings.model), llm

    return players, str(settings.model)


def cmd_preview(args: argparse.Namespace) -> int:
    difficulties = _difficulties(args.difficulty)
    lib = _load(args)
    players, buyer = _players(args)
    if players is not None:
        print(f"(The buyer is played by {buyer}; the scripted reps are the same. --offline for the "
              "scripted buyer.)", file=sys.stderr, flush=True)
    previews = preview_scenario(lib, args.scenario, difficulties, seed=args.seed, max_turns=args.turns,
                                players=players)
    if args.json:
        p0 = previews[0]
        print(json.dumps({"scenario": p0.scenario, "title": p0.title, "buyer": buyer, "seed": args.seed,
                          "previews": [p.to_json() for p in previews]}, indent=2))
        return 0
    width = max(40, min(shutil.get_terminal_size((100, 24)).columns, 160))
    print(("\n\n" + "=" * min(width, 80) + "\n\n").join(text_of(p, width) for p in previews))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's commands to the command line."""
    p = sub.add_parser(
        "preview", help="a strong and a weak rep self-played against a scenario's buyer, side by side",
        description="Play a scripted strong rep (listens, digs, earns the ask) and a scripted weak rep "
                    "(pitches, discounts, pushes) against the scenario's offline buyer, and show the "
                    "buyer's state after every turn: trust against what it needs to agree, patience, "
                    "objections, hidden facts told, and how the buyer took the turn. Nothing is saved "
                    "to the practice history.")
    p.add_argument("scenario", metavar="SCENARIO", help="a scenario id (see 'roleplay list') or a file")
    p.add_argument("--difficulty", default="medium", metavar="D",
                   help="easy, medium, hard, or all for the three (default medium)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help=f"the offline buyer's seed (default {DEFAULT_SEED}); the same seed plays the same calls")
    p.add_argument("--turns", type=int, default=None, metavar="N",
                   help="stop each call after N rep turns (default: as long as the buyer's patience allows)")
    p.add_argument("--json", action="store_true", help="print the calls as JSON")
    p.add_argument("--model", help="the buyer's model (default: the configured one; none: the scripted buyer)")
    p.add_argument("--offline", action="store_true", help="the scripted buyer, even when a model is configured")
    p.add_argument("--library", action="append", type=Path, default=[], metavar="FOLDER",
                   help="another folder of scenarios, rubrics and personas (may repeat)")
    p.set_defaults(func=cmd_preview)
