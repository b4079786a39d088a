"""Putting the engine together from settings: the buyer, the judge, grading a pasted call, reports.

Both front ends (the app and the command line) build sessions through here.
"""

from __future__ import annotations

import asyncio
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


def players(settings: Settings, notice: Callable[[str], None] | None = None) -> tuple[Buyer, Judge, Any]:
    """The buyer and judge for these settings: over a model when one is configured, else offline."""
    if not settings.online:
        return OfflineBuyer(), OfflineJudge(), None
    from .llm.client import LLM

    llm = LLM(settings, notice=notice)
    return LLMBuyer(llm, settings.model), LLMJudge(llm, settings.grader_model), llm


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


_VERDICT = {"pass": "PASS", "fail": "FAIL", "n/a": "n/a", "ungraded": "ungraded"}


def export_json(store: Store, row: SessionRow) -> dict[str, Any]:
    turns = store.turns(row.id)
    out = grades_json(row.rubric_id, row.score, turns, store.call_grades(row.id))
    out["session"] = {k: v for k, v in row.to_json().items() if k not in ("state", "scorecard")}
    out["scorecard"] = row.scorecard
    return out


def export_markdown(store: Store, row: SessionRow) -> str:
    """A report a rep can paste into their notes or send to their manager."""
    lines = [f"# {row.scenario_title}", "",
             f"- Rep: {row.rep}",
             f"- Session: {row.id}, started {row.started}, difficulty {row.difficulty}",
             f"- Buyer: {row.buyer}; grading: {row.judge}",
             f"- Outcome: {row.outcome}",
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
    for t in store.turns(row.id):
        who = "Rep" if t.speaker == "rep" else "Buyer"
        body = t.text or f"_{t.note}_"
        lines.append(f"**{who}:** {body}" + (" _(cut off)_" if t.interrupted else ""))
        for g in effective(t.grades).values():
            if g.verdict == "n/a":
                continue
            ev = f" \u2014 \u201c{g.evidence[0]}\u201d" if g.evidence else ""
            lines.append(f"  - {_VERDICT[g.verdict]} {g.criterion} ({g.source}){ev}: {g.reason}")
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
