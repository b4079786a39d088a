"""A fake OpenAI-compatible provider for respx: the real wire format, streamed chunks included."""

from __future__ import annotations

import json
from typing import Any

import httpx

BASE = "http://fake-provider.test/v1"
URL = f"{BASE}/chat/completions"
MODEL = "openai/fake-buyer"


def chunk(content: str | None, *, finish: str | None = None, usage: dict | None = None,
          role: bool = False) -> str:
    delta: dict[str, Any] = {}
    if role:
        delta["role"] = "assistant"
    if content is not None or not finish:
        delta["content"] = content
    body: dict[str, Any] = {
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
        "model": "fake-buyer",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage is not None:
        body["usage"] = usage
        body["choices"] = []
    return f"data: {json.dumps(body)}\n\n"


def sse(pieces: list[str], *, done: bool = True, usage: bool = True) -> bytes:
    out = [chunk("", role=True)] + [chunk(p) for p in pieces] + [chunk(None, finish="stop")]
    if usage:
        out.append(chunk(None, usage={"prompt_tokens": 120, "completion_tokens": len(pieces),
                                      "total_tokens": 120 + len(pieces)}))
    if done:
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def stream_response(pieces: list[str], **kw: Any) -> httpx.Response:
    return httpx.Response(200, content=sse(pieces, **kw),
                          headers={"content-type": "text/event-stream"})


def json_response(content: str, *, prompt_tokens: int = 300, completion_tokens: int = 80) -> httpx.Response:
    return httpx.Response(200, json={
        "id": "chatcmpl-2", "object": "chat.completion", "created": 1, "model": "fake-judge",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    })

