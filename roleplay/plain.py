"""A plain line-by-line front end over the engine (`roleplay practice --plain`).

For screen readers, scripts and terminals where the full-screen app is not
wanted. Type a turn and press Enter; /hint, /redo and /end do what they say.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import TextIO

from .engine.grading import effective
from .errors import StoreError
from .engine.session import (
    BuyerPiece,
    BuyerTurnSaved,
    CallOver,
    JudgeGrades,
    Notice,
    RepTurnSaved,
    ReplyFailed,
    Session,
)

DEBRIEF = ("What went well?", "What didn't go well?", "What would you do differently next time?")
HELP = "Type your turn and press Enter. /hint for a hint, /redo to take back your last turn, /end to finish."
NO_REPLY = ("(No reply from the buyer yet: the model did not answer. What you said is saved. "
            "Press Enter to ask the model again, or type /end to finish the call here and see your scorecard.)")


def warm_in_background(session: Session) -> threading.Thread | None:
    """Import litellm (seconds) while the rep reads the opening and types, so the first model
    turn does not wait for it. Nothing to do offline."""
    if session.llm is None:
        return None
    from .llm.client import warm

    thread = threading.Thread(target=warm, name="roleplay-warm-litellm", daemon=True)
    thread.start()
    return thread


def _grades_line(grades) -> str:  # noqa: ANN001
    parts = []
    for g in effective(grades).values():
        if g.verdict == "n/a":
            continue
        parts.append(f"{g.criterion}: {g.verdict}")
    return "  [" + ", ".join(parts) + "]" if parts else ""


async def run(session: Session, mode: str, out: TextIO = sys.stdout, inp: TextIO = sys.stdin) -> int:
    s = session.setup
    warm_in_background(session)
    print(f"{s.scenario.title} ({s.difficulty_name}) - {mode}", file=out)
    print(f"Objective: {s.scenario.objective.milestone}", file=out)
    print(f"Session {session.id}. {HELP}", file=out)
    for t in session.turns:
        who = "You" if t.speaker == "rep" else s.persona.name
        print(f"{who}: {t.text or '(' + t.note + ')'}", file=out)
    for note in session.take_notes():
        print(f"  ({note})", file=out)
    out.flush()
    if session.unjudged(exclude=_awaiting(session)):
        # Turns whose judging never finished (the process stopped): judged now, or ungraded with why.
        async for event in session.rejudge():
            _show(event, session, out)
    hint_used = False
    loop = asyncio.get_running_loop()
    retry_now = True  # a reply missing on resume is asked for at once; after a failure, when the rep says
    while not session.over:
        if session.awaiting_reply and retry_now:
            async for event in session.retry_reply():
                _show(event, session, out)
        if session.awaiting_reply:
            print(NO_REPLY, file=out)
        out.write("> ")
        out.flush()
        line = await loop.run_in_executor(None, inp.readline)
        retry_now = True
        if not inp.isatty():
            print(file=out)  # piped input is not echoed: end the prompt's line ourselves
        if not line:  # end of input: leave the session resumable
            print(f"\nPaused. Resume with: roleplay practice --resume {session.id}", file=out)
            return 0
        text = line.strip()
        if text == "/end":
            break
        if text == "/hint":
            print(f"Hint: {session.hint()}", file=out)
            hint_used = True
            continue
        if text == "/redo":
            taken = session.undo_last()
            print(f"Taken back: {taken}" if taken is not None else "Nothing to take back.", file=out)
            continue
        if not text:
            continue
        try:
            async for event in session.say(text, hint_used=hint_used):
                _show(event, session, out)
        except StoreError:
            # Nothing typed is lost: the words go back to the rep before the sentence is shown.
            print(f"Your turn was not saved; here it is to send again later:\n  {text}", file=out)
            out.flush()
            raise
        retry_now = False
        hint_used = False
        out.flush()
    card = await session.end()
    print(f"\nCall over: {session.state.outcome}.", file=out)
    for line in card.summary_lines():
        print(line, file=out)
    if card.practise_scenario:
        print(f"Try: roleplay practice {card.practise_scenario}", file=out)
    answers = {}
    for question in DEBRIEF:
        print(f"{question} ", end="", file=out)
        out.flush()
        answer = await loop.run_in_executor(None, inp.readline)
        if not answer:
            print(file=out)
            break
        answers[question] = answer.strip()
    if any(answers.values()):
        session.store.set_debrief(session.id, answers)
    print(f"Report: roleplay export {session.id}", file=out)
    out.flush()
    return 0


def _awaiting(session: Session) -> int | None:
    """The rep turn still waiting for its reply (judged along with it), if any."""
    if session.pending is None:
        return None
    return next((t.index for t in reversed(session.turns) if t.speaker == "rep"), None)


def _show(event, session: Session, out: TextIO) -> None:  # noqa: ANN001
    name = session.setup.persona.name
    if isinstance(event, RepTurnSaved):
        line = _grades_line(event.turn.grades)
        if line:
            print(line, file=out)
    elif isinstance(event, BuyerPiece):
        pass  # the whole line is printed once saved, so a cut reply is never half-shown twice
    elif isinstance(event, BuyerTurnSaved):
        t = event.turn
        print(f"{name}: {t.text}" if t.text else f"({t.note})", file=out)
        from .engine.state import REACTIONS

        if event.move.kind in ("repeat", "off-script", "complied", "pushy-close", "discount"):
            print(f"  ({REACTIONS[event.move.kind][0]})", file=out)
        if session.setup.difficulty.show_mood:
            st = event.state
            print(f"  (trust {st.trust}, patience {st.patience} turns)", file=out)
    elif isinstance(event, JudgeGrades):
        line = _grades_line([g for g in event.grades if g.verdict != "ungraded"])
        if line.strip(" []"):
            print(f"  judge:{line}", file=out)
        failed = [g for g in event.grades if g.verdict == "ungraded" and "offline" not in g.reason]
        if failed:
            from .engine.scorecard import ungraded_why

            turn = next((t for t in session.turns if t.index == event.turn_index), None)
            left = effective(turn.grades) if turn is not None else {}
            names = [g.criterion for g in failed if getattr(left.get(g.criterion), "verdict", "ungraded") == "ungraded"]
            print(f"  (not graded: {ungraded_why(failed)}"
                  + (f"; ungraded for this turn: {', '.join(names)})" if names else
                     "; the instant signals' grades stand)"), file=out)
    elif isinstance(event, ReplyFailed):
        print(f"  ! {event.message}", file=out)
    elif isinstance(event, Notice):
        print(f"  ({event.message})", file=out)
    elif isinstance(event, CallOver):
        print(f"  -- {event.outcome} --", file=out)
    out.flush()
