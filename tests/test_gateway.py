"""A team gateway (a LiteLLM proxy) between the reps and the provider: each request says which rep
it is for, and a budget refusal reaches the rep as a sentence. The gateway is faked with respx at
the OpenAI-compatible endpoint it serves (api_base); the rep's machine holds only its virtual key."""

from __future__ import annotations

import json

import httpx
import pytest

from roleplay import practice
from roleplay.engine.session import ReplyFailed
from roleplay.settings import Settings

from . import fakeprovider as fp
from .provider import serve

VIRTUAL_KEY = "sk-team-gateway-virtual-key-for-ana"


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch):
    yield from serve(monkeypatch, VIRTUAL_KEY)


def settings() -> Settings:
    return Settings(model=fp.MODEL, api_base=fp.BASE, retries=0, first_token_timeout=5, total_timeout=10)


async def test_each_request_names_the_rep_who_typed_the_turn(lib, store, gateway) -> None:
    s = practice.open_session(settings(), store, lib, "price-objection", "medium", ["Ana", "Ben"], mode="tag-team")
    for line in ("That's a fair reaction. What are you comparing it to?",
                 "What does a spoiled load cost you when it happens?"):
        [e async for e in s.say(line)]
    bodies = [json.loads(r.content) for r in gateway.buyer_calls]
    assert [b.get("user") for b in bodies] == ["Ana", "Ben"]
    judged = [json.loads(r.content).get("user") for r in gateway.judge_calls]
    assert judged and set(judged) <= {"Ana", "Ben"} and "Ben" in judged
    sent = [r.headers.get("authorization", "") for r in gateway.buyer_calls]
    assert all(VIRTUAL_KEY in h for h in sent)  # the gateway's key, the only one on this machine


def _refusal(status: int, message: str, kind: str):  # noqa: ANN202
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"error": {"message": message, "type": kind, "param": None,
                                                      "code": str(status)}})
    return answer


async def test_a_budget_refusal_from_the_gateway_is_a_sentence_and_the_session_goes_on(lib, store, gateway) -> None:
    gateway.buyer.append(_refusal(400, "Budget has been exceeded! Current cost: 10.02, Max budget: 10.0",
                                  "budget_exceeded"))
    s = practice.open_session(settings(), store, lib, "price-objection", "medium", ["Ana"])
    events = [e async for e in s.say("That's a fair reaction. What are you comparing it to?")]
    failed = [e for e in events if isinstance(e, ReplyFailed)]
    assert failed and "budget is used up" in failed[0].message and "offline" in failed[0].message
    assert len(gateway.buyer_calls) == 1  # a budget refusal is not retried
    assert s.awaiting_reply  # nothing lost: the reply can be asked for again later
    assert [t.speaker for t in store.turns(s.id)] == ["buyer", "rep"]


async def test_a_rate_limit_from_the_gateway_is_said_as_one(lib, store, gateway) -> None:
    gateway.buyer.append(_refusal(429, "Max parallel request limit reached.", "rate_limit"))
    s = practice.open_session(settings(), store, lib, "price-objection", "medium", ["Ana"])
    events = [e async for e in s.say("That's a fair reaction. What are you comparing it to?")]
    failed = [e for e in events if isinstance(e, ReplyFailed)]
    assert failed and "busy (rate limit)" in failed[0].message


async def test_a_gateway_rate_limit_that_outlasts_the_turn_is_said_at_once(lib, store, gateway) -> None:
    # A LiteLLM proxy passes the provider's wait as `llm_provider-retry-after` (no plain retry-after):
    # a limit that lasts beyond the turn's deadline is said now, not retried into until the deadline.
    import time

    for _ in range(5):
        gateway.buyer.append(lambda request: httpx.Response(
            429, headers={"llm_provider-retry-after": "60"},
            json={"error": {"message": "litellm.RateLimitError: Model rate limit exceeded. RPM limit=1, current usage=2",
                            "type": "throttling_error", "param": None, "code": "429"}}))
    s = practice.open_session(settings().replace(retries=4, turn_deadline=8), store, lib, "price-objection",
                              "medium", ["Ana"])
    started = time.monotonic()
    events = [e async for e in s.say("That's a fair reaction. What are you comparing it to?")]
    assert time.monotonic() - started < 3
    assert len(gateway.buyer_calls) == 1
    failed = [e for e in events if isinstance(e, ReplyFailed)]
    assert failed and "rate limit" in failed[0].message, failed
    assert s.awaiting_reply


async def test_the_proxy_s_crossed_budget_refusal_is_a_budget_refusal(lib, store, gateway) -> None:
    gateway.buyer.append(_refusal(429, "No deployments available - crossed budget: for model_name: team-capped",
                                  "internal_server_error"))
    s = practice.open_session(settings().replace(retries=3), store, lib, "price-objection", "medium", ["Ana"])
    events = [e async for e in s.say("That's a fair reaction. What are you comparing it to?")]
    failed = [e for e in events if isinstance(e, ReplyFailed)]
    assert failed and "budget is used up" in failed[0].message
    assert len(gateway.buyer_calls) == 1
