"""Putting the engine together from settings: the buyer, the judge, grading a pasted call, reports.

Both front ends (the app and the command line) build sessions through here.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import asdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .engine import scorecard as scorecards
from .engine.buyer import Buyer, LLMBuyer, OfflineBuyer
from .engine.grading import analyse, applies, effective, looks_like_objection, signal_grades
from .engine.judge import Judge, LLMJudge, OfflineJudge, ungraded
from .engine.records import Grade, Turn
from .models import Rubric
from .settings import Settings
from .store import SessionRow, Store
from .words import VERDICT_WORD, outcome_headline


def players(settings: Settings, notice: Callable[[str], None] | None = None) -> tuple[Buyer, Judge, Any]:
    """The buyer and judge for these settings: over a model when one is configured, else offline."""
    if not settings.online:
        return OfflineBuyer(), OfflineJudge(), None
    from .llm.client import LLM

    llm = LLM(settings, notice=notice)
    return LLMBuyer(llm, settings.model), LLMJudge(llm, settings.grader_model), llm


def open_session(settings: Settings, store: Store, lib, scenario_ref: str, difficulty: str,  # noqa: ANN001
                 reps: list[str], *, mode: str = "solo", buyer_player: str | None = None,
                 plan: dict | None = None, seed: int | None = None, team_id: str | None = None,
                 notice: Callable[[str], None] | None = None):  # noqa: ANN201 - engine Session
    """A new session, wired the same way for every front end: the library's scenario, the buyer
    (the model, the script, or a colleague typing) and the judge the settings give, who is in
    the room, and the scenario to recommend next. `team_id`: a hot seat's next call."""
    from .engine.buyer import HumanBuyer
    from .engine.session import MODES, Session, Setup

    if mode not in MODES:
        raise LookupError(f"no mode '{mode}': use {', '.join(MODES)}")
    names = [" ".join(n.split()) for n in reps if n.strip()]
    if not names:
        raise LookupError("name who is practising")
    if len({n.lower() for n in names}) < len(names):
        raise LookupError(f"a name is given twice: {', '.join(names)}")
    if mode != "solo" and len(names) < 2 and team_id is None:
        raise LookupError(f"{mode.replace('-', ' ')} needs two or more reps (e.g. --reps Ana,Ben)")
    if buyer_player is not None and buyer_player.strip().lower() in {n.lower() for n in names}:
        raise LookupError(f"{buyer_player.strip()} cannot play the buyer and a rep in the same call")
    setup = Setup.from_library(lib, scenario_ref, difficulty)
    buyer, judge, llm = players(settings, notice)
    if buyer_player is not None:
        buyer = HumanBuyer(buyer_player)
    if mode != "solo" and team_id is None:
        seed = random.randrange(1_000_000) if seed is None else seed
        team_id = store.start_team(mode=mode, reps=names, scenario_id=setup.scenario.id,
                                   difficulty=setup.difficulty_name, seed=seed, buyer_player=buyer_player)
    team = store.team(team_id) if team_id else None
    if team is not None:
        seed = team.seed  # everyone in a hot seat meets the buyer the same way
    rep_rows = [store.rep(n) for n in names]
    first = rep_rows[0]
    session = Session.begin(setup, store, first, buyer=buyer, judge=judge, seed=seed, plan=plan, llm=llm,
                            reps=rep_rows if mode == "tag-team" else [first], mode=mode, team_id=team_id)
    session.recommend = recommender(lib, setup.scenario.id)
    return session


def resume_session(settings: Settings, store: Store, lib, session_id: str,  # noqa: ANN001
                   notice: Callable[[str], None] | None = None):  # noqa: ANN201 - engine Session
    """A paused session, wired as `open_session` wires a new one."""
    from .engine.session import Session, Setup
    from .errors import NotFound

    row = store.session(session_id)
    if row is None:
        raise NotFound(f"no session '{session_id}'", hint="(see 'roleplay history')")
    setup = Setup.from_library(lib, row.scenario_id, row.difficulty)
    buyer, judge, llm = players(settings, notice)
    session = Session.resume(store, row.id, setup, buyer=buyer, judge=judge, llm=llm)
    session.recommend = recommender(lib, setup.scenario.id)
    return session


