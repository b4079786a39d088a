"""Every screen of the app, as pictures, at 80x24 and at 120x40.

Deterministic by construction: fixed seeds, a fake clock for every stored
timestamp and session id, and a frozen elapsed-time clock on the practice
screen. Regenerate with `pytest tests/test_app_snapshots.py --snapshot-update`
and look at each picture before committing it.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

import roleplay.store
from roleplay import library
from roleplay.app.app import RoleplayApp
from roleplay.engine.session import Session, Setup
from roleplay.settings import Settings
from roleplay.store import Store

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]

PRICE_CALL = [
    "When you say it's double, what are you comparing it to: the licence alone, "
    "or what the spoiled loads cost too?",
    "What does a spoiled load cost you when it happens?",
    "How is MedCo reacting to the two incidents this quarter?",
]
WEAK_CALL = ["I understand, that's a fair concern.", "I can take 5% off if you sign this week."]
PLAN = {
    "objective": "Dana agrees to a 30-minute call with her and Mark on a named day.",
    "questions": "What are you comparing it to?\nWhat does a spoiled load cost you?\nWho else decides?",
    "information": "Spoilage incidents this quarter",
    "risks": "She asks for a discount: hold the price, talk about spoilage.",
}


class Clock:
    """Stored timestamps from a fake clock: each read moves it on by a few seconds."""

    def __init__(self, start: str = "2026-11-02T09:00:00+00:00"):
        self.now = datetime.fromisoformat(start)

    def set(self, stamp: str) -> None:
        self.now = datetime.fromisoformat(stamp)

    def read(self) -> str:
        self.now += timedelta(seconds=7)
        return self.now.isoformat(timespec="seconds")


@pytest.fixture
def backend() -> str:
    """SQLite only: the screens draw the same from either store, and the store suite, the engine's
    and the team tests run on both (tests/conftest.py)."""
    return "sqlite"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    import time

    # times are shown in the rep's local zone: pin it, or the pictures depend on the machine
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    clock = Clock()
    ids = itertools.count(1)

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206
            return clock.now if tz else clock.now.replace(tzinfo=None)

    monkeypatch.setattr(roleplay.store, "_now", clock.read)
    monkeypatch.setattr(roleplay.store, "datetime", FrozenDatetime)
    monkeypatch.setattr(roleplay.store, "secrets", SimpleNamespace(token_hex=lambda n: f"{next(ids):0{2 * n}x}"))
    monkeypatch.setattr("roleplay.app.screens.practice.monotonic", lambda: 1000.0)
    return clock


@pytest.fixture
def lib() -> library.Library:
    return library.load([library.shipped_folder()])


def app_for(store: Store, lib: library.Library, session: Session | None = None) -> RoleplayApp:
    return RoleplayApp(Settings(offline=True), store=store, lib=lib, session=session)


def with_rep(store: Store, name: str = "Ana") -> None:
    store.set_pref("rep", store.rep(name).name)


def play(session: Session, lines: list[str]) -> Session:
    async def go() -> None:
        for line in lines:
            async for _ in session.say(line):
                pass

    asyncio.run(go())
    return session


def begin(store: Store, lib: library.Library, scenario: str, *, seed: int, difficulty: str = "medium",
          plan: dict | None = None) -> Session:
    setup = Setup.from_library(lib, scenario, difficulty)
    return Session.begin(setup, store, store.rep("Ana"), seed=seed, plan=plan)


def two_finished(store: Store, lib: library.Library, clock: Clock) -> list[Session]:
    """Two finished sessions of the same scenario, a few days apart, the second one better."""
    from roleplay.practice import recommender

    done = []
    for stamp, lines, seed, plan in [("2026-10-29T16:20:00+00:00", WEAK_CALL, 1, None),
                                     ("2026-11-02T09:00:00+00:00", PRICE_CALL, 2, PLAN)]:
        clock.set(stamp)
        session = begin(store, lib, "price-objection", seed=seed, plan=plan)
        session.recommend = recommender(lib, "price-objection")
        play(session, lines)
        asyncio.run(session.end())
        done.append(session)
    with_rep(store)
    return done


async def settle(pilot) -> None:  # noqa: ANN001
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


# ---- home
@pytest.mark.parametrize("size", SIZES)
def test_home(snap_compare, store, lib, clock, size) -> None:
    two_finished(store, lib, clock)
    assert snap_compare(app_for(store, lib), terminal_size=size, run_before=settle)


DRILL = """\
kind: drill
id: this-week-price
title: Price week
in_order: true
steps:
  - {scenario: price-objection, difficulty: medium, times: 3}
  - {scenario: price-objection, difficulty: hard, times: 1}
  - {rubric: objection-handling, passes: 2}
"""


@pytest.mark.parametrize("size", SIZES)
def test_home_with_a_drill_plan(snap_compare, store, clock, size, tmp_path) -> None:
    """Home with the rep's drill plan under the status: two of the three medium calls done."""
    (tmp_path / "drills").mkdir()
    (tmp_path / "drills" / "this-week-price.yaml").write_text(DRILL, encoding="utf-8")
    lib = library.load([library.shipped_folder(), tmp_path])
    two_finished(store, lib, clock)
    assert snap_compare(app_for(store, lib), terminal_size=size, run_before=settle)


