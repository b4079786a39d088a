"""The app with a slow model (issue 8, item 4): the rep is told before the first-token timeout
that the model is slow, and can keep typing while it waits."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from roleplay import library
from roleplay.app.app import RoleplayApp
from roleplay.app.screens.practice import PracticeScreen, SayBox
from roleplay.engine.buyer import LLMBuyer
from roleplay.engine.judge import LLMJudge
from roleplay.engine.session import Session, Setup
from roleplay.llm.client import LLM
from roleplay.settings import Settings
from roleplay.store import Store

from . import fakeprovider as fp
from .provider import late, serve

OPENER = "When you say it's double, what are you comparing it to?"


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch):
    yield from serve(monkeypatch, "sk-test-slow")


async def test_the_app_says_the_model_is_slow_and_the_rep_keeps_typing(tmp_path: Path, provider) -> None:
    lib = library.load([library.shipped_folder()])
    settings = Settings(model=fp.MODEL, api_base=fp.BASE, retries=0, first_token_timeout=1.6,
                        total_timeout=5, turn_deadline=5)
    llm = LLM(settings, backoff_base=0.01, backoff_cap=0.02)
    store = Store(tmp_path / "r.db")
    setup = Setup.from_library(lib, "price-objection", "medium")
    session = Session.begin(setup, store, store.rep("Ana"), buyer=LLMBuyer(llm), judge=LLMJudge(llm),
                            seed=1, llm=llm)
    provider.buyer.append(late(fp.stream_response(["Compared ", "to Fleetwise."]), 1.4))
    app = RoleplayApp(settings, store=store, lib=lib, session=session)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PracticeScreen)
        say = screen.query_one("#say", SayBox)
        say.focus()
        await pilot.pause()
        say.insert(OPENER)
        await pilot.press("enter")
        await asyncio.sleep(1.0)  # the notice comes at 0.8 s (half the first-token timeout)
        await pilot.pause()
        said = [n.message for n in app._notifications]
        assert any("slow to answer" in m and "keep typing" in m for m in said), said
        await pilot.press("W", "h", "o")  # typing while the buyer has not answered
        await pilot.pause()
        assert "Who" in say.text
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        assert [t.text for t in store.turns(session.id)][-1] == "Compared to Fleetwise."
    store.close()