def next_in_hot_seat(store: Store, team_id: str) -> str | None:
    """The next rep to take the hot seat's call (None: everyone has had their turn)."""
    team = store.team(team_id)
    if team is None:
        return None
    done = {row.rep.lower() for row in (store.session(i) for i in team.session_ids) if row is not None}
    return next((n for n in team.reps if n.lower() not in done), None)


def team_board(store: Store, lib, team_id: str):  # noqa: ANN001, ANN201 - engine.team.Scoreboard
    """The scoreboard of a team session: each rep's scores from their own turns."""
    from .engine import team as teams
    from .errors import NotFound

    team = store.team(team_id)
    if team is None:
        raise NotFound(f"no team session '{team_id}'")
    rows = [r for r in (store.session(i) for i in team.session_ids) if r is not None]
    if not rows:
        raise NotFound("this team session has no calls yet")
    entry = lib.rubrics.get(rows[0].rubric_id)
    if entry is None:
        raise NotFound(f"the rubric '{rows[0].rubric_id}' of this team session is not in the library")
    rubric = entry.model
    if team.mode == "tag-team":
        row = rows[0]
        turns = store.turns(row.id)
        return teams.tag_team_board(rubric, row.scenario_title, row.difficulty, row.id, team.reps, turns,
                                    store.call_grades(row.id), row.outcome,
                                    scorecards.flags_for(turns))
    calls = []
    for row in rows:
        if row.status != "finished" or not row.scorecard:
            continue
        card = scorecards.Scorecard.from_json(row.scorecard)
        turns = sum(1 for t in store.turns(row.id) if t.speaker == "rep")
        calls.append((row.rep, row.id, card, row.outcome, turns))
    return teams.hot_seat_board(rubric, rows[0].scenario_title, rows[0].difficulty, calls)


def recommender(lib, current: str) -> Callable[[str], str | None]:  # noqa: ANN001 - library.Library
    """For a criterion to practise next, a scenario that trains it (another one when there is one)."""

    flag_signal = {"discount-beyond-authority": "discount-offered", "complies-with-brush-off": "keeps-conversation"}

    def pick(criterion_id: str) -> str | None:
        here = lib.scenarios.get(current)
        rubric_here = lib.rubric_of(here.model) if here else None
        signal = next((c.signal for c in rubric_here.criteria if c.id == criterion_id), None) \
            if rubric_here else None
        signal = signal or flag_signal.get(criterion_id)
        if criterion_id == "talks-to-grader" or criterion_id == "repeats-earlier-line":
            return current  # nothing to train elsewhere: the same call again, talking to the buyer
        # Deliberate practice: the same behaviour graded the same way; another scenario that
        # grades it first, then this one again, then one that grades it with the same signal.
        matches: list[tuple[int, str]] = []
        for entry in lib.usable_scenarios():
            rubric = lib.rubric_of(entry.model)
            ids = {c.id for c in rubric.criteria}
            signals = {c.signal for c in rubric.criteria if c.signal}
            same = entry.model.id == current
            if criterion_id in ids:
                matches.append((1 if same else 0, entry.model.id))
            elif signal and signal in signals:
                matches.append((3 if same else 2, entry.model.id))
        return min(matches)[1] if matches else None

    return pick


async def grade_transcript(turns_in: list[Any], rubric: Rubric, judge: Judge, concurrency: int = 4,
                           deadline: float | None = None) -> tuple[list[Turn], list[Grade], scorecards.Scorecard]:
    """Grade every rep turn of an existing call against every criterion that applies.

    `deadline`: seconds the judge has for each turn (and for the whole-call criteria), retries
    included, as in practice; what it has not answered by then is ungraded, with why."""
    turns = [Turn(index=i, speaker=t.speaker, text=t.text) for i, t in enumerate(turns_in)]
    gate = asyncio.Semaphore(concurrency)

    async def judged(criteria: list, call) -> list[Grade]:  # noqa: ANN001 - the judge's coroutine
        if deadline is None:
            return await call
        try:
            return await asyncio.wait_for(call, deadline)
        except TimeoutError:
            return ungraded(criteria, f"the judge did not answer within the {deadline:g}-second "
                                      "deadline (turn_deadline)")

    async def grade(i: int) -> None:
        turn = turns[i]
        before = turns[:i]
        buyer_last = next((t.text for t in reversed(before) if t.speaker == "buyer"), "")
        after_objection = bool(before) and before[-1].speaker == "buyer" and looks_like_objection(before[-1].text)
        signals = analyse(turn.text, buyer_last, [t.text for t in before if t.speaker == "rep"])
        turn.grades = signal_grades(rubric, signals, after_objection=after_objection)
        criteria = [c for c in rubric.criteria if applies(c, after_objection=after_objection)]
        async with gate:
            # No buyer state in a pasted call: the judge summarises the earlier turns from the words.
            turn.grades += await judged(criteria, judge.grade_turn(rubric, criteria, before, turn, context=None))

    await asyncio.gather(*(grade(i) for i, t in enumerate(turns) if t.speaker == "rep"))
    end = [c for c in rubric.criteria if c.applies == "end-of-call"]
    call_grades = await judged(end, judge.grade_call(rubric, end, turns))
    return turns, call_grades, scorecards.build(rubric, turns, call_grades,
                                                     flags=scorecards.flags_for(turns))