# ---- who is practising
@pytest.mark.parametrize("size", SIZES)
def test_rep_dialog_first_start(snap_compare, store, lib, clock, size) -> None:
    async def run_before(pilot) -> None:  # noqa: ANN001
        await settle(pilot)
        await pilot.press("A", "n", "a")

    assert snap_compare(app_for(store, lib), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_rep_dialog_switch(snap_compare, store, lib, clock, size) -> None:
    for name in ("Ana", "Bruno", "Chidi"):
        store.rep(name)
    with_rep(store)

    async def run_before(pilot) -> None:  # noqa: ANN001
        await settle(pilot)
        await pilot.press("f2")

    assert snap_compare(app_for(store, lib), terminal_size=size, run_before=run_before)


# ---- plan
@pytest.mark.parametrize("size", SIZES)
def test_plan(snap_compare, store, lib, clock, size) -> None:
    with_rep(store)

    async def run_before(pilot) -> None:  # noqa: ANN001
        await settle(pilot)
        pilot.app.start_practice("price-objection", "medium")
        await settle(pilot)

    assert snap_compare(app_for(store, lib), terminal_size=size, run_before=run_before)


# ---- practice
@pytest.mark.parametrize("size", SIZES)
def test_practice_mid_call(snap_compare, store, lib, clock, size) -> None:
    session = play(begin(store, lib, "price-objection", seed=7, plan=PLAN), PRICE_CALL[:2])
    assert snap_compare(app_for(store, lib, session), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_practice_ghost(snap_compare, store, lib, clock, size) -> None:
    session = play(begin(store, lib, "the-ghost", seed=3),
                   ["Hi Renee, just checking in to see if you had a chance to look at the proposal?"])
    assert snap_compare(app_for(store, lib, session), terminal_size=size, run_before=settle)


# ---- debrief
@pytest.mark.parametrize("size", SIZES)
def test_debrief(snap_compare, store, lib, clock, size) -> None:
    from roleplay.app.screens.debrief import DebriefScreen

    latest = two_finished(store, lib, clock)[-1]

    async def run_before(pilot) -> None:  # noqa: ANN001
        await settle(pilot)
        pilot.app.push_screen(DebriefScreen(latest.id))
        await settle(pilot)

    assert snap_compare(app_for(store, lib), terminal_size=size, run_before=run_before)


# ---- progress
@pytest.mark.parametrize("size", SIZES)
def test_progress(snap_compare, store, lib, clock, size) -> None:
    two_finished(store, lib, clock)

    async def run_before(pilot) -> None:  # noqa: ANN001
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)

    assert snap_compare(app_for(store, lib), terminal_size=size, run_before=run_before)


# ---- help
@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, store, lib, clock, size) -> None:
    with_rep(store)

    async def run_before(pilot) -> None:  # noqa: ANN001
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(app_for(store, lib), terminal_size=size, run_before=run_before)


# ---- resume
@pytest.mark.parametrize("size", SIZES)
def test_resume_dialog(snap_compare, store, lib, clock, size) -> None:
    play(begin(store, lib, "price-objection", seed=2), PRICE_CALL[:1])
    with_rep(store)
    assert snap_compare(app_for(store, lib), terminal_size=size, run_before=settle)


# ---- practising together
def together(store: Store, lib: library.Library, reps: list[str], *, mode: str = "solo", buyer: str | None = None,
             team_id: str | None = None) -> Session:
    from roleplay.practice import open_session

    return open_session(Settings(offline=True), store, lib, "price-objection", "medium", reps, mode=mode,
                        buyer_player=buyer, seed=7, team_id=team_id)


@pytest.mark.parametrize("size", SIZES)
def test_room_dialog(snap_compare, store, lib, clock, size) -> None:
    for name in ("Ana", "Ben"):
        store.rep(name)
    with_rep(store)

    async def run_before(pilot) -> None:  # noqa: ANN001
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)

    assert snap_compare(app_for(store, lib), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_practice_tag_team(snap_compare, store, lib, clock, size) -> None:
    session = play(together(store, lib, ["Ana", "Ben"], mode="tag-team"), PRICE_CALL[:2])
    assert snap_compare(app_for(store, lib, session), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_practice_colleague_buyer(snap_compare, store, lib, clock, size) -> None:
    session = play(together(store, lib, ["Ana"], buyer="Carl"), PRICE_CALL[1:2])
    assert session.awaiting_reply
    assert snap_compare(app_for(store, lib, session), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_team_board(snap_compare, store, lib, clock, size) -> None:
    from roleplay.app.screens.team import TeamBoardScreen

    first = play(together(store, lib, ["Ana", "Ben"], mode="hot-seat"), PRICE_CALL)
    asyncio.run(first.end())
    second = play(together(store, lib, ["Ben"], mode="hot-seat", team_id=first.team_id), WEAK_CALL)
    asyncio.run(second.end())
    with_rep(store)

    async def run_before(pilot) -> None:  # noqa: ANN001
        await settle(pilot)
        pilot.app.push_screen(TeamBoardScreen(first.team_id))
        await settle(pilot)

    assert snap_compare(app_for(store, lib), terminal_size=size, run_before=run_before)


# ---- the preview of a scenario's buyer (a strong and a weak scripted call), from home
@pytest.mark.parametrize("size", SIZES)
def test_preview(snap_compare, store, lib, clock, size) -> None:
    with_rep(store)

    async def run_before(pilot) -> None:  # noqa: ANN001
        await settle(pilot)
        table = pilot.app.screen.query_one("#scenarios")
        table.move_cursor(row=table.get_row_index("price-objection"))
        await pilot.press("f7")
        await settle(pilot)
        await pilot.press("d")  # medium -> hard
        await settle(pilot)

    assert snap_compare(app_for(store, lib), terminal_size=size, run_before=run_before)
