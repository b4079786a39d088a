"""The Textual app, flow by flow, driven through Pilot at 80x24.

Each test runs a whole flow as a rep would (keys, clicks) and checks real
state: rows in the store, the session's turns, which screen is up, what the
widgets show.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from textual import events
from textual.widgets import Button, Checkbox, DataTable, Input, Select, Static, TextArea

from roleplay import library
from roleplay.app.app import RoleplayApp
from roleplay.app.screens.debrief import QUESTIONS, DebriefScreen
from roleplay.app.screens.dialogs import HelpScreen, RepScreen, ResumeScreen, help_text
from roleplay.app.screens.home import HomeScreen
from roleplay.app.screens.plan import PlanScreen
from roleplay.app.screens.practice import PracticeScreen, SayBox
from roleplay.app.screens.progress import ProgressScreen
from roleplay.engine.buyer import LLMBuyer
from roleplay.engine.judge import LLMJudge
from roleplay.engine.session import Session, Setup
from roleplay.llm.client import LLM
from roleplay.settings import Settings
from roleplay.store import Store

from . import fakeprovider as fp
from .provider import error, serve

SIZE = (80, 24)
OPENER = ("When you say it's double, what are you comparing it to: the licence alone, "
          "or what the spoiled loads cost too?")
SECOND = "What does a spoiled load cost you when it happens?"


@pytest.fixture
def backend() -> str:
    """SQLite only: the screens call the same store methods either way, and those run on both
    stores in the store, engine and team suites (tests/test_app_team.py drives the app on both)."""
    return "sqlite"


@pytest.fixture
def lib() -> library.Library:
    return library.load([library.shipped_folder()])


def offline() -> Settings:
    return Settings(offline=True)


def make_app(store: Store, lib: library.Library, session: Session | None = None,
             settings: Settings | None = None) -> RoleplayApp:
    return RoleplayApp(settings or offline(), store=store, lib=lib, session=session)


async def settle(app: RoleplayApp, pilot) -> None:  # noqa: ANN001 - Pilot
    """Let workers (turns, scoring) and the messages they post run to the end."""
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def type_text(pilot, text: str) -> None:  # noqa: ANN001
    """Type, key by key, into whatever has focus."""
    await pilot.press(*["space" if c == " " else c for c in text])


async def paste(pilot, text: str) -> None:  # noqa: ANN001
    """Paste into the focused widget (long turns: typing them key by key takes seconds)."""
    pilot.app.post_message(events.Paste(text))  # as the terminal sends it: to the app, then the focus
    await pilot.pause()


def rendered(widget: Static) -> str:
    """The plain text a Static shows."""
    return str(widget.render())


def transcript(screen: PracticeScreen) -> list[str]:
    """The call's turns as shown (the brief on top left out)."""
    return [rendered(w) for w in screen.query("#transcript .turn") if not w.has_class("brief")]


def notes(app: RoleplayApp) -> list[str]:
    return [n.message for n in app._notifications]


async def finished_session(store: Store, lib: library.Library, rep: str, scenario: str, lines: list[str],
                           seed: int = 1) -> Session:
    setup = Setup.from_library(lib, scenario, "medium")
    session = Session.begin(setup, store, store.rep(rep), seed=seed)
    for line in lines:
        async for _ in session.say(line):
            pass
    await session.end()
    return session


# ---- 1. first start: who is practising, then the scenarios
async def test_first_start_asks_who_is_practising_then_lists_and_filters_scenarios(store, lib) -> None:
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, RepScreen)
        assert "Who is practising?" in rendered(app.screen.query_one(".dialog-title"))
        assert app.screen.query_one("#new-rep", Input).has_focus
        await type_text(pilot, "Ana Lima")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert [r.name for r in store.reps()] == ["Ana Lima"]
        assert app.rep is not None and app.rep.name == "Ana Lima"
        assert store.pref("rep") == "Ana Lima"
        assert "Ana Lima" in rendered(app.screen.query_one("#status", Static))

        table = app.screen.query_one("#scenarios", DataTable)
        assert table.row_count >= 8
        everything = {str(k.value) for k in table.rows}
        assert {"price-objection", "the-ghost"} <= everything

        # search: '/' jumps to the box, every word must match
        await pilot.press("slash")
        assert app.screen.query_one("#search", Input).has_focus
        await type_text(pilot, "ghost")
        await pilot.pause()
        assert [str(k.value) for k in table.rows] == ["the-ghost"]
        await pilot.press("enter")  # back to the table
        assert table.has_focus
        await pilot.press("slash", *["backspace"] * len("ghost"))
        await pilot.pause()
        assert app.screen.query_one("#search", Input).value == ""
        assert table.row_count == len(everything)

        # skill: open the Select, type to find 'email', Enter
        skill = app.screen.query_one("#skill", Select)
        skill.focus()
        await pilot.press("enter")
        await pilot.pause()
        await type_text(pilot, "email")
        await pilot.press("enter")
        await pilot.pause()
        assert skill.value == "email"
        shown = {str(k.value) for k in table.rows}
        assert shown and shown < everything
        assert all("email" in lib.scenarios[s].model.skills for s in shown)
        assert "the-ghost" in shown


