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
    BuyerCue,
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


TEAM_HELP = ("/who NAME hands the keyboard to another rep; /mark good or /mark missed (a note may "
             "follow) marks the last rep turn, /mark good 3 NOTE marks turn 3, /mark note TEXT leaves a note; "
             "/help shows this again.")
HOT_SEAT_HELP = ("/mark good or /mark missed (a note may follow) marks the last rep turn, /mark good 3 NOTE "
                 "marks turn 3, /mark note TEXT leaves a note; /help shows this again.")


def _help(session: Session) -> str:
    if session.mode == "tag-team":
        return f"{HELP} {TEAM_HELP}"
    if session.mode == "hot-seat" or session.buyer_player is not None:
        return f"{HELP} {HOT_SEAT_HELP}"
    return HELP


def _first(name: str) -> str:
    return name.split()[0] if name.split() else name


def _room(session: Session) -> str:
    """Who is in the call and how it goes, in a sentence (None for a rep alone with the script)."""
    names = [r.name for r in session.reps]
    buyer = session.setup.persona.name
    parts = []
    if session.mode == "tag-team":
        parts.append(f"Tag team: {_and(names)} share this call, one turn each in that order "
                     f"(/who NAME to hand over early).")
    elif session.mode == "hot-seat":
        parts.append(f"Hot seat: {names[0]} takes this call; everyone in the room takes the same call in turn.")
    if session.buyer_player is not None:
        parts.append(f"{session.buyer_player} plays {buyer}, the buyer: after each rep turn a cue says what "
                     f"{_first(buyer)} would do, and {session.buyer_player} types the line.")
    return " ".join(parts)


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _cue_text(cue, session: Session) -> str:  # noqa: ANN001 - engine BuyerCue
    buyer = _first(session.setup.persona.name)
    lines = [f"[for {session.buyer_player}, playing {buyer}] {cue.do}"]
    if cue.line:
        lines.append(f"  Suggested: \"{cue.line}\" (say it in your own words)")
    tail = f"  trust {cue.trust} (agrees at {cue.trust_to_agree}), patience {cue.patience} turns"
    if cue.ends_call:
        tail += "; your line ends the call"
    lines.append(tail)
    return "\n".join(lines)


def _parse_mark(rest: str) -> tuple[str, int | None, str]:
    """`/mark good 3 great question` -> ("good", 3, "great question")."""
    words = rest.split(maxsplit=1)
    if not words:
        raise ValueError("say what to mark: /mark good, /mark missed or /mark note TEXT "
                         "(a turn number may follow, e.g. /mark good 3)")
    kind = words[0].lower()
    rest = words[1] if len(words) > 1 else ""
    turn = None
    first, _, after = rest.partition(" ")
    if first.isdigit():
        turn, rest = int(first), after
    return kind, turn, rest.strip()


def _mark(session: Session, rest: str, out: TextIO) -> None:
    try:
        kind, turn, note = _parse_mark(rest)
        mark = session.mark(kind, turn=turn, note=note)
    except (LookupError, ValueError) as exc:
        print(f"Not marked: {exc}.", file=out)
        return
    target = next((t for t in session.turns if t.index == mark.turn), None)
    who = (target.author or session.rep.name) if target is not None else session.rep.name
    said = _clip(target.text) if target is not None else ""
    what = {"good": "good", "missed": "missed", "note": "with a note"}[mark.kind]
    print(f"Marked turn {mark.turn} ({who}: \"{said}\") {what}" + (f": {mark.note}" if mark.note else "") + ".",
          file=out)


def _clip(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1].rstrip() + "\u2026"


