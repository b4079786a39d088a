"""What the rep is told when the model or its judge fails, or is gone (issue 8, item 7).

Each failed before its fix: plain mode said "The buyer's reply could not be had."; a judge that
was configured but failed was reported as "needs a model judge"; a model session resumed with no
model went on offline without a word.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from roleplay.engine.buyer import LLMBuyer, OfflineBuyer
from roleplay.engine.judge import LLMJudge, OfflineJudge
from roleplay.engine.session import Notice, Session, Setup
from roleplay.llm.client import LLM
from roleplay.plain import NO_REPLY, run
from roleplay.settings import Settings
from roleplay.store import Store

from . import fakeprovider as fp
from .provider import error, serve

LINE = "When you say it's double, what are you comparing it to?"


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch):
    yield from serve(monkeypatch, "sk-test-wording")


def model_session(lib, tmp_path: Path) -> Session:
    llm = LLM(Settings(model=fp.MODEL, api_base=fp.BASE, retries=0, first_token_timeout=2,
                       total_timeout=5, turn_deadline=5), backoff_base=0.01, backoff_cap=0.02)
    store = Store(tmp_path / "roleplay.db")
    setup = Setup.from_library(lib, "price-objection", "medium")
    return Session.begin(setup, store, store.rep("Ana"), buyer=LLMBuyer(llm), judge=LLMJudge(llm),
                         seed=1, llm=llm)


async def test_plain_says_in_plain_words_that_the_reply_did_not_come_and_what_to_do(
        lib, tmp_path, provider) -> None:
    provider.buyer += [error(500)] * 10
    session = model_session(lib, tmp_path)
    out = io.StringIO()
    await run(session, "model", out=out, inp=io.StringIO(f"{LINE}\n/end\n"))
    text = out.getvalue()
    assert "could not be had" not in text
    assert NO_REPLY in text and "Press Enter to ask the model again" in text and "/end" in text
    session.store.close()


async def test_a_judge_that_was_configured_but_failed_says_so_and_why(lib, tmp_path, provider) -> None:
    provider.judge += [error(401)] * 10
    session = model_session(lib, tmp_path)
    out = io.StringIO()
    await run(session, "model", out=out, inp=io.StringIO(f"{LINE}\n/end\n"))
    text = out.getvalue()
    assert "needs a model judge" not in text, text
    assert "the judge failed: got no answer from its model: The model provider refused the API key" in text
    card = session.scorecard
    ungraded = [c for c in card.criteria if c.score is None and c.applied]
    assert ungraded and all(c.ungraded_why.startswith("the judge failed") for c in ungraded)
    summary = "\n".join(card.summary_lines())
    assert "a model judge would add" not in summary and "the judge failed on these" in summary, summary
    session.store.close()


def test_offline_ungraded_still_says_it_needs_a_model_judge(lib, tmp_path) -> None:
    store = Store(tmp_path / "roleplay.db")
    setup = Setup.from_library(lib, "price-objection", "medium")
    session = Session.begin(setup, store, store.rep("Ana"), seed=1)
    import asyncio

    async def go() -> None:
        async for _ in session.say(LINE):
            pass
        await session.end()

    asyncio.run(go())
    lines = "\n".join(session.scorecard.summary_lines())
    assert "ungraded (needs a model judge)" in lines and "judge failed" not in lines
    store.close()


async def test_a_model_session_resumed_without_a_model_says_it_goes_on_offline(lib, tmp_path, provider) -> None:
    session = model_session(lib, tmp_path)
    async for _ in session.say(LINE):
        pass
    again = Session.resume(session.store, session.id, session.setup, buyer=OfflineBuyer(),
                           judge=OfflineJudge(), llm=None)
    events = [e async for e in again.say("What does a spoiled load cost you?")]
    first = events[0]
    assert isinstance(first, Notice)
    assert first.message.startswith(f"This session was started with {fp.MODEL}; no model is configured now, "
                                    "so it goes on offline")
    assert not [e for e in events[1:] if isinstance(e, Notice) and "started with" in e.message], "said once"
    session.store.close()


async def test_the_export_of_a_model_session_resumed_offline_names_both(lib, tmp_path, provider) -> None:
    """Before: the export still said the model played the buyer and graded the whole call."""
    from roleplay.practice import export_json, export_markdown

    session = model_session(lib, tmp_path)
    async for _ in session.say(LINE):
        pass
    again = Session.resume(session.store, session.id, session.setup, buyer=OfflineBuyer(),
                           judge=OfflineJudge(), llm=None)
    async for _ in again.say("What does a spoiled load cost you?"):
        pass
    row = session.store.session(session.id)
    assert row.buyer == f"model: {fp.MODEL}, then {OfflineBuyer.label} from rep turn 2"
    assert row.judge == f"model judge: {fp.MODEL}, then {OfflineJudge.label} from rep turn 2"
    md = export_markdown(session.store, row)
    assert f"- Buyer: model: {fp.MODEL}, then offline practice" in md
    assert export_json(session.store, row)["session"]["judge"] == row.judge
    # resumed again offline: nothing more to add
    Session.resume(session.store, session.id, session.setup, buyer=OfflineBuyer(), judge=OfflineJudge())
    assert session.store.session(session.id).buyer == row.buyer
    session.store.close()


async def test_plain_says_it_too_when_resumed_offline(lib, tmp_path, provider) -> None:
    session = model_session(lib, tmp_path)
    async for _ in session.say(LINE):
        pass
    again = Session.resume(session.store, session.id, session.setup, buyer=OfflineBuyer(),
                           judge=OfflineJudge(), llm=None)
    out = io.StringIO()
    await run(again, "offline", out=out, inp=io.StringIO(""))
    assert f"This session was started with {fp.MODEL}" in out.getvalue()
    session.store.close()


async def test_plain_imports_litellm_in_the_background_as_soon_as_a_model_is_configured(
        lib, tmp_path, monkeypatch) -> None:
    import threading

    import roleplay.llm.client as client

    warmed: list[str] = []
    monkeypatch.setattr(client, "warm", lambda: warmed.append(threading.current_thread().name))
    session = model_session(lib, tmp_path)
    await run(session, "model", out=io.StringIO(), inp=io.StringIO(""))  # the rep has not typed yet
    for t in threading.enumerate():
        if t.name == "roleplay-warm-litellm":
            t.join(2)
    assert warmed == ["roleplay-warm-litellm"], "off the main thread, before the first turn"
    session.store.close()

    offline = Store(tmp_path / "offline.db")
    setup = Setup.from_library(lib, "price-objection", "medium")
    quiet = Session.begin(setup, offline, offline.rep("Ana"), seed=1)
    await run(quiet, "offline", out=io.StringIO(), inp=io.StringIO(""))
    assert warmed == ["roleplay-warm-litellm"], "nothing to import offline"
    offline.close()


def test_exports_say_unknown_where_the_provider_sent_no_count_or_no_price(lib, tmp_path) -> None:
    import dataclasses
    import json

    from roleplay.practice import export_json, export_markdown

    store = Store(tmp_path / "roleplay.db")
    setup = Setup.from_library(lib, "price-objection", "medium")
    session = Session.begin(setup, store, store.rep("Ana"), seed=1)
    row = store.session(session.id)
    assert "Model use" not in export_markdown(store, row), "offline: nothing to say"
    unknown = dataclasses.replace(row, prompt_tokens=None, completion_tokens=None, cost=None)
    md = export_markdown(store, unknown)  # before: a TypeError on the cost, or nothing said at all
    assert "Model use: tokens unknown (the provider did not send its counts), cost unknown" in md
    assert json.loads(json.dumps(export_json(store, unknown)))["session"]["cost"] is None
    priced = dataclasses.replace(row, prompt_tokens=1200, completion_tokens=300, cost=None)
    assert "Model use: 1,200 prompt + 300 completion tokens, cost unknown" in export_markdown(store, priced)
    store.close()


async def test_plain_asks_before_trying_a_failed_reply_again(lib, tmp_path, provider) -> None:
    provider.buyer += [error(500)] * 10
    session = model_session(lib, tmp_path)
    out = io.StringIO()
    await run(session, "model", out=out, inp=io.StringIO(f"{LINE}\n/end\n"))
    assert len(provider.buyer_calls) == 1, "told 'you can ask again', then asked again without the rep"
    session.store.close()