# ---- 2. plan, practise, hint, redo, end, debrief, export
async def test_plan_practise_hint_redo_debrief_and_export(store, lib, tmp_path) -> None:
    store.set_pref("rep", store.rep("Ana").name)
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("slash")
        await type_text(pilot, "price")
        await pilot.press("enter", "enter")  # back to the table, then practise the row
        await pilot.pause()
        plan = app.screen
        assert isinstance(plan, PlanScreen)
        assert plan.setup.scenario.id == "price-objection" and plan.setup.difficulty_name == "medium"
        assert plan.query_one("#plan").scroll_y == 0, "the brief is on screen, not scrolled away"
        assert plan.query_one("#plan-objective", TextArea).has_focus
        await pilot.press("tab")
        assert plan.query_one("#plan-questions", TextArea).has_focus
        await type_text(pilot, "What are you comparing it to?")
        await pilot.press("enter")
        await paste(pilot, "What does a spoiled load cost you?")
        await pilot.press("ctrl+s")
        await settle(app, pilot)

        saved = store.plan(store.rep("Ana"), "price-objection")
        assert saved["questions"] == "What are you comparing it to?\nWhat does a spoiled load cost you?"
        assert saved["objective"] == plan.setup.scenario.objective.milestone
        practice = app.screen
        assert isinstance(practice, PracticeScreen)
        session = practice.session
        assert store.session(session.id).plan == saved
        opening = session.turns[0]
        assert opening.speaker == "buyer" and opening.text
        assert transcript(practice) == [f"Dana: {opening.text}"]
        assert "What are you comparing it to?" in rendered(practice.query_one("#plan-view", Static))
        assert "Grades appear here" in rendered(practice.query_one("#grades", Static))
        assert practice.query_one("#say", SayBox).has_focus

        # a turn: the rep's words, the buyer's reply, the grades
        await paste(pilot, OPENER)
        await pilot.press("enter")
        await settle(app, pilot)
        turns = store.turns(session.id)
        assert [t.speaker for t in turns] == ["buyer", "rep", "buyer"]
        assert turns[1].text == OPENER and turns[1].grades and not turns[1].hint_used
        assert transcript(practice) == [f"Dana: {opening.text}", f"You: {OPENER}", f"Dana: {turns[2].text}"]
        assert practice.query_one("#say", SayBox).text == ""
        grades = rendered(practice.query_one("#grades", Static))
        names = {c.id: c.name for c in session.setup.rubric.criteria}
        shown = [name for cid, name in names.items() if name in grades]
        assert shown, grades
        assert any(g.criterion in names and names[g.criterion] in grades for g in turns[1].grades)

        # a hint is shown and recorded on the next turn
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert any(n.title == "Hint (recorded)" for n in app._notifications)
        await paste(pilot, "I can do 20% off if you sign this week.")
        await pilot.press("enter")
        await settle(app, pilot)
        turns = store.turns(session.id)
        assert [t.speaker for t in turns] == ["buyer", "rep", "buyer", "rep", "buyer"]
        assert turns[3].hint_used and not turns[1].hint_used
        assert len(transcript(practice)) == 5

        # redo takes back the last turn and its reply, on screen and in the store; the words come back
        await pilot.press("ctrl+r")
        await pilot.pause()
        turns = store.turns(session.id)
        assert [t.index for t in turns] == [0, 1, 2]
        assert [t.index for t in session.turns] == [0, 1, 2]
        assert len(transcript(practice)) == 3
        assert not any("20% off" in line for line in transcript(practice))
        say = practice.query_one("#say", SayBox)
        assert say.text == "I can do 20% off if you sign this week." and say.has_focus
        say.clear()

        # end the call: the debrief with the score
        await pilot.press("ctrl+b")
        await settle(app, pilot)
        debrief = app.screen
        assert isinstance(debrief, DebriefScreen)
        row = store.session(session.id)
        assert row.status == "finished" and row.outcome == "ended-by-rep" and row.score is not None
        headline = rendered(debrief.query_one("#headline", Static))
        assert headline.startswith("Objective not reached: you ended the call.")
        assert f"{row.score:.0f}/100" in headline and "too little graded to call it" in headline
        card = debrief.query_one("#scorecard", DataTable)
        assert card.row_count == len(row.scorecard["criteria"])
        plan_check = rendered(debrief.query_one("#plan-check", Static))
        assert "You planned to ask: “What are you comparing it to”. You did." in plan_check
        assert "?." not in plan_check

        # the rep's answers are saved with the session
        answers = ["Asked what they compare it to.", "Offered a discount.", "Discounts cost trust.",
                   "Hold the price."][:len(QUESTIONS)]
        for i, answer in enumerate(answers):
            debrief.query_one(f"#answer-{i}", TextArea).focus()
            await (type_text if i == 0 else paste)(pilot, answer)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert store.session(session.id).debrief == dict(zip(QUESTIONS, answers, strict=True))

        # export to Markdown
        button = debrief.query_one("#export-md", Button)
        button.focus()
        await pilot.press("enter")
        await pilot.pause()
        exported = tmp_path / "exports" / f"{session.id}-price-objection.md"
        assert exported.exists()
        text = exported.read_text()
        assert OPENER in text and "# " in text
        assert any(str(exported) in n for n in notes(app))