def _who(session: Session, name: str, out: TextIO) -> None:
    if not name:
        names = [r.name for r in session.reps]
        if len(names) == 1:
            print(f"{names[0]} is practising this call alone.", file=out)
        else:
            print(f"{session.typing.name} types the next turn. In the room: {', '.join(names)}. "
                  "/who NAME hands over.", file=out)
        return
    if session.mode == "hot-seat":
        if name.strip().lower() != session.typing.name.lower():
            print(f"In the hot seat {session.typing.name} takes this call alone; the others take the same "
                  "call after it ends (/end).", file=out)
        return
    try:
        rep = session.hand_over(name)
    except LookupError as exc:
        print(f"Not handed over: {exc}.", file=out)
        return
    print(f"{rep.name} types the next turn.", file=out)


async def _read(loop, inp: TextIO, out: TextIO, prompt: str) -> str:  # noqa: ANN001
    out.write(prompt)
    out.flush()
    line = await loop.run_in_executor(None, inp.readline)
    if not inp.isatty():
        print(file=out)  # piped input is not echoed: end the prompt's line ourselves
    return line


async def run(session: Session, mode: str, out: TextIO | None = None, inp: TextIO | None = None, *,
              settings=None, lib=None) -> int:  # noqa: ANN001
    """One call, line by line. In a hot seat, with `settings` and `lib`, the next rep's call
    follows in the same process until everyone has had a turn; a team session ends with its
    scoreboard. `out`, `inp`: the standard streams of the moment when not given."""
    out = sys.stdout if out is None else out
    inp = sys.stdin if inp is None else inp
    while True:
        finished = await _call(session, mode, out, inp)
        if not finished or session.team_id is None:
            return 0
        store = session.store
        if session.mode == "hot-seat" and settings is not None and lib is not None:
            from .practice import next_in_hot_seat, open_session

            name = next_in_hot_seat(store, session.team_id)
            if name is not None:
                team = store.team(session.team_id)
                print(f"\nNext in the hot seat: {name}. Same scenario, same buyer, same opening.\n", file=out)
                out.flush()
                try:
                    session = open_session(settings, store, lib, session.setup.scenario.id,
                                           session.setup.difficulty_name, [name], mode="hot-seat",
                                           team_id=session.team_id,
                                           buyer_player=team.buyer_player if team else None,
                                           notice=lambda m: print(f"  ({m})", file=out, flush=True))
                except LookupError as exc:
                    print(f"The next call could not start: {exc}.", file=out)
                    return 1
                continue
        _scoreboard(session, lib, out)
        return 0


def _scoreboard(session: Session, lib, out: TextIO) -> None:  # noqa: ANN001
    if lib is None:
        from . import library

        lib = library.load()
    from .errors import RoleplayError
    from .practice import next_in_hot_seat, team_board

    try:
        board = team_board(session.store, lib, session.team_id)
    except RoleplayError as exc:
        print(f"No team scoreboard: {exc}.", file=out)
        return
    if not board.reps:
        return
    print(file=out)
    print(board.markdown().rstrip("\n"), file=out)
    left = next_in_hot_seat(session.store, session.team_id) if session.mode == "hot-seat" else None
    if left:
        print(f"(Not everyone has taken the hot seat yet: {left} is next.)", file=out)
    print(f"Again any time: roleplay scoreboard {session.team_id}", file=out)
    out.flush()