def grades_json(rubric_id: str, score: float | None, turns: list[Turn],
                call_grades: list[Grade] = ()) -> dict[str, Any]:
    """The grades output of `grade --json` and `export --format json` (README, "Grading a real
    call"): one effective grade per criterion per rep turn."""
    out: dict[str, Any] = {"rubric": rubric_id, "score": score, "turns": []}
    for t in turns:
        grades = [g.model_dump() for g in effective(t.grades).values()] if t.speaker == "rep" else []
        row: dict[str, Any] = {"index": t.index, "speaker": t.speaker, "text": t.text, "grades": grades}
        if t.note:
            row["note"] = t.note
        if t.interrupted:
            row["interrupted"] = True
        out["turns"].append(row)
    if call_grades:
        out["call_grades"] = [g.model_dump() for g in effective(call_grades).values()]
    return out




def export_json(store: Store, row: SessionRow) -> dict[str, Any]:
    turns = store.turns(row.id)
    out = grades_json(row.rubric_id, row.score, turns, store.call_grades(row.id))
    all_marks = store.marks(row.id)
    marks: dict[int, list[dict]] = {}
    for m in all_marks:
        marks.setdefault(m.turn, []).append(m.model_dump(exclude={"id", "turn"}))
    for t, data in zip(turns, out["turns"]):
        if t.speaker == "rep":
            data["rep"] = t.author or row.rep  # turns saved before authors were kept: the session's rep
            data["marks"] = marks.get(t.index, [])
        elif t.author:
            data["played_by"] = t.author
    out["session"] = {k: v for k, v in row.to_json().items() if k not in ("state", "scorecard")}
    out["scorecard"] = row.scorecard
    agreed = observer_agreement(row, turns, all_marks)
    if agreed:
        out["observer_agreement"] = [asdict(a) for a in agreed]
    return out


def observer_agreement(row: SessionRow, turns: list[Turn], marks: list) -> list:  # noqa: ANN001
    """How the observer's marks sit beside the grader's verdicts, per criterion (none: no marks)."""
    if not marks:
        return []
    from .engine.team import agreement

    criteria = [(c["id"], c["name"]) for c in (row.scorecard or {}).get("criteria", [])]
    if not criteria:  # not scored yet: the ids the turns were graded on
        criteria = [(g.criterion, g.criterion) for t in turns for g in t.grades]
        criteria = list(dict.fromkeys(criteria))
    return agreement(criteria, turns, marks)