# ---- 3. skipping the plan
async def test_skipping_the_plan_and_always_skip_is_remembered(store, lib) -> None:
    store.set_pref("rep", store.rep("Ana").name)
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.start_practice("price-objection", "easy")
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen)
        await pilot.press("ctrl+k")
        await pilot.pause()
        practice = app.screen
        assert isinstance(practice, PracticeScreen)
        assert practice.session.setup.difficulty_name == "easy"
        assert store.session(practice.session.id).plan is None
        assert store.pref("skip-plan:Ana") == "no"
        await pilot.press("ctrl+b")  # no turn taken: the session is dropped, back home
        await settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        assert store.session(practice.session.id).status == "abandoned"

        # tick 'Always skip planning', then skip
        app.start_practice("status-quo", "medium")
        await pilot.pause()
        plan = app.screen
        assert isinstance(plan, PlanScreen)
        box = plan.query_one("#always-skip", Checkbox)
        assert not box.value
        box.focus()
        await pilot.press("space")
        assert box.value
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert isinstance(app.screen, PracticeScreen)
        assert store.pref("skip-plan:Ana") == "yes"
        app.pop_screen()
        await pilot.pause()

        # from now on, Enter on a scenario goes straight to the call
        table = app.screen.query_one("#scenarios", DataTable)
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PracticeScreen)
        assert app.screen.session.setup.scenario.id == str(next(iter(table.rows)).value)

    # and in a new app the box is shown ticked
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        if isinstance(app.screen, ResumeScreen):  # the sessions left open above
            await pilot.click("#later")
            await pilot.pause()
        app.push_screen(PlanScreen(Setup.from_library(lib, "price-objection", "medium")))
        await pilot.pause()
        assert app.screen.query_one("#always-skip", Checkbox).value


# ---- 4. the ghost: silence, and days passing
async def test_the_ghost_opens_in_silence_and_checking_in_lets_days_pass(store, lib) -> None:
    store.set_pref("rep", store.rep("Ana").name)
    store.set_pref("skip-plan:Ana", "yes")
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.start_practice("the-ghost", "medium")
        await pilot.pause()
        practice = app.screen
        assert isinstance(practice, PracticeScreen)
        days = practice.session.setup.scenario.opening.silent_days
        lines = transcript(practice)
        assert len(lines) == 1 and f"No reply for {days} days" in lines[0]
        clock = rendered(practice.query_one("#clock", Static))
        assert f"day {days}" in clock

        await paste(pilot, "Hi Renee, just checking in to see if you had a chance to look at the proposal?")
        await pilot.press("enter")
        await settle(app, pilot)
        turns = store.turns(practice.session.id)
        assert [t.speaker for t in turns] == ["buyer", "rep", "buyer"]
        assert turns[2].text == "" and turns[2].note
        lines = transcript(practice)
        assert len(lines) == 3 and turns[2].note in lines[2]
        now = practice.session.state.days
        assert now > days
        assert f"day {now}" in rendered(practice.query_one("#clock", Static))


# ---- 5. resume an unfinished session
async def _open_session(store: Store, lib: library.Library) -> Session:
    setup = Setup.from_library(lib, "price-objection", "medium")
    session = Session.begin(setup, store, store.rep("Ana"), seed=2)
    async for _ in session.say(OPENER):
        pass
    return session


async def test_an_unfinished_session_is_offered_back_and_resumed(store, lib) -> None:
    session = await _open_session(store, lib)
    before = [t.text for t in store.turns(session.id)]
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ResumeScreen)
        assert app.screen.row.id == session.id
        assert app.screen.query_one("#resume", Button).has_focus
        await pilot.press("enter")
        await pilot.pause()
        practice = app.screen
        assert isinstance(practice, PracticeScreen)
        assert practice.session.id == session.id
        assert [line.split(": ", 1)[1] for line in transcript(practice)] == before
        # the call goes on where it was
        await paste(pilot, SECOND)
        await pilot.press("enter")
        await settle(app, pilot)
        assert [t.speaker for t in store.turns(session.id)] == ["buyer", "rep", "buyer", "rep", "buyer"]
        assert store.session(session.id).status == "active"


async def test_an_unfinished_session_can_be_closed(store, lib) -> None:
    session = await _open_session(store, lib)
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ResumeScreen)
        await pilot.click("#close")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert store.session(session.id).status == "abandoned"
        recent = app.screen.query_one("#recent", DataTable)
        assert recent.get_row(session.id)[-1] == "ended unscored"
    # and it is not offered again
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