async def _call(session: Session, mode: str, out: TextIO, inp: TextIO) -> bool:
    """One call to its end (True) or until the input runs out (False: paused, resumable)."""
    s = session.setup
    warm_in_background(session)
    print(f"{s.scenario.title} ({s.difficulty_name}) - {mode}", file=out)
    print(f"Objective: {s.scenario.objective.milestone}", file=out)
    room = _room(session)
    if room:
        print(room, file=out)
    print(f"Session {session.id}. {HELP}", file=out)
    if _help(session) != HELP:
        print(_help(session).removeprefix(HELP).strip(), file=out)
    named = session.mode != "solo" or session.buyer_player is not None
    for t in session.turns:
        if t.speaker == "rep":
            who = (t.author or session.rep.name) if named else "You"
        else:
            # the opening is the scenario's own line; later ones were typed by the colleague
            who = s.persona.name + (f" (played by {t.author})" if t.author and t.index > 0 else "")
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
    cue_shown = False  # the colleague playing the buyer has seen the cue for the reply owed
    last_typing = None
    while not session.over:
        player = session.buyer_player
        if session.awaiting_reply and player is not None:
            if not cue_shown:
                cue = session.cue()
                if cue is not None:
                    print(_cue_text(cue, session), file=out)
                cue_shown = True
            line = await _read(loop, inp, out, f"{player} as {_first(s.persona.name)}> ")
            if not line:
                print(f"\nPaused. Resume with: roleplay practice --resume {session.id}", file=out)
                return False
            text = line.strip()
            if text.startswith("/"):
                if text == "/end":
                    break
                await _command(session, text, out, buyer_turn=True)
                cue_shown = cue_shown and session.awaiting_reply
                continue
            for event in session.buyer_says(text):
                _show(event, session, out)
            cue_shown = False
            out.flush()
            continue
        if session.awaiting_reply and retry_now:
            async for event in session.retry_reply():
                _show(event, session, out)
        if session.awaiting_reply:
            print(NO_REPLY, file=out)
        typing = session.typing.name
        if named and len(session.reps) > 1 and last_typing is not None and typing != last_typing:
            print(f"({typing}'s turn)", file=out)
        last_typing = typing
        line = await _read(loop, inp, out, f"{typing}> " if named else "> ")
        retry_now = True
        if not line:  # end of input: leave the session resumable
            print(f"\nPaused. Resume with: roleplay practice --resume {session.id}", file=out)
            return False
        text = line.strip()
        if text == "/end":
            break
        if text == "/hint":
            print(f"Hint: {session.hint()}", file=out)
            hint_used = True
            continue
        if text.startswith("/") and text.split()[0] in ("/redo", "/who", "/mark", "/help"):
            await _command(session, text, out)
            continue
        if not text:
            continue
        try:
            async for event in session.say(text, hint_used=hint_used):
                if isinstance(event, BuyerCue):
                    print(_cue_text(event, session), file=out)
                    cue_shown = True
                    continue
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
    if named:
        print(f"Scorecard of {_and([r.name for r in session.reps])}'s call:" if session.mode != "tag-team"
              else "Scorecard of the whole call (each rep's share is on the scoreboard below):", file=out)
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
    return True


async def _command(session: Session, text: str, out: TextIO, *, buyer_turn: bool = False) -> None:
    """/redo, /who, /mark, /help (and, at the buyer's prompt, /hint), said back in a sentence."""
    word, _, rest = text.partition(" ")
    rest = rest.strip()
    if word == "/redo":
        reps = [t for t in session.turns if t.speaker == "rep"]
        author = reps[-1].author if reps else None
        taken = session.undo_last()
        if taken is None:
            print("Nothing to take back.", file=out)
            return
        if author and session.mode == "tag-team":
            try:
                session.hand_over(author)  # the turn goes back to whoever typed it
            except LookupError:
                pass
        print(f"Taken back{f' ({author})' if author and session.mode != 'solo' else ''}: {taken}", file=out)
    elif word == "/who":
        _who(session, rest, out)
    elif word == "/mark":
        _mark(session, rest, out)
    elif word == "/help":
        print(_help(session), file=out)
        if buyer_turn:
            print(f"At this prompt {session.buyer_player} types {_first(session.setup.persona.name)}'s "
                  "line; /redo takes back the rep's last turn; /end ends the call.", file=out)
    else:
        print(f"No command {word} here. {_help(session)}", file=out)


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
        if not t.author:  # a colleague's line was typed at their prompt: not printed twice
            print(f"{name}: {t.text}" if t.text else f"({t.note})", file=out)
        from .engine.state import REACTIONS

        if event.move.kind in ("repeat", "off-script", "complied", "pushy-close", "discount"):
            print(f"  ({REACTIONS[event.move.kind][0]})", file=out)
        if session.setup.difficulty.show_mood and not t.author:  # a colleague saw it in the cue
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
