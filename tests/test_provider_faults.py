"""Sessions against a fake provider through respx: streaming, and every fault the issue lists.

In each fault the session goes on, nothing saved is lost, and no grade is invented.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from roleplay.engine.buyer import LLMBuyer
from roleplay.engine.judge import LLMJudge
from roleplay.engine.session import (
    BuyerPiece,
    BuyerTurnSaved,
    JudgeGrades,
    Notice,
    RepTurnSaved,
    ReplyFailed,
    Session,
    Setup,
)
from roleplay.llm.client import LLM, litellm
from roleplay.settings import Settings
from roleplay.store import Store

from . import fakeprovider as fp
from .provider import cut_stream, empty_stream, error, serve

SECRET = "sk-test-secret-do-not-store-4242"
LINE = "When you say it's double, what are you comparing it to?"


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch):
    yield from serve(monkeypatch, SECRET)


@pytest.fixture
def session(lib, tmp_path: Path, provider) -> Session:
    settings = Settings(model=fp.MODEL, api_base=fp.BASE, retries=3,
                        first_token_timeout=5, total_timeout=10)
    llm = LLM(settings, backoff_base=0.01, backoff_cap=0.05)
    store = Store(tmp_path / "roleplay.db")
    setup = Setup.from_library(lib, "price-objection", "medium")
    s = Session.begin(setup, store, store.rep("Ana"), buyer=LLMBuyer(llm), judge=LLMJudge(llm),
                      seed=1, llm=llm)
    yield s
    store.close()


async def say(session: Session, text: str = LINE) -> list:
    return [e async for e in session.say(text)]


def of(events: list, kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]


def judge_grades(events: list) -> list:
    return [g for e in of(events, JudgeGrades) for g in e.grades]


async def test_a_streamed_reply_arrives_in_pieces_and_is_saved(session, provider) -> None:
    provider.buyer.append(fp.stream_response(["Compared ", "to Fleetwise, ", "obviously."]))
    events = await say(session)
    assert isinstance(events[0], RepTurnSaved)
    assert [e.text for e in of(events, BuyerPiece)] == ["Compared ", "to Fleetwise, ", "obviously."]
    saved = of(events, BuyerTurnSaved)[0].turn
    assert saved.text == "Compared to Fleetwise, obviously."
    grades = judge_grades(events)
    assert grades and all(g.source == "judge" and g.verdict == "pass" for g in grades)
    assert all(e in LINE for g in grades for e in g.evidence)
    stored = session.store.turns(session.id)
    assert stored[-1].text == saved.text
    assert any(g.source == "judge" for g in stored[-2].grades)
    row = session.store.session(session.id)
    assert row.prompt_tokens > 0 and row.completion_tokens > 0
    # the buyer prompt carries the state, and the rep's words go as the user's message
    body = json.loads(provider.buyer_calls[-1].content)
    assert body["messages"][0]["role"] == "system" and "Dana Whitfield" in body["messages"][0]["content"]
    assert body["messages"][-1] == {"role": "user", "content": LINE}
    assert body["temperature"] == 0.8
    assert json.loads(provider.judge_calls[-1].content)["temperature"] == 0


async def test_rate_limit_honours_retry_after_and_says_so(session, provider) -> None:
    provider.buyer.append(error(429, retry_after="0.3"))
    started = time.monotonic()
    events = await say(session)
    assert time.monotonic() - started >= 0.3
    assert any("rate limit" in n.message for n in of(events, Notice))
    assert of(events, BuyerTurnSaved)


@pytest.mark.parametrize("fault", [
    error(500), error(503), error(502),
    httpx.ConnectTimeout("connect timed out"), httpx.ReadTimeout("read timed out"),
    httpx.ConnectError("connection refused"),
], ids=["500", "503", "502", "connect-timeout", "read-timeout", "dropped-connection"])
async def test_server_errors_and_timeouts_are_retried(session, provider, fault) -> None:
    provider.buyer.append(fault)
    provider.judge.append(fault)
    events = await say(session)
    assert of(events, BuyerTurnSaved), events
    assert of(events, Notice)
    assert len(provider.buyer_calls) == 2
    assert all(g.verdict == "pass" for g in judge_grades(events))


async def test_a_provider_that_stays_down_loses_nothing_and_invents_nothing(session, provider) -> None:
    provider.buyer += [error(500)] * 4
    provider.judge += [error(500)] * 4
    events = await say(session)
    failed = of(events, ReplyFailed)
    assert failed and "Nothing was lost" in failed[0].message
    assert not of(events, BuyerTurnSaved)
    grades = judge_grades(events)
    assert grades and all(g.verdict == "ungraded" and g.score is None for g in grades)
    stored = session.store.turns(session.id)
    assert stored[-1].speaker == "rep" and stored[-1].text == LINE
    assert session.awaiting_reply
    # the provider is back: the same turn gets its reply, and the call goes on
    provider.buyer.append(fp.stream_response(["Fine, ", "ask."]))
    events = [e async for e in session.retry_reply()]
    assert of(events, BuyerTurnSaved)[0].turn.text == "Fine, ask."
    events = await say(session, "What does a spoiled load cost you?")
    assert of(events, BuyerTurnSaved)


async def test_a_stream_cut_mid_reply_is_kept_marked_and_never_replayed(session, provider) -> None:
    provider.buyer.append(cut_stream(["Look, ", "the thing is"]))
    events = await say(session)
    failed = of(events, ReplyFailed)
    assert failed and failed[0].partial == "Look, the thing is"
    assert len(provider.buyer_calls) == 1, "no retry once words were shown"
    stored = session.store.turns(session.id)
    assert stored[-1].interrupted and stored[-1].text == "Look, the thing is"
    provider.buyer.append(fp.stream_response(["Compared to ", "Fleetwise."]))
    events = [e async for e in session.retry_reply()]
    assert [e.text for e in of(events, BuyerPiece)] == ["Compared to ", "Fleetwise."]
    stored = session.store.turns(session.id)
    assert stored[-1].text == "Compared to Fleetwise." and not stored[-1].interrupted
    assert [t.speaker for t in stored] == ["buyer", "rep", "buyer"]


async def test_an_empty_reply_is_retried_then_reported(session, provider) -> None:
    provider.buyer.append(empty_stream())
    events = await say(session)
    assert of(events, BuyerTurnSaved) and len(provider.buyer_calls) == 2
    provider.buyer += [empty_stream()] * 4
    events = await say(session, "What does a spoiled load cost you?")
    assert of(events, ReplyFailed) and session.awaiting_reply


async def test_malformed_judge_json_is_retried_once(session, provider) -> None:
    provider.judge.append(fp.json_response("Sure! Here are the grades: pass, pass"))
    events = await say(session)
    assert len(provider.judge_calls) == 2
    assert all(g.verdict == "pass" for g in judge_grades(events))


async def test_malformed_judge_json_twice_is_ungraded_not_invented(session, provider) -> None:
    provider.judge += [fp.json_response("{not json"), fp.json_response('{"grades": "all good"}')]
    events = await say(session)
    grades = judge_grades(events)
    assert grades and all(g.verdict == "ungraded" and g.score is None for g in grades)
    # the instant signal grades still stand, and the turn and reply are saved
    turn = session.store.turns(session.id)[-2]
    assert any(g.source == "signal" and g.verdict in ("pass", "fail") for g in turn.grades)
    assert of(events, BuyerTurnSaved)


def quoting(words: str):
    def answer(request: httpx.Request) -> httpx.Response:
        data = __import__("tests.provider", fromlist=["judge_request"]).judge_request(request)
        return fp.json_response(json.dumps({"grades": [
            {"criterion": c["id"], "evidence": [words], "reasoning": "Strong.",
             "checks": [True] * len(c["checks"]) if "checks" in c else None,
             "level": 5 if "levels" in c else None, "verdict": "pass"}
            for c in data["criteria"]]}))
    return answer


async def test_a_judge_quoting_words_the_rep_never_said_is_ungraded(session, provider) -> None:
    provider.judge += [quoting("I guarantee a 300% return"), quoting("I guarantee a 300% return")]
    events = await say(session)
    grades = judge_grades(events)
    assert grades and all(g.verdict == "ungraded" for g in grades)
    assert "never said" in grades[0].reason
    retry = json.loads(provider.judge_calls[1].content)["messages"][-1]["content"]
    assert "never said" in retry


async def test_a_judge_that_corrects_itself_on_retry_counts(session, provider) -> None:
    provider.judge.append(quoting("I guarantee a 300% return"))
    events = await say(session)
    assert all(g.verdict == "pass" for g in judge_grades(events))


async def test_no_api_key_is_written_anywhere(session, provider, tmp_path) -> None:
    from roleplay.practice import export_json, export_markdown

    await say(session)
    await say(session, "What does a spoiled load cost you?")
    await session.end()
    row = session.store.session(session.id)
    exported = json.dumps(export_json(session.store, row)) + export_markdown(session.store, row)
    assert SECRET not in exported
    session.store.db.execute("PRAGMA wal_checkpoint(FULL)")
    for path in tmp_path.glob("roleplay.db*"):
        assert SECRET.encode() not in path.read_bytes(), path


async def test_a_missing_api_key_is_said_plainly_and_not_retried(session, provider, monkeypatch) -> None:
    from roleplay.llm.client import ProviderError, classify

    err = classify(litellm().InternalServerError(
        message="OpenAIException - Missing credentials. Please pass an `api_key`, or set the "
                "`OPENAI_API_KEY` environment variable.", llm_provider="openai", model="gpt-4o-mini"))
    assert isinstance(err, ProviderError) and err.kind == "auth" and not err.retryable
    assert "OPENAI_API_KEY" in err.message


# ---- found in review: each of these failed before its fix


async def test_a_crash_before_the_reply_still_gets_the_turn_judged(session, provider) -> None:
    from roleplay.engine.session import Session as S

    gen = session.say(LINE)
    assert isinstance(await gen.__anext__(), RepTurnSaved)
    await gen.aclose()  # the process dies here: the rep turn is committed, nothing else
    again = S.resume(session.store, session.id, session.setup, buyer=session.buyer,
                     judge=session.judge, llm=session.llm)
    assert again.awaiting_reply
    events = [e async for e in again.retry_reply()]
    assert of(events, BuyerTurnSaved)
    rep = [t for t in session.store.turns(session.id) if t.speaker == "rep"][0]
    assert any(g.source == "judge" for g in rep.grades)


async def test_resuming_keeps_counting_tokens_from_where_the_session_was(session, provider) -> None:
    from roleplay.engine.session import Session as S

    await say(session)
    before = session.store.session(session.id)
    fresh = LLM(session.llm.settings, backoff_base=0.01)
    again = S.resume(session.store, session.id, session.setup, buyer=LLMBuyer(fresh),
                     judge=LLMJudge(fresh), llm=fresh)
    await say(again, "What does a spoiled load cost you?")
    after = session.store.session(session.id)
    assert after.prompt_tokens > before.prompt_tokens and after.completion_tokens > before.completion_tokens


async def test_a_cut_reply_can_still_be_asked_for_after_a_resume(session, provider) -> None:
    from roleplay.engine.session import Session as S

    provider.buyer.append(cut_stream(["Look, ", "the thing is"]))
    await say(session)
    again = S.resume(session.store, session.id, session.setup, buyer=session.buyer,
                     judge=session.judge, llm=session.llm)
    assert again.awaiting_reply
    events = [e async for e in again.retry_reply()]
    assert of(events, BuyerTurnSaved)[0].turn.text == "Okay. Go on."
    assert [t.speaker for t in session.store.turns(session.id)] == ["buyer", "rep", "buyer"]


async def test_retry_notices_go_back_to_their_owner_after_a_turn(session, provider) -> None:
    heard: list[str] = []
    session.llm.notice = heard.append
    await say(session)
    assert session.llm.notice == heard.append


def test_a_call_level_quote_cannot_be_stitched_from_two_turns() -> None:
    from roleplay.engine.judge import JudgedCriterion, check_answer
    from roleplay.models import Criterion

    c = Criterion.model_validate({
        "id": "x", "name": "X", "description": "d", "weight": 1, "applies": "end-of-call",
        "checks": ["a"], "examples": {"pass": ["p"], "fail": ["f"]}, "tip": "t"})
    turns = ["What does it cost you?", "When could we meet on Thursday?"]
    stitched = JudgedCriterion(criterion="x", evidence=["cost you? When could we meet"],
                               checks=[True], verdict="pass")
    assert check_answer(stitched, c, turns)[0] is None
    honest = JudgedCriterion(criterion="x", evidence=["When could we meet"], checks=[True], verdict="pass")
    assert check_answer(honest, c, turns)[0] is not None


async def test_keep_alives_alone_never_count_as_an_answer(monkeypatch) -> None:
    import asyncio

    from roleplay.llm.client import ProviderError

    class Stream:
        def __aiter__(self):
            return self

        async def __anext__(self):  # an empty chunk every 0.1 s, forever
            await asyncio.sleep(0.1)
            return type("C", (), {"choices": [type("X", (), {"delta": type("D", (), {"content": ""})()})()],
                                  "usage": None})()

    async def fake(**kw):
        return Stream()

    monkeypatch.setattr(litellm(), "acompletion", fake)
    llm = LLM(Settings(model="openai/x", retries=0, first_token_timeout=0.5, total_timeout=5))
    started = time.monotonic()
    with pytest.raises(ProviderError, match="too long"):
        async for _ in llm.stream([{"role": "user", "content": "hi"}]):
            pass
    assert time.monotonic() - started < 2


# ---- issue 8: a deadline per turn, "cannot reach", a reply cap, judging never silently missing


def quick(lib, tmp_path: Path, scenario: str = "price-objection", **settings) -> Session:
    base = dict(model=fp.MODEL, api_base=fp.BASE, retries=4, first_token_timeout=1.0,
                total_timeout=5, turn_deadline=1.5)
    llm = LLM(Settings(**{**base, **settings}), backoff_base=0.05, backoff_cap=0.2)
    store = Store(tmp_path / "quick.db")
    setup = Setup.from_library(lib, scenario, "medium")
    return Session.begin(setup, store, store.rep("Ana"), buyer=LLMBuyer(llm), judge=LLMJudge(llm),
                         seed=1, llm=llm)


async def test_a_provider_that_never_answers_keeps_the_rep_no_longer_than_the_turn_deadline(
        lib, tmp_path, provider) -> None:
    from .provider import hang

    provider.buyer += [hang] * 10
    provider.judge += [hang] * 10
    s = quick(lib, tmp_path)
    started = time.monotonic()
    events = await say(s)
    took = time.monotonic() - started
    assert took < 1.5 + 0.8, took  # before: 5 x 30 s for the reply, then 5 x 120 s for the judge
    failed = of(events, ReplyFailed)
    assert failed and "1.5 s" in failed[0].message and "ask for the reply again" in failed[0].message
    assert s.awaiting_reply
    grades = judge_grades(events)
    assert grades and all(g.verdict == "ungraded" and g.score is None for g in grades)
    assert all("1.5 s" in g.reason for g in grades), grades[0].reason
    rep = [t for t in s.store.turns(s.id) if t.speaker == "rep"][0]
    assert any(g.source == "judge" and g.verdict == "ungraded" for g in rep.grades)
    assert s.llm.deadline is None, "the deadline is the turn's, not the client's for good"
    s.store.close()


async def test_retries_stop_at_the_deadline_not_after_it(lib, tmp_path, provider) -> None:
    provider.buyer += [error(503)] * 20
    s = quick(lib, tmp_path, retries=10, turn_deadline=1.0)
    s.llm.backoff_base, s.llm.backoff_cap = 0.3, 0.3
    started = time.monotonic()
    events = await say(s)
    assert time.monotonic() - started < 1.0 + 0.5
    assert of(events, ReplyFailed)
    assert len(provider.buyer_calls) < 11
    s.store.close()


async def test_the_rep_is_told_the_model_is_slow_before_the_first_token_timeout(
        lib, tmp_path, provider) -> None:
    from .provider import late

    provider.buyer.append(late(fp.stream_response(["Fine. ", "Ask."]), 1.3))
    s = quick(lib, tmp_path, first_token_timeout=2.0, turn_deadline=5)
    started = time.monotonic()
    seen: list[tuple[float, object]] = []
    async for e in s.say(LINE):
        seen.append((time.monotonic() - started, e))
    slow = [(t, e) for t, e in seen if isinstance(e, Notice) and "slow" in e.message]
    assert slow, [e for _, e in seen]
    at, notice = slow[0]
    assert at < 2.0 and "keep typing" in notice.message
    first_piece = next(t for t, e in seen if isinstance(e, BuyerPiece))
    assert at < first_piece
    assert of([e for _, e in seen], BuyerTurnSaved)
    s.store.close()


def refused_port() -> int:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    return port


@pytest.mark.parametrize("fault", [
    httpx.ConnectError("[Errno 111] Connection refused"),
    httpx.ConnectError("[Errno -2] Name or service not known"),
], ids=["refused", "dns"])
async def test_an_unreachable_model_says_cannot_reach_not_server_error(lib, tmp_path, provider, fault) -> None:
    provider.buyer += [fault] * 10
    provider.judge += [fault] * 10
    s = quick(lib, tmp_path, retries=1, turn_deadline=5)
    events = await say(s)
    failed = of(events, ReplyFailed)
    assert failed and failed[0].message.startswith(f"Cannot reach the model at {fp.BASE}"), failed
    assert "server error" not in failed[0].message
    assert "refused" in failed[0].message if "111" in str(fault) else "does not resolve" in failed[0].message
    assert all("Cannot reach" in g.reason for g in judge_grades(events))
    s.store.close()


async def test_a_real_refused_connection_says_cannot_reach(tmp_path, monkeypatch) -> None:
    from roleplay.llm.client import ProviderError

    monkeypatch.setenv("OPENAI_API_KEY", SECRET)

    litellm().in_memory_llm_clients_cache.flush_cache()
    base = f"http://127.0.0.1:{refused_port()}/v1"
    llm = LLM(Settings(model=fp.MODEL, api_base=base, retries=0, turn_deadline=5), backoff_base=0.01)
    with pytest.raises(ProviderError) as caught:
        async for _ in llm.stream([{"role": "user", "content": "hi"}]):
            pass
    assert caught.value.message.startswith(f"Cannot reach the model at {base}"), caught.value.message
    assert caught.value.kind == "unreachable"


async def test_a_one_megabyte_reply_is_capped_and_only_the_cap_is_kept_and_resent(session, provider) -> None:
    provider.buyer.append(fp.stream_response(["word " * 200] * 1024))  # 1,024,000 characters
    events = await say(session)
    shown = "".join(e.text for e in of(events, BuyerPiece))
    assert len(shown) == 4000
    saved = of(events, BuyerTurnSaved)[0].turn
    assert len(saved.text) <= 4000 and shown.startswith(saved.text)
    assert any("4,000 characters" in n.message and "dropped" in n.message for n in of(events, Notice))
    assert len(session.store.turns(session.id)[-1].text) <= 4000
    await say(session, "What does a spoiled load cost you?")
    body = json.loads(provider.buyer_calls[-1].content)
    assert max(len(m["content"]) for m in body["messages"] if m["role"] == "assistant") <= 4000


async def test_a_turn_whose_judge_was_dropped_is_judged_on_resume(session, provider) -> None:
    from .provider import hang

    provider.judge.append(hang)
    events = []
    gen = session.say(LINE)
    async for e in gen:
        events.append(e)
        if isinstance(e, BuyerTurnSaved):
            break
    await gen.aclose()  # the rep paused (or the process died) while the judge was still grading
    rep = [t for t in session.store.turns(session.id) if t.speaker == "rep"][0]
    assert not any(g.source == "judge" for g in rep.grades)
    again = Session.resume(session.store, session.id, session.setup, buyer=session.buyer,
                           judge=session.judge, llm=session.llm)
    assert not again.awaiting_reply and [t.index for t in again.unjudged()] == [rep.index]
    events = [e async for e in again.rejudge()]
    assert of(events, JudgeGrades)
    rep = [t for t in session.store.turns(session.id) if t.speaker == "rep"][0]
    assert any(g.source == "judge" and g.verdict == "pass" for g in rep.grades)
    assert not again.unjudged()


async def test_a_dropped_judge_that_cannot_be_had_on_resume_is_ungraded_with_why(lib, tmp_path, provider) -> None:
    from .provider import hang

    s = quick(lib, tmp_path, retries=0)
    provider.judge.append(hang)
    gen = s.say(LINE)
    async for e in gen:
        if isinstance(e, BuyerTurnSaved):
            break
    await gen.aclose()
    provider.judge += [error(500)] * 5
    again = Session.resume(s.store, s.id, s.setup, buyer=s.buyer, judge=s.judge, llm=s.llm)
    await again.end()  # even without an explicit rejudge, the scorecard never misses the turn
    rep = [t for t in s.store.turns(s.id) if t.speaker == "rep"][0]
    judged = [g for g in rep.grades if g.source == "judge"]
    assert judged and all(g.verdict == "ungraded" and g.reason for g in judged)
    assert "the judge got no answer from its model" in judged[0].reason
    s.store.close()


async def test_a_paused_turn_is_judged_with_the_next_one(session, provider) -> None:
    from .provider import hang

    provider.judge.append(hang)
    gen = session.say(LINE)
    async for e in gen:
        if isinstance(e, BuyerTurnSaved):
            break
    await gen.aclose()
    await say(session, "What does a spoiled load cost you?")
    reps = [t for t in session.store.turns(session.id) if t.speaker == "rep"]
    assert all(any(g.source == "judge" for g in t.grades) for t in reps)


async def test_token_counts_a_provider_never_sent_are_unknown_not_invented(monkeypatch) -> None:
    import asyncio

    def chunk(text):
        delta = type("D", (), {"content": text})()
        return type("C", (), {"choices": [type("X", (), {"delta": delta})()], "usage": None})()

    class Stream:  # words, and no usage chunk at all
        def __init__(self):
            self.left = ["No ", "count ", "here."]

        def __aiter__(self):
            return self

        async def __anext__(self):
            await asyncio.sleep(0)
            if not self.left:
                raise StopAsyncIteration
            return chunk(self.left.pop(0))

    async def fake(**kw):
        return Stream()

    monkeypatch.setattr(litellm(), "acompletion", fake)
    llm = LLM(Settings(model="openai/x", retries=0, first_token_timeout=1, total_timeout=5))
    assert "".join([p async for p in llm.stream([{"role": "user", "content": "hi"}])]) == "No count here."
    # before: completion_tokens = max(1, len(shown) // 4), stored as a real count
    assert llm.usage.completion_tokens is None and llm.usage.prompt_tokens is None
    assert llm.usage.cost is None


def test_a_model_with_no_known_price_costs_unknown_not_zero() -> None:
    from roleplay.llm.client import Usage

    usage = Usage()
    usage.add("openai/no-such-model-anywhere", 100, 20)
    assert usage.prompt_tokens == 100 and usage.completion_tokens == 20
    assert usage.cost is None
    usage = Usage()
    usage.add("gpt-4o-mini", 100, 20)
    assert usage.cost is not None and usage.cost > 0
    usage.add("gpt-4o-mini", None, None)
    assert usage.prompt_tokens is None and usage.cost is None


async def test_ending_a_call_with_a_hanging_judge_takes_one_deadline_not_two(lib, tmp_path, provider) -> None:
    from .provider import hang

    s = quick(lib, tmp_path, "economic-buyer", turn_deadline=1.0)  # its rubric grades the whole call too
    provider.judge.append(hang)
    gen = s.say(LINE)
    async for e in gen:
        if isinstance(e, BuyerTurnSaved):
            break
    await gen.aclose()  # the turn's judge never finished
    provider.judge += [hang] * 5
    started = time.monotonic()
    card = await s.end()  # re-judging that turn and grading the whole call share one deadline
    assert time.monotonic() - started < 1.0 + 0.7
    rep = [t for t in s.store.turns(s.id) if t.speaker == "rep"][0]
    assert all(g.verdict == "ungraded" and "1 s" in g.reason for g in rep.grades if g.source == "judge")
    assert any(g.source == "judge" for g in rep.grades)
    whole = s.store.call_grades(s.id)
    assert whole and all(g.verdict == "ungraded" and "1 s" in g.reason for g in whole)
    assert card is not None
    s.store.close()


async def test_a_reply_that_stalls_mid_stream_stops_at_the_deadline_and_keeps_what_was_shown(monkeypatch) -> None:
    import asyncio

    from roleplay.llm.client import Interrupted

    def chunk(text):
        delta = type("D", (), {"content": text})()
        return type("C", (), {"choices": [type("X", (), {"delta": delta})()], "usage": None})()

    class Stream:  # two words, then nothing, for ever
        def __init__(self):
            self.left = ["Look, ", "the thing is"]

        def __aiter__(self):
            return self

        async def __anext__(self):
            if not self.left:
                await asyncio.sleep(3600)
            return chunk(self.left.pop(0))

    async def fake(**kw):
        return Stream()

    monkeypatch.setattr(litellm(), "acompletion", fake)
    llm = LLM(Settings(model="openai/x", retries=3, first_token_timeout=30, total_timeout=120,
                       turn_deadline=0.6))
    llm.deadline = time.monotonic() + 0.6
    started = time.monotonic()
    shown = ""
    with pytest.raises(Interrupted) as cut:
        async for piece in llm.stream([{"role": "user", "content": "hi"}]):
            shown += piece
    assert time.monotonic() - started < 1.2
    assert cut.value.partial == shown == "Look, the thing is"
    assert "0.6 s" in cut.value.cause.message