# ---- 6. progress
async def test_progress_shows_a_trend_per_criterion_and_sessions_per_week(store, lib) -> None:
    await finished_session(store, lib, "Ana", "price-objection", ["I can take 5% off if you sign this week."])
    await finished_session(store, lib, "Ana", "price-objection", [OPENER, SECOND], seed=2)
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.screen.query_one("#recent", DataTable).row_count == 2
        await pilot.press("f3")
        await pilot.pause()
        progress = app.screen
        assert isinstance(progress, ProgressScreen)
        rows = list(reversed(store.sessions("Ana", status="finished")))
        series: dict[str, list[float]] = {}
        for r in rows:
            for c in r.scorecard["criteria"]:
                if c["score"] is not None:
                    series.setdefault(c["name"], []).append(c["score"] * 100)
        assert any(v[0] != v[-1] for v in series.values()), "the two calls differ somewhere"
        assert [rendered(w) for w in progress.query(".trend-rubric")] == ["Handling an objection"]
        trends = {line.split("  ")[0].strip(): line for line in (rendered(w) for w in progress.query(".trend"))}
        assert set(trends) == set(series)
        for name, values in series.items():
            assert trends[name].rstrip().endswith(ProgressScreen.change(values)), (name, trends[name])
        weeks = rendered(progress.query_one("#weeks", Static))
        assert weeks.splitlines()[-1].endswith("██ 2")
        assert "best score" in rendered(progress.query_one("#passed", Static))
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


# ---- 7. command palette and theme
async def test_the_command_palette_starts_a_scenario(store, lib) -> None:
    store.set_pref("rep", store.rep("Ana").name)
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "Practise: Price objection (easy)")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen)
        assert app.screen.setup.scenario.id == "price-objection"
        assert app.screen.setup.difficulty_name == "easy"


async def test_the_theme_toggles_and_is_remembered(store, lib) -> None:
    store.set_pref("rep", store.rep("Ana").name)
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        first = app.theme
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.theme != first
        assert app.theme in ("textual-dark", "textual-light")
        assert store.pref("theme") == app.theme
        chosen = app.theme
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == chosen


# ---- 8. help
async def test_help_opens_and_closes(store, lib) -> None:
    store.set_pref("rep", store.rep("Ana").name)
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = app.screen.query_one(Static)
        width = shown.size.width
        text = drawn(help_text(), width)
        assert "How practice works" in text
        # the marks of the side panel are explained
        assert "✓" in text and "✗" in text and "ungraded" in text
        # a description that wraps stays in its column, under the description, not under the key
        lines = text.splitlines()
        palette = next(i for i, line in enumerate(lines) if line.startswith("Ctrl+P"))
        assert lines[palette + 1].startswith(" " * 14) and lines[palette + 1].strip(), lines[palette:palette + 3]
        assert all(len(line.rstrip()) <= width for line in lines)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


def drawn(renderable, width: int) -> str:  # noqa: ANN001
    """A Rich renderable as plain text at this width."""
    import io

    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=width, color_system=None, legacy_windows=False).print(renderable)
    return out.getvalue()


# ---- 9. a model through a fake provider
SECRET = "sk-test-app-secret"


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch):
    yield from serve(monkeypatch, SECRET)


def llm_session(store: Store, lib: library.Library, retries: int = 1) -> tuple[Settings, Session]:
    settings = Settings(model=fp.MODEL, api_base=fp.BASE, retries=retries,
                        first_token_timeout=5, total_timeout=10)
    llm = LLM(settings, backoff_base=0.01, backoff_cap=0.02)
    setup = Setup.from_library(lib, "price-objection", "medium")
    session = Session.begin(setup, store, store.rep("Ana"), buyer=LLMBuyer(llm), judge=LLMJudge(llm),
                            seed=1, llm=llm)
    return settings, session


def slow_stream(pieces: list[str], delay: float) -> httpx.Response:
    async def body():
        yield fp.chunk("", role=True).encode()
        for p in pieces:
            await asyncio.sleep(delay)
            yield fp.chunk(p).encode()
        yield fp.chunk(None, finish="stop").encode()
        yield b"data: [DONE]\n\n"

    return httpx.Response(200, content=body(), headers={"content-type": "text/event-stream"})


