"""A scriptable fake provider behind respx, speaking the OpenAI wire format.

Buyer calls are streamed (SSE chunks); judge calls are JSON. Each side has a
queue of scripted answers; when it runs dry, the buyer says something
neutral and the judge gives an honest, valid answer computed from the request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx

from . import fakeprovider as fp

Answer = httpx.Response | Exception | Callable[[httpx.Request], Any]


def judge_request(request: httpx.Request) -> dict[str, Any]:
    body = json.loads(request.content)
    user = [m for m in body["messages"] if m["role"] == "user"][0]["content"]
    return json.loads(user.split("The data:\n", 1)[1])


def honest_judge(request: httpx.Request, verdict: str = "pass") -> httpx.Response:
    """A valid answer: quotes real words of the rep, consistent checks and levels."""
    data = judge_request(request)
    said = data.get("rep_turn_to_grade") or " ".join(data["rep_turns"])
    grades = []
    for c in data["criteria"]:
        ok = verdict == "pass"
        grades.append({
            "criterion": c["id"],
            "evidence": [said[:24]] if ok else [],
            "reasoning": "Quoted above.",
            "checks": [ok] * len(c["checks"]) if "checks" in c else None,
            "level": (5 if ok else 1) if "levels" in c else None,
            "verdict": verdict,
        })
    return fp.json_response(json.dumps({"grades": grades}))


class FakeProvider:
    def __init__(self) -> None:
        self.buyer: list[Answer] = []
        self.judge: list[Answer] = []
        self.buyer_calls: list[httpx.Request] = []
        self.judge_calls: list[httpx.Request] = []
        self.default_buyer = ["Okay.", " Go on", "."]

    def __call__(self, request: httpx.Request) -> Any:
        streaming = json.loads(request.content).get("stream")
        queue = self.buyer if streaming else self.judge
        (self.buyer_calls if streaming else self.judge_calls).append(request)
        if queue:
            answer = queue.pop(0)
            if isinstance(answer, Exception):
                raise answer
            if callable(answer):
                return answer(request)
            return answer
        if streaming:
            return fp.stream_response(self.default_buyer)
        return honest_judge(request)


def error(status: int, retry_after: str | None = None) -> httpx.Response:
    headers = {"retry-after": retry_after} if retry_after else {}
    return httpx.Response(status, headers=headers,
                          json={"error": {"message": f"fake {status}", "type": "server_error"}})


def cut_stream(pieces: list[str]) -> httpx.Response:
    """A stream that sends some words and then the connection drops."""

    async def body():
        yield fp.chunk("", role=True).encode()
        for p in pieces:
            yield fp.chunk(p).encode()
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    return httpx.Response(200, content=body(), headers={"content-type": "text/event-stream"})


def late(answer: httpx.Response, seconds: float) -> Callable[[httpx.Request], Any]:
    """An answer that comes only after `seconds` (respx awaits an awaitable side effect)."""

    async def wait(request: httpx.Request) -> httpx.Response:
        import asyncio

        await asyncio.sleep(seconds)
        return answer

    return wait


def hang(request: httpx.Request) -> Any:
    """A provider that accepts the request and never answers."""
    import asyncio

    async def forever() -> httpx.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    return forever()


def empty_stream() -> httpx.Response:
    return fp.stream_response([], usage=False)


def serve(monkeypatch: pytest.MonkeyPatch, api_key: str) -> Iterator[FakeProvider]:
    """A FakeProvider behind respx for one test, with litellm's client cache flushed either side."""
    from roleplay.llm.client import litellm

    monkeypatch.setenv("OPENAI_API_KEY", api_key)
    lm = litellm()
    lm.in_memory_llm_clients_cache.flush_cache()
    fake = FakeProvider()
    with respx.mock(using="httpx", assert_all_called=False) as mock:
        mock.post(fp.URL).mock(side_effect=fake)
        yield fake
    lm.in_memory_llm_clients_cache.flush_cache()
