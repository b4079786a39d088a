"""Practising together in the app, driven through Pilot at 80x24: who is in the room (F5 on home),
hot seat, tag team, a colleague playing the buyer, an observer's marks, the team scoreboard.

Each test checks the store (sessions, teams, authors, marks) and what the screens show."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.widgets import Button, DataTable, Input, Static

from roleplay import library
from roleplay.app.app import RoleplayApp
from roleplay.app.screens.debrief import DebriefScreen
from roleplay.app.screens.dialogs import NoteScreen
from roleplay.app.screens.home import HomeScreen
from roleplay.app.screens.plan import PlanScreen
from roleplay.app.screens.practice import PracticeScreen
from roleplay.app.screens.team import RoomScreen, TeamBoardScreen
from roleplay.settings import Settings
from roleplay.store import Store

SIZE = (80, 24)
GOOD = [
    "When you say it's double, what are you comparing it to: the licence alone, "
    "or what the spoiled loads cost too?",
    "What does a spoiled load cost you when it happens?",
    "How is MedCo reacting to the two incidents this quarter?",
]
WEAK = ["I understand, that's a fair concern.", "I can take 5% off if you sign this week."]


@pytest.fixture
def lib() -> library.Library:
    return library.load([library.shipped_folder()])


def make_app(store: Store, lib: library.Library) -> RoleplayApp:
    store.set_pref("rep", store.rep("Ana").name)
    return RoleplayApp(Settings(offline=True), store=store, lib=lib)


async def settle(pilot) -> None:  # noqa: ANN001
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def text_of(widget: Static) -> str:
    return str(widget.render())


def transcript(screen: PracticeScreen) -> list[str]:
    return [text_of(w) for w in screen.query("#transcript .turn") if not w.has_class("brief")]


async def say(pilot, text: str, box: str = "#say") -> None:  # noqa: ANN001
    """Paste a turn into the focused box (as a terminal sends a paste) and press Enter."""
    assert pilot.app.focused is pilot.app.screen.query_one(box), f"{box} should have the focus"
    pilot.app.post_message(events.Paste(text))
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)


async def fill(pilot, selector: str, value: str) -> None:  # noqa: ANN001
    box = pilot.app.screen.query_one(selector, Input)
    box.focus()
    box.value = ""
    await pilot.pause()
    await pilot.press(*["space" if c == " " else "comma" if c == "," else c for c in value])


async def room(pilot, reps: str, mode: str, buyer: str = "", observer: str = "") -> None:  # noqa: ANN001
    """Home -> search "price" -> F5 -> fill in who is in the room -> Start; planning skipped."""
    await pilot.press(*"price")
    await pilot.pause()
    await pilot.press("f5")
    await settle(pilot)
    assert isinstance(pilot.app.screen, RoomScreen)
    await fill(pilot, "#room-reps", reps)
    await pilot.click(f"#mode-{mode}")
    await fill(pilot, "#room-buyer", buyer)
    await fill(pilot, "#room-observer", observer)
    await pilot.press("enter")
    await settle(pilot)
    if isinstance(pilot.app.screen, PlanScreen):
        await pilot.press("ctrl+k")
        await settle(pilot)
    assert isinstance(pilot.app.screen, PracticeScreen)


async def end_call(pilot) -> DebriefScreen:  # noqa: ANN001
    await pilot.press("ctrl+b")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DebriefScreen)
    return pilot.app.screen


# ---- hot seat: the same call in turn, then side by side
async def test_hot_seat_two_reps_then_the_scoreboard(store: Store, lib: library.Library, tmp_path: Path) -> None:
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await room(pilot, "Ana, Ben", "hot-seat")
        practice = app.screen
        line = text_of(practice.query_one("#typing", Static))
        assert "Ana is typing" in line and "Ben is next" in line
        ana_opening = practice.session.turns[0].text
        for text in GOOD:
            await say(pilot, text)
        assert transcript(practice)[1].startswith("Ana: When you say"), "each rep turn names its author"
        debrief = await end_call(pilot)
        assert str(debrief.query_one("#team-next", Button).label) == "Next in the hot seat: Ben"

        await pilot.press("f6")
        await settle(pilot)
        if isinstance(app.screen, PlanScreen):
            assert app.screen.sub_title == "Ben plans the call"
            await pilot.press("ctrl+k")
            await settle(pilot)
        practice = app.screen
        assert isinstance(practice, PracticeScreen) and practice.session.rep.name == "Ben"
        assert practice.session.turns[0].text == ana_opening, "the buyer opens the same way for Ben"
        assert "Ben is typing" in text_of(practice.query_one("#typing", Static))
        for text in WEAK:
            await say(pilot, text)
        debrief = await end_call(pilot)
        assert str(debrief.query_one("#team-next", Button).label) == "Team scoreboard"
        await pilot.press("f6")
        await settle(pilot)

        board = app.screen
        assert isinstance(board, TeamBoardScreen)
        table = board.query_one("#board-table", DataTable)
        assert [str(c.label) for c in table.columns.values()] == ["Criterion", "Ana", "Ben"]
        leads = text_of(board.query_one("#board-leads", Static))
        assert "Ana leads on" in leads, leads
        assert "Ben practises next:" in leads
        evidence = text_of(board.query_one("#board-evidence", Static))
        assert "Ana: “" in evidence

        await pilot.press("m")
        await pilot.press("j")
        await settle(pilot)

    team = store.team(practice.session.team_id)
    assert team is not None and team.mode == "hot-seat" and team.reps == ["Ana", "Ben"]
    rows = [store.session(i) for i in team.session_ids]
    assert [r.rep for r in rows] == ["Ana", "Ben"]
    assert len({r.seed for r in rows}) == 1 and {r.team_id for r in rows} == {team.id}
    assert {t.author for t in store.turns(rows[0].id) if t.speaker == "rep"} == {"Ana"}
    assert {t.author for t in store.turns(rows[1].id) if t.speaker == "rep"} == {"Ben"}
    exports = app.local_folder() / "exports"
    md = next(exports.glob(f"team-{team.id}-*.md")).read_text()
    assert "| criterion | Ana | Ben |" in md and "Ana leads on" in md
    assert '"rep": "Ben"' in next(exports.glob(f"team-{team.id}-*.json")).read_text()


# ---- tag team: one call, turn by turn
async def test_tag_team_alternates_and_f6_hands_over(store: Store, lib: library.Library) -> None:
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await room(pilot, "Ana, Ben", "tag-team")
        practice = app.screen
        typing = practice.query_one("#typing", Static)
        assert "Ana is typing" in text_of(typing) and "then Ben" in text_of(typing)
        await say(pilot, GOOD[0])
        assert "Ben is typing" in text_of(typing), "tag team hands over after each turn"
        await say(pilot, GOOD[1])
        assert "Ana is typing" in text_of(typing)
        await pilot.press("f6")  # Ana hands over early: Ben takes this turn too
        await pilot.pause()
        assert "Ben is typing" in text_of(typing)
        assert practice.session.typing.name == "Ben"
        await say(pilot, GOOD[2])
        lines = [text_of(w) for w in practice.query("#transcript .turn.rep")]
        assert [line.split(":")[0] for line in lines] == ["Ana", "Ben", "Ben"]
        debrief = await end_call(pilot)
        assert str(debrief.query_one("#team-next", Button).label) == "Team scoreboard"
        await pilot.press("f6")
        await settle(pilot)
        board = app.screen
        assert isinstance(board, TeamBoardScreen)
        rows = [[str(c) for c in board.query_one("#board-table", DataTable).get_row_at(i)]
                for i in range(board.query_one("#board-table", DataTable).row_count)]
        share = next(r for r in rows if r[0] == "Share of the turns")
        assert share == ["Share of the turns", "33% (1)", "67% (2)"]

    session_id = practice.session.id
    row = store.session(session_id)
    assert row.mode == "tag-team"
    assert [t.author for t in store.turns(session_id) if t.speaker == "rep"] == ["Ana", "Ben", "Ben"]


# ---- a colleague plays the buyer
async def test_colleague_plays_the_buyer_from_the_card(store: Store, lib: library.Library) -> None:
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await room(pilot, "Ana", "solo", buyer="Carl")
        practice = app.screen
        card = practice.query_one("#card", Static)
        assert not card.display, "the hidden facts are out of sight while the rep types"
        assert "Carl plays Dana" in text_of(practice.query_one("#typing", Static))
        await say(pilot, GOOD[1])
        # The rep's turn is in: Carl takes the keyboard, with the card and the engine's cue.
        assert card.display
        shown = text_of(card)
        fact = practice.session.setup.persona.hidden_facts[0]
        assert " ".join(fact.fact.split())[:40] in " ".join(shown.split())
        assert "Earned by:" in shown and "Now:" in shown
        assert app.focused is practice.query_one("#buyer-say")
        assert "Carl, as Dana" in text_of(practice.query_one("#typing", Static))

        await pilot.press("f10")  # Ana looks at the screen: hide the card
        await pilot.pause()
        assert not card.display
        await pilot.press("f10")
        await pilot.pause()
        assert card.display

        await say(pilot, "Honestly? About forty grand a load, and MedCo noticed.", box="#buyer-say")
        assert transcript(practice)[-1] == "Dana (Carl): Honestly? About forty grand a load, and MedCo noticed."
        assert not card.display, "back to the rep: the card goes out of sight"
        assert app.focused is practice.query_one("#say")
        session_id = practice.session.id

    last = store.turns(session_id)[-1]
    assert (last.speaker, last.author, last.text) == ("buyer", "Carl",
                                                      "Honestly? About forty grand a load, and MedCo noticed.")
    assert store.session(session_id).buyer.startswith("colleague: Carl")


# ---- an observer's marks, and the debrief beside the grader
async def test_observer_marks_turns_and_the_debrief_compares(store: Store, lib: library.Library) -> None:
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await room(pilot, "Ana", "solo", observer="Maya")
        practice = app.screen
        for text in WEAK:
            await say(pilot, text)
        rep_turns = [t.index for t in practice.session.turns if t.speaker == "rep"]
        await pilot.press("f7")  # the last rep turn: good (the grader failed it: a coaching moment)
        await pilot.pause()
        await pilot.press("alt+up")  # the earlier one
        await pilot.pause()
        assert practice.transcript.selected == rep_turns[0]
        assert "Marking Ana's turn" in text_of(practice.query_one("#typing", Static))
        await pilot.press("f8")
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*["space" if c == " " else c for c in "two at once"])
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PracticeScreen)
        shown = transcript(practice)
        first = next(line for line in shown if line.startswith("Ana: I understand"))
        assert "Observer Maya: ✗ missed" in first and "✎ note: two at once" in first
        last = next(line for line in shown if line.startswith("Ana: I can take 5%"))
        assert "Observer Maya: ✓ good" in last
        session_id = practice.session.id
        debrief = await end_call(pilot)
        agreement = text_of(debrief.query_one("#agreement", Static))
        assert "Whole turn: 1 of 2 marks agree with the grader" in agreement, agreement
        assert "Coaching moments" in agreement and f"turn {rep_turns[1]}" in agreement
        assert "the observer marked it good, the grader said fail" in agreement
        call = text_of(debrief.query_one("#call-transcript", Static))
        assert "Observer Maya: ✓ good" in call

    marks = store.marks(session_id)
    assert [(m.turn, m.kind, m.observer) for m in marks] == [
        (rep_turns[0], "missed", "Maya"), (rep_turns[0], "note", "Maya"), (rep_turns[1], "good", "Maya")]
    assert marks[1].note == "two at once"


# ---- the room dialog says what to fix, and keeps what was typed
async def test_room_dialog_says_what_to_fix(store: Store, lib: library.Library) -> None:
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.click("#mode-tag-team")
        await fill(pilot, "#room-reps", "Ana")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RoomScreen)
        assert any("needs two or more reps" in n.message for n in app._notifications)
        await fill(pilot, "#room-reps", "Ana, Ben")
        await fill(pilot, "#room-buyer", "ben")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RoomScreen)
        assert any("cannot play the buyer and be a rep" in n.message for n in app._notifications), [n.message for n in app._notifications]
        assert app.screen.query_one("#room-reps", Input).value == "Ana, Ben"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
    assert store.sessions() == []


async def test_the_observer_is_still_named_after_a_pause(store: Store, lib: library.Library) -> None:
    """Before: marks made after a resume had no observer's name."""
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await room(pilot, "Ana", "solo", observer="Maya")
        session_id = app.screen.session.id
        await say(pilot, WEAK[0])
        await pilot.press("escape")  # pause
        await settle(pilot)
        app.resume(session_id)
        await settle(pilot)
        assert isinstance(app.screen, PracticeScreen) and app.screen.observer == "Maya"
        await say(pilot, WEAK[1])
        await pilot.press("f8")
        await settle(pilot)
    assert [m.observer for m in store.marks(session_id)] == ["Maya"]