async def test_a_streamed_reply_is_shown_and_saved(store, lib, provider) -> None:
    settings, session = llm_session(store, lib)
    provider.buyer.append(fp.stream_response(["Compared ", "to Fleetwise, ", "obviously."]))
    app = make_app(store, lib, session, settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        practice = app.screen
        assert isinstance(practice, PracticeScreen)
        assert "model openai/fake-buyer" in practice.sub_title
        await paste(pilot, OPENER)
        await pilot.press("enter")
        await settle(app, pilot)
        turns = store.turns(session.id)
        assert turns[-1].speaker == "buyer" and turns[-1].text == "Compared to Fleetwise, obviously."
        assert transcript(practice)[-1] == "Dana: Compared to Fleetwise, obviously."
        assert not practice.query(".live")
        assert any(g.source == "judge" for g in turns[-2].grades)
        assert len(provider.buyer_calls) == 1


async def test_typing_stays_live_while_a_slow_reply_streams(store, lib, provider) -> None:
    settings, session = llm_session(store, lib)

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.5)  # the provider takes its time to answer at all ...
        return slow_stream(["Compared ", "to Fleetwise, ", "obviously."], 0.8)  # ... then dribbles

    provider.buyer.append(slow)
    app = make_app(store, lib, session, settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        practice = app.screen
        say = practice.query_one("#say", SayBox)
        await paste(pilot, OPENER)
        await pilot.press("enter")
        await pilot.pause(0.05)
        assert practice.busy and say.text == ""
        assert store.turns(session.id)[-1].text == OPENER, "the rep's turn is saved before the reply"
        # the rep types the next turn, key by key, while the buyer is still answering
        await type_text(pilot, "And the fuel")
        assert say.text == "And the fuel"
        assert practice.busy, "the reply is still coming while the rep types"
        assert store.turns(session.id)[-1].speaker == "rep"
        # sending while the buyer answers keeps the text
        await pilot.press("enter")
        await pilot.pause()
        assert say.text == "And the fuel"
        assert any("still answering" in n for n in notes(app))
        # a piece of the reply is on screen before the end
        for _ in range(60):
            if practice.query(".live"):
                break
            await pilot.pause(0.05)
        live = practice.query(".live")
        assert live and rendered(live.first()).startswith("Dana: Compared") and practice.busy
        assert rendered(live.first()) != "Dana: Compared to Fleetwise, obviously."
        await type_text(pilot, "?")
        assert say.text == "And the fuel?"
        await settle(app, pilot)
        assert not practice.busy
        assert store.turns(session.id)[-1].text == "Compared to Fleetwise, obviously."
        assert transcript(practice)[-1] == "Dana: Compared to Fleetwise, obviously."
        assert not practice.query(".live")
        assert say.text == "And the fuel?"


async def test_a_provider_error_is_notified_and_ctrl_y_gets_the_reply(store, lib, provider) -> None:
    settings, session = llm_session(store, lib, retries=1)
    provider.buyer += [error(500)] * 2
    app = make_app(store, lib, session, settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        practice = app.screen
        await paste(pilot, OPENER)
        await pilot.press("enter")
        await settle(app, pilot)
        assert len(provider.buyer_calls) == 2
        assert any("Ctrl+Y" in n for n in notes(app)), notes(app)
        assert any(n.severity == "warning" for n in app._notifications)
        turns = store.turns(session.id)
        assert [t.speaker for t in turns] == ["buyer", "rep"] and turns[-1].text == OPENER
        assert session.awaiting_reply
        assert transcript(practice)[-1] == f"You: {OPENER}"
        # a new turn typed while the reply is missing is kept in the box, not lost
        await paste(pilot, SECOND)
        await pilot.press("enter")
        await settle(app, pilot)
        assert practice.query_one("#say", SayBox).text == SECOND
        assert [t.speaker for t in store.turns(session.id)] == ["buyer", "rep"]
        practice.query_one("#say", SayBox).clear()

        provider.buyer.append(fp.stream_response(["Fine, ", "ask."]))
        await pilot.press("ctrl+y")
        await settle(app, pilot)
        turns = store.turns(session.id)
        assert [t.speaker for t in turns] == ["buyer", "rep", "buyer"] and turns[-1].text == "Fine, ask."
        assert transcript(practice)[-1] == "Dana: Fine, ask."
        assert not session.awaiting_reply
        # and the call goes on
        await paste(pilot, SECOND)
        await pilot.press("enter")
        await settle(app, pilot)
        assert [t.speaker for t in store.turns(session.id)][-2:] == ["rep", "buyer"]
        assert json.loads(provider.buyer_calls[-1].content)["messages"][-1]["content"] == SECOND


async def test_a_reply_cut_mid_stream_is_marked_and_ctrl_y_replaces_it(store, lib, provider) -> None:
    from .provider import cut_stream

    settings, session = llm_session(store, lib)
    provider.buyer.append(cut_stream(["Look, ", "the thing is"]))
    app = make_app(store, lib, session, settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        practice = app.screen
        await paste(pilot, OPENER)
        await pilot.press("enter")
        await settle(app, pilot)
        assert transcript(practice)[-1] == "Dana: Look, the thing is  [cut off]"
        assert store.turns(session.id)[-1].interrupted
        assert any("cut off" in n and "Ctrl+Y" in n for n in notes(app))
        provider.buyer.append(fp.stream_response(["Compared to ", "Fleetwise."]))
        await pilot.press("ctrl+y")
        await settle(app, pilot)
        assert transcript(practice)[-2:] == [f"You: {OPENER}", "Dana: Compared to Fleetwise."]
        turns = store.turns(session.id)
        assert [t.speaker for t in turns] == ["buyer", "rep", "buyer"]
        assert turns[-1].text == "Compared to Fleetwise." and not turns[-1].interrupted


# ---- problems found while writing these tests, each kept as a test of its fix
async def test_the_highlighted_scenario_survives_a_trip_to_help(store, lib) -> None:
    store.set_pref("rep", store.rep("Ana").name)
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#scenarios", DataTable)
        keys = [str(k.value) for k in table.rows]
        await pilot.press(*["down"] * keys.index("price-objection"))  # not the first row
        picked = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        assert picked == "price-objection"
        await pilot.press("f1")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen)
        assert app.screen.setup.scenario.id == picked


async def test_an_abandoned_session_does_not_claim_to_be_in_progress(store, lib) -> None:
    session = await _open_session(store, lib)
    store.abandon(session.id)
    store.set_pref("rep", "Ana")
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen), "an abandoned session is not offered back"
        recent = app.screen.query_one("#recent", DataTable)
        assert recent.get_row(session.id)[-1] == "ended unscored"
        recent.focus()
        await pilot.press("enter")
        await pilot.pause()
        # no debrief (there is no scorecard), no resume: it says so, and home stays
        assert isinstance(app.screen, HomeScreen)
        assert any("ended without a score" in n for n in notes(app)), notes(app)
        assert store.session(session.id).status == "abandoned"


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch):
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def test_session_times_are_shown_in_local_time(store, lib, new_york, monkeypatch) -> None:
    import roleplay.store

    monkeypatch.setattr(roleplay.store, "_now", lambda: "2026-11-02T03:30:00+00:00")  # 22:30 on 1 Nov in New York
    session = await _open_session(store, lib)
    store.set_pref("rep", "Ana")
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ResumeScreen)
        said = " ".join(rendered(w) for w in app.screen.query(Static))
        await pilot.click("#later")
        await pilot.pause()
        when = app.screen.query_one("#recent", DataTable).get_row(session.id)[0]
        assert "2026-11-01 22:30" in said and when == "11-01 22:30", (said, when)