def export_markdown(store: Store, row: SessionRow) -> str:
    """A report a rep can paste into their notes or send to their manager."""
    lines = [f"# {row.scenario_title}", "",
             f"- Rep: {row.rep}",
             f"- Session: {row.id}, started {row.started}, difficulty {row.difficulty}",
             f"- Buyer: {row.buyer}; grading: {row.judge}",
             f"- Outcome: {outcome_headline(row.outcome)}",
             f"- Score: {_score(row.score)}" + ("" if row.passed is None else
                                                 f" ({'passed' if row.passed else 'not passed'})"),
             ""]
    card = row.scorecard or {}
    if card.get("criteria"):
        lines += ["## Scorecard", "", "| criterion | weight | score |", "| --- | --- | --- |"]
        for c in card["criteria"]:
            lines.append(f"| {c['name']} | {c['weight']:g} | {_score(c['score'], 100)} |")
        lines.append("")
        if card.get("practise_next"):
            name = card.get("practise_name") or next(
                (c["name"] for c in card.get("criteria", []) if c["id"] == card["practise_next"]), card["practise_next"])
            lines += [f"**Practise next:** {name}: {card.get('practise_tip', '')}"
                      + (f" (scenario: `{card['practise_scenario']}`)" if card.get("practise_scenario") else ""),
                      ""]
    lines += ["## Transcript", ""]
    turns = store.turns(row.id)
    marks: dict[int, list] = {}
    for m in store.marks(row.id):
        marks.setdefault(m.turn, []).append(m)
    named = row.mode != "solo" or any(t.author and t.author != row.rep for t in turns if t.speaker == "rep")
    for t in turns:
        who = "Rep" if t.speaker == "rep" else "Buyer"
        if named and t.speaker == "rep":
            who += f" ({t.author or row.rep})"
        elif t.speaker == "buyer" and t.author:
            who += f" (played by {t.author})"
        body = t.text or f"_{t.note}_"
        lines.append(f"**{who}:** {body}" + (" _(cut off)_" if t.interrupted else ""))
        for g in effective(t.grades).values():
            if g.verdict == "n/a":
                continue
            ev = f" \u2014 \u201c{g.evidence[0]}\u201d" if g.evidence else ""
            lines.append(f"  - {VERDICT_WORD[g.verdict]} {g.criterion} ({g.source}){ev}: {g.reason}")
        for m in marks.get(t.index, []):
            about = f" on {m.criterion}" if m.criterion else ""
            by = f" by {m.observer}" if m.observer else ""
            lines.append(f"  - Observer{by}: {m.kind.upper() if m.kind != 'note' else 'note'}{about}"
                         + (f": {m.note}" if m.note else ""))
        lines.append("")
    agreed = observer_agreement(row, turns, [m for ms in marks.values() for m in ms])
    if agreed:
        lines += ["## Observer and grader", ""]
        lines += [f"- {a.words()}" for a in agreed]
        for a in agreed:
            for d in a.disagreements:
                lines.append(f"  - a coaching moment, turn {d.turn}: the observer marked it {d.observer}, "
                             f"the grader said {d.grader}" + (f" ({d.note})" if d.note else ""))
        lines.append("")
    if row.debrief:
        lines += ["## Debrief", ""]
        for q, a in row.debrief.items():
            lines += [f"**{q}**", "", a or "_(no answer)_", ""]
    used = usage_words(row)
    if used:
        lines += [f"_{used}_", ""]
    return "\n".join(lines)


def usage_words(row: SessionRow) -> str | None:
    """The model use of a session, with "unknown" where the provider sent no count or the model
    has no known price (None in the store): never an estimate shown as real. None offline."""
    p, c, cost = row.prompt_tokens, row.completion_tokens, row.cost
    if not (p or c) and None not in (p, c):
        return None  # offline, or no model call made
    tokens = (f"{p:,} prompt + {c:,} completion tokens" if p is not None and c is not None
              else "tokens unknown (the provider did not send its counts)")
    money = f"${cost:.4f}" if cost is not None else "cost unknown (no price known for this model)"
    return f"Model use: {tokens}, {money}."


EXPORT_FORMATS = ("md", "json")
"""The formats a session's report is exported in (`roleplay export --format`, the debrief's buttons)."""


def export_text(store: Store, row: SessionRow, fmt: str) -> str:
    """The whole report in one format, ending in a newline."""
    import json

    if fmt == "json":
        return json.dumps(export_json(store, row), indent=2) + "\n"
    if fmt == "md":
        return export_markdown(store, row).rstrip("\n") + "\n"
    raise ValueError(f"unknown export format {fmt!r}")


def export_file(store: Store, row: SessionRow, fmt: str, folder: Path) -> Path:
    """Write the report into `folder` (made if missing) as SESSION_ID-SCENARIO.FMT; its path.
    A folder that can't be written is said in words (RoleplayError), not as an OSError."""
    from .errors import RoleplayError

    path = Path(folder) / f"{row.id}-{row.scenario_id}.{fmt}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(export_text(store, row, fmt), encoding="utf-8")
    except OSError as exc:
        raise RoleplayError(f"cannot write the report to {path}: {exc.strerror or exc}") from None
    return path


def _score(score: float | None, scale: float = 1) -> str:
    return "ungraded" if score is None else f"{score * scale:.0f}" if scale != 1 else f"{score:.1f}"