async def test_the_plan_check_reads_cleanly(store, lib) -> None:
    setup = Setup.from_library(lib, "price-objection", "medium")
    session = Session.begin(setup, store, store.rep("Ana"), seed=1,
                            plan={"questions": "What are you comparing it to?"})
    async for _ in session.say(OPENER):
        pass
    await session.end()
    store.set_pref("rep", "Ana")
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(DebriefScreen(session.id))
        await pilot.pause()
        check = rendered(app.screen.query_one("#plan-check", Static))
        assert "You planned to ask: “What are you comparing it to”. You did." in check
        assert "?." not in check, check


async def test_progress_trends_share_one_scale(store, lib) -> None:
    """A criterion at 100 every time must not look like one at 0 every time."""
    await finished_session(store, lib, "Ana", "price-objection", [OPENER], seed=1)
    await finished_session(store, lib, "Ana", "price-objection", [OPENER], seed=2)
    rows = store.sessions("Ana", status="finished")
    scores = {c["name"]: [cc["score"] for r in rows for cc in r.scorecard["criteria"] if cc["id"] == c["id"]]
              for c in rows[0].scorecard["criteria"]}
    high = next(n for n, v in scores.items() if v == [1.0, 1.0])
    low = next(n for n, v in scores.items() if v == [0.0, 0.0])
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f3")
        await pilot.pause()
        trends = {line.split("  ")[0].strip(): line for line in (rendered(w) for w in app.screen.query(".trend"))}

        def bars(line: str) -> str:
            return line[36:61]

        assert bars(trends[high]).strip() and bars(trends[high]) != bars(trends[low])


async def test_progress_shows_whole_criterion_names_on_a_wide_terminal(store, lib) -> None:
    await finished_session(store, lib, "Ana", "price-objection", [OPENER], seed=1)
    app = make_app(store, lib)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f3")
        await pilot.pause()
        names = {rendered(w).split("  ")[0].strip() for w in app.screen.query(".trend")}
        assert "Asks for a concrete next step" in names, names


async def test_redo_twice_takes_back_two_turns(store, lib) -> None:
    setup = Setup.from_library(lib, "price-objection", "medium")
    session = Session.begin(setup, store, store.rep("Ana"), seed=1)
    trust = [session.state.trust]
    for line in (OPENER, SECOND):
        async for _ in session.say(line):
            pass
        trust.append(session.state.trust)
    app = make_app(store, lib, session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        practice = app.screen
        say = practice.query_one("#say", SayBox)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert [t.index for t in store.turns(session.id)] == [0, 1, 2]
        assert say.text == SECOND and session.state.trust == trust[1]
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert [t.index for t in store.turns(session.id)] == [0]
        assert say.text == OPENER and session.state.trust == trust[0]
        assert len(transcript(practice)) == 1
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert any("no turn to take back" in n for n in notes(app))
        # the words taken back are sent again as they are
        await pilot.press("enter")
        await settle(app, pilot)
        assert [t.speaker for t in store.turns(session.id)] == ["buyer", "rep", "buyer"]
        assert store.turns(session.id)[1].text == OPENER


async def test_planning_can_be_turned_back_on(store, lib) -> None:
    store.set_pref("rep", store.rep("Ana").name)
    store.set_pref("skip-plan:Ana", "yes")
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "plan before")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert store.pref("skip-plan:Ana") == "no"
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("enter")  # the next scenario picked is planned first again
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen)


async def test_typing_on_the_scenario_list_searches_every_letter(store, lib) -> None:
    store.set_pref("rep", store.rep("Ana").name)
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#scenarios", DataTable)
        assert table.has_focus
        await type_text(pilot, "ghost")
        search = app.screen.query_one("#search", Input)
        assert table.has_focus, "the list keeps the focus, so fast keys reach one widget in order"
        assert search.value == "ghost"
        assert [str(k.value) for k in table.rows] == ["the-ghost"]
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace")
        assert search.value == "" and table.row_count >= 8


async def test_progress_draws_a_mark_for_every_session(store, lib) -> None:
    await finished_session(store, lib, "Ana", "price-objection", [OPENER], seed=1)
    await finished_session(store, lib, "Ana", "price-objection", [OPENER], seed=2)
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f3")
        await pilot.pause()
        rows = [rendered(w) for w in app.screen.query(".trend")]
        assert rows
        marks = {row.split("  ")[0].strip(): sum(c != " " for c in row[36:61]) for row in rows}
        assert all(n == 2 for n in marks.values()), marks


async def test_search_finds_words_in_the_buyers_objections_and_ranks_names_first(store, lib) -> None:
    store.set_pref("rep", store.rep("Ana").name)
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_text(pilot, "discount")
        await pilot.pause()
        table = app.screen.query_one("#scenarios", DataTable)
        found = [str(k.value) for k in table.rows]
        assert "price-objection" in found, found  # "discount" is only in Dana's objections


# ---- a problem the rep can act on is said in a sentence; the app, the session and the typed words stay
async def test_a_turn_that_cannot_be_saved_keeps_the_session_and_the_words(store, lib) -> None:
    from roleplay.errors import StoreError

    setup = Setup.from_library(lib, "price-objection", "medium")
    session = Session.begin(setup, store, store.rep("Ana"), seed=1)

    async def disk_full(text: str, **_):  # noqa: ANN202
        raise StoreError("the practice history could not be written: the disk is full.",
                         hint="Free some space, then send the turn again.")
        yield  # an async generator, as Session.say

    app = make_app(store, lib, session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        practice = app.screen
        session.say = disk_full
        await paste(pilot, OPENER)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is practice and app.is_running and app._exception is None
        assert practice.query_one("#say", SayBox).text == OPENER
        assert any("disk is full" in n and "send the turn again" in n for n in notes(app)), notes(app)
        # the screen still answers keys: the next turn goes through once the disk is fine again
        del session.say
        await pilot.press("enter")
        await settle(app, pilot)
        assert [t.speaker for t in store.turns(session.id)] == ["buyer", "rep", "buyer"]
        assert practice.query_one("#say", SayBox).text == ""


async def test_a_problem_in_a_button_or_key_handler_is_said_and_the_screen_goes_on(store, lib, monkeypatch) -> None:
    from roleplay.errors import RoleplayError

    session = await finished_session(store, lib, "Ana", "price-objection", [OPENER])
    store.set_pref("rep", "Ana")

    def refuse(self, session_id: str, fmt: str):  # noqa: ANN001, ANN202
        raise RoleplayError(f"cannot write the report to /nowhere/{session_id}.{fmt}: Read-only file system")

    monkeypatch.setattr(RoleplayApp, "export_session", refuse)
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(DebriefScreen(session.id))
        await pilot.pause()
        debrief = app.screen
        debrief.query_one("#export-md", Button).press()
        await pilot.pause()
        assert app.screen is debrief and app._exception is None
        assert any("Read-only file system" in n for n in notes(app)), notes(app)
        await pilot.press("escape")  # the screen still answers keys
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_a_screen_that_cannot_be_built_is_left_with_a_sentence(store, lib, monkeypatch) -> None:
    from roleplay.errors import StoreError

    session = await finished_session(store, lib, "Ana", "price-objection", [OPENER])
    store.set_pref("rep", "Ana")
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        home = app.screen

        def unreadable(session_id: str):  # noqa: ANN202
            raise StoreError("the practice history cannot be read: the database disk image is malformed.")

        monkeypatch.setattr(store, "session", unreadable)
        app.push_screen(DebriefScreen(session.id))
        await settle(app, pilot)
        assert app.screen is home and app._exception is None
        assert any("malformed" in n for n in notes(app)), notes(app)


# ---- the home screen by keyboard
def burst(app: RoleplayApp, keys: list[str]) -> None:
    """Keys as a fast typist's terminal sends them: all queued before the first is handled."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def test_keys_typed_fast_on_the_list_are_applied_in_order(store, lib) -> None:
    store.set_pref("rep", store.rep("Ana").name)
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        burst(app, ["p", "backspace", "g", "h", "o", "s", "t"])
        await settle(app, pilot)
        assert app.screen.query_one("#search", Input).value == "ghost"
        assert [str(k.value) for k in app.screen.query_one("#scenarios", DataTable).rows] == ["the-ghost"]


async def test_after_later_tab_reaches_the_paused_session_and_enter_resumes_it(store, lib) -> None:
    session = await _open_session(store, lib)
    store.set_pref("rep", "Ana")
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.click("#later")
        await pilot.pause()
        recent = app.screen.query_one("#recent", DataTable)
        for _ in range(6):
            if recent.has_focus:
                break
            await pilot.press("tab")
        assert recent.has_focus
        assert recent.get_row(session.id)[-1] == "paused: Enter resumes"
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, PracticeScreen) and app.screen.session.id == session.id


async def test_typing_a_search_on_recent_sessions_never_opens_one(store, lib) -> None:
    await finished_session(store, lib, "Ana", "price-objection", [OPENER])
    session = await _open_session(store, lib)
    store.set_pref("rep", "Ana")
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.click("#later")
        await pilot.pause()
        app.screen.query_one("#recent", DataTable).focus()
        await pilot.pause()
        burst(app, [*"ghost", "enter"])
        await settle(app, pilot)
        # the Enter belongs to the search: the scenario found is planned, no session is opened
        assert isinstance(app.screen, PlanScreen) and app.screen.setup.scenario.id == "the-ghost"
        assert store.session(session.id).status == "active"


async def test_enter_on_a_finished_session_opens_its_debrief(store, lib) -> None:
    done = await finished_session(store, lib, "Ana", "price-objection", [OPENER])
    store.set_pref("rep", "Ana")
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.screen.query_one("#recent", DataTable).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen) and app.screen.session_id == done.id


async def test_resume_keeps_the_call_clock_and_the_unsent_words(store, lib, monkeypatch) -> None:
    import roleplay.app.screens.practice as practice_screen

    now = [1000.0]
    monkeypatch.setattr(practice_screen, "monotonic", lambda: now[0])
    session = await _open_session(store, lib)
    store.set_pref("rep", "Ana")
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.click("#resume")
        await pilot.pause()
        await paste(pilot, "So what would make the numbers work for Mark")
        now[0] += 125  # two minutes and five seconds into the call
        await pilot.press("escape")  # pause
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        now[0] += 3600  # an hour later, the rep comes back
        app.resume(session.id)
        await pilot.pause()
        practice = app.screen
        assert isinstance(practice, PracticeScreen)
        assert practice.query_one("#say", SayBox).text == "So what would make the numbers work for Mark"
        assert "2:05" in rendered(practice.query_one("#clock", Static))
        # quitting keeps them too
        await paste(pilot, "?")
        now[0] += 10
        await app.action_quit()
    assert store.pref(f"draft:{session.id}") == "So what would make the numbers work for Mark?"
    assert store.pref(f"clock:{session.id}") == "135"


async def test_one_escape_leaves_the_debrief_from_an_answer_box_and_keeps_the_answer(store, lib) -> None:
    session = await finished_session(store, lib, "Ana", "price-objection", [OPENER])
    store.set_pref("rep", "Ana")
    app = make_app(store, lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(DebriefScreen(session.id))
        await pilot.pause()
        box = app.screen.query_one("#answer-0", TextArea)
        box.focus()
        await type_text(pilot, "asked first")
        await pilot.press("shift+left", "shift+left")  # a selection in the box
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert store.session(session.id).debrief[QUESTIONS[0]] == "asked first"


async def test_at_80x24_the_side_panel_leaves_room_for_the_grades_and_explains_the_marks(store, lib) -> None:
    setup = Setup.from_library(lib, "price-objection", "medium")
    session = Session.begin(setup, store, store.rep("Ana"), seed=1)
    async for _ in session.say(OPENER):
        pass
    app = make_app(store, lib, session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        practice = app.screen
        assert practice.query_one("#objective", Static).size.height <= 2
        assert practice.query_one("#mood-label", Static).size.height == 1
        # the whole objective is still there, in the brief at the top of the call
        brief = rendered(practice.query_one("#transcript .brief", Static))
        assert " ".join(setup.scenario.objective.milestone.split()) in " ".join(brief.split())
        grades = rendered(practice.query_one("#grades", Static))
        assert "✓ passed  ✗ failed  · n/a  ? ungraded" in grades
        # the first criteria of the turn are in view without scrolling
        side = practice.query_one("#side")
        first = practice.query_one("#grades", Static)
        assert first.region.y - side.region.y <= 9, first.region


async def test_a_bug_ends_the_app_with_one_line_asking_to_report_it(store, lib, monkeypatch) -> None:
    session = await finished_session(store, lib, "Ana", "price-objection", [OPENER])
    store.set_pref("rep", "Ana")
    monkeypatch.delenv("ROLEPLAY_DEBUG", raising=False)

    def broken(self, session_id: str, fmt: str):  # noqa: ANN001, ANN202
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(RoleplayApp, "export_session", broken)
    app = make_app(store, lib)
    panicked: list = []
    real_panic = app.panic
    app.panic = lambda *shown: (panicked.extend(shown), real_panic(*shown))[1]
    with pytest.raises(ZeroDivisionError):  # Pilot hands the bug on to the test
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.push_screen(DebriefScreen(session.id))
            await pilot.pause()
            app.screen.query_one("#export-md", Button).press()
            await pilot.pause()
    assert app.return_code == 70
    said = " ".join(drawn(r, 300) for r in panicked)
    assert "roleplay hit a bug: ZeroDivisionError: division by zero; please report it" in said, said
    assert "Traceback" not in said
