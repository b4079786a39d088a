"""roleplay against a real team gateway: a `litellm --config` proxy process on loopback, in front of
a fake OpenAI-compatible provider that this module serves itself (streamed and not) and that records
every request it gets. The rep's side holds only the proxy's key; the provider key lives only in the
proxy's environment. The proxy starts once for the module (it takes seconds) and keeps its limits in
memory: no database.

The proxy's deployments name a model of OpenAI's own catalogue (gpt-4o-mini): litellm, in the proxy
as in roleplay, drops `user` from a request to any other model name, so with a made-up name the
provider would never see the rep's name (the proxy still counts it, as its end user)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from roleplay import practice
from roleplay.engine.session import ReplyFailed
from roleplay.settings import Settings

from . import fakeprovider as fp
from .provider import honest_judge

PROXY_KEY = "sk-team-gateway-master-key"  # the only key on the rep's machine
PROVIDER_KEY = "sk-provider-key-only-the-gateway-holds"
START_DEADLINE = 60.0  # seconds for the proxy to answer /health/liveliness
# What the proxy imports on start, from litellm's "proxy" extra. Not `pip install 'litellm[proxy]'`:
# that extra pins rich<14 (textual needs >=14.2) and names a litellm-proxy package PyPI lacks, so
# pip would go back to a far older litellm to satisfy it.
PROXY_PACKAGES = ("fastapi uvicorn uvloop websockets orjson apscheduler backoff python-multipart pyjwt "
                  "cryptography rq semver expression fastapi-sso mcp soundfile")

# Each deployment has its own path on the fake provider, so the module can tell them apart. Both
# limits are kept in the proxy's memory: a deployment's `rpm` (enforced by the router's
# "enforce_model_rate_limits" check) and a deployment's `max_budget` (the router's budget filter).
# Per-key, per-user and per-team budgets need the proxy's database, so none is used here.
# num_retries 0: by default the proxy retries a budget refusal itself, for ~5 s, before answering.
CONFIG = """\
model_list:
  - model_name: team-buyer
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: {upstream}/buyer/v1
      api_key: os.environ/TEAM_PROVIDER_KEY
  - model_name: team-busy
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: {upstream}/busy/v1
      api_key: os.environ/TEAM_PROVIDER_KEY
      rpm: 1
  - model_name: team-capped
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: {upstream}/capped/v1
      api_key: os.environ/TEAM_PROVIDER_KEY
      max_budget: 0.000001
      budget_duration: 30d
general_settings:
  master_key: {key}
router_settings:
  optional_pre_call_checks: ["enforce_model_rate_limits"]
  num_retries: 0
litellm_settings:
  telemetry: false
  callbacks: seen_by_proxy.seen
"""

# A callback the proxy loads from its config's folder: one line per call, with whom the proxy
# counted it for (its end user), so the module can see what the proxy itself recorded.
CALLBACK = """\
import json, os
from litellm.integrations.custom_logger import CustomLogger


class Seen(CustomLogger):
    def _write(self, kwargs, outcome):
        logged = kwargs.get("standard_logging_object") or {}
        line = {"outcome": outcome, "end_user": logged.get("end_user"),
                "model_group": logged.get("model_group")}
        with open(os.environ["SEEN_FILE"], "a") as f:
            f.write(json.dumps(line) + "\\n")

    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        self._write(kwargs, "ok")

    async def async_log_failure_event(self, kwargs, response_obj, start_time, end_time):
        self._write(kwargs, "failed")


seen = Seen()
"""


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Upstream:
    """The fake provider: records each request; streams the buyer, answers the judge honestly."""

    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def made(self, deployment: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.path.startswith(f"/{deployment}/")]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                body = json.loads(raw or b"{}")
                with upstream.lock:
                    upstream.calls.append(Call(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if not self.path.endswith("/chat/completions"):
                    return self._send(404, b'{"error": {"message": "no such path"}}', "application/json")
                if body.get("stream"):
                    return self._send(200, fp.sse(["Okay.", " Go on", "."]), "text/event-stream")
                if "The data:\n" not in json.dumps(body.get("messages")):  # not the judge: a plain call
                    return self._send(200, fp.json_response("Hello.").content, "application/json")
                answer = honest_judge(httpx.Request("POST", "http://upstream/chat/completions", content=raw))
                return self._send(200, answer.content, "application/json")

            def _send(self, status: int, data: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@dataclass
class Gateway:
    base: str
    upstream: Upstream
    seen_file: Path

    def seen(self) -> list[dict[str, Any]]:
        """What the proxy recorded, one entry per call (its callbacks run just after each answer)."""
        if not self.seen_file.exists():
            return []
        return [json.loads(line) for line in self.seen_file.read_text().splitlines() if line.strip()]

    def wait_seen(self, want: Any, within: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + within
        while True:
            entries = self.seen()
            if want(entries) or time.monotonic() > deadline:
                return entries
            time.sleep(0.05)

    def ask(self, model: str, user: str) -> httpx.Response:
        """A request straight to the proxy, as another of the team's clients would make it."""
        return httpx.post(f"{self.base}/chat/completions", timeout=10, trust_env=False,
                          headers={"authorization": f"Bearer {PROXY_KEY}"},
                          json={"model": model, "user": user,
                                "messages": [{"role": "user", "content": "Hello?"}]})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    cli = Path(sys.executable).with_name("litellm")
    missing = [m for m in ("fastapi", "uvicorn") if importlib.util.find_spec(m) is None]
    if not cli.exists() or missing:
        # They are in the `test` extra: missing, they are a broken install, not a reason to skip.
        pytest.fail(f"the LiteLLM proxy's packages are not installed (no {', '.join(missing) or cli}): "
                    f"pip install -e '.[test]'")
    upstream = Upstream()
    server = ThreadingHTTPServer(("127.0.0.1", 0), upstream.handler())
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    folder = tmp_path_factory.mktemp("gateway")
    config = folder / "config.yaml"
    config.write_text(CONFIG.format(upstream=f"http://127.0.0.1:{server.server_address[1]}", key=PROXY_KEY))
    (folder / "seen_by_proxy.py").write_text(CALLBACK)
    log = folder / "proxy.log"
    env = {k: v for k, v in os.environ.items()
           if not k.endswith("_API_KEY") and k not in ("DATABASE_URL", "DIRECT_URL")}
    env.update(TEAM_PROVIDER_KEY=PROVIDER_KEY, SEEN_FILE=str(folder / "seen.jsonl"), HOME=str(folder),
               LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_TELEMETRY="False", NO_PROXY="127.0.0.1,localhost",
               no_proxy="127.0.0.1,localhost", PYTHONUNBUFFERED="1")
    port = _free_port()
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen([str(cli), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
                                cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None:
                said = log.read_text(errors="replace")
                missing = [line for line in said.splitlines() if "Missing dependency" in line]
                if missing:
                    pytest.fail(f"the LiteLLM proxy cannot start: {missing[-1].split(' Run ')[0].rstrip('.')}; "
                                f"the `test` extra must list it beside {PROXY_PACKAGES}")
                pytest.fail(f"the LiteLLM proxy exited ({proc.returncode}) before it was up:\n{said[-3000:]}")
            try:
                if httpx.get(f"{base}/health/liveliness", timeout=1, trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() - started > START_DEADLINE:
                pytest.fail(f"the LiteLLM proxy was not up within {START_DEADLINE:g} s:\n"
                            f"{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        yield Gateway(base, upstream, folder / "seen.jsonl")
    finally:
        _stop(proc)
        server.shutdown()
        server.server_close()


@pytest.fixture
def rep_machine(gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    """The rep's side: the proxy's key in OPENAI_API_KEY, and no other key."""
    from roleplay.llm.client import litellm

    for name in [k for k in os.environ if k.endswith("_API_KEY")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("OPENAI_API_KEY", PROXY_KEY)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    lm = litellm()
    lm.in_memory_llm_clients_cache.flush_cache()
    yield gateway
    lm.in_memory_llm_clients_cache.flush_cache()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    """The practice history on SQLite: what is under test here is the way to the model, not the store."""
    from roleplay.store import Store

    s = Store(tmp_path / "roleplay.db")
    yield s
    s.close()


def settings(gateway: Gateway, model: str = "team-buyer", **kw: Any) -> Settings:
    return Settings(model=f"openai/{model}", judge_model="openai/team-buyer", api_base=gateway.base,
                    first_token_timeout=10, total_timeout=15, **{"retries": 0, **kw})


def _failures(events: list) -> list[ReplyFailed]:
    return [e for e in events if isinstance(e, ReplyFailed)]


async def test_the_provider_key_stays_on_the_gateway_and_each_request_names_its_rep(
        lib, store, rep_machine: Gateway) -> None:
    gw = rep_machine
    made_before, seen_before = len(gw.upstream.calls), len(gw.seen())
    s = practice.open_session(settings(gw), store, lib, "price-objection", "medium", ["Ana", "Ben"],
                              mode="tag-team")
    for line in ("That's a fair reaction. What are you comparing it to?",
                 "What does a spoiled load cost you when it happens?"):
        events = [e async for e in s.say(line)]
        assert not _failures(events), _failures(events)
    assert [t.text for t in store.turns(s.id) if t.speaker == "buyer"][-1] == "Okay. Go on."

    # The provider got the rep's name as `user` on every call, the buyer's (streamed) and the judge's.
    made = gw.upstream.calls[made_before:]
    buyer = [c for c in made if c.body.get("stream")]
    judge = [c for c in made if not c.body.get("stream")]
    assert [c.body.get("user") for c in buyer] == ["Ana", "Ben"]
    assert judge and {c.body.get("user") for c in judge} <= {"Ana", "Ben"} and "Ben" in {c.body["user"] for c in judge}
    # ... and the proxy counted each call for the rep who made it (its end user), though all came
    # with its one shared key.
    recorded = gw.wait_seen(lambda seen: len(seen) >= seen_before + len(made))[seen_before:]
    assert sorted(e["end_user"] for e in recorded) == sorted(c.body["user"] for c in made)

    # The provider key went only from the gateway to the provider; the rep's machine never had it.
    assert all(c.headers.get("authorization") == f"Bearer {PROVIDER_KEY}" for c in buyer + judge)
    assert not any(PROXY_KEY in c.headers.get("authorization", "") for c in gw.upstream.calls)
    assert [k for k in os.environ if k.endswith("_API_KEY")] == ["OPENAI_API_KEY"]
    assert os.environ["OPENAI_API_KEY"] == PROXY_KEY
    assert not any(PROVIDER_KEY in value for value in os.environ.values())
    assert PROVIDER_KEY not in repr(settings(gw))


async def test_a_rate_limit_from_the_real_gateway_is_said_as_one(lib, store, rep_machine: Gateway) -> None:
    gw = rep_machine
    first = gw.ask("team-busy", "Ben")  # the deployment's one request this minute: Ben's
    assert first.status_code == 200, first.text
    s = practice.open_session(settings(gw, "team-busy"), store, lib, "price-objection", "medium", ["Ana"])
    events = [e async for e in s.say("That's a fair reaction. What are you comparing it to?")]
    failed = _failures(events)
    assert failed and "busy (rate limit)" in failed[0].message
    assert len(gw.upstream.made("busy")) == 1  # the gateway refused Ana's turn itself
    assert s.awaiting_reply


async def test_a_budget_refusal_from_the_real_gateway_is_a_sentence_and_not_retried(
        lib, store, rep_machine: Gateway) -> None:
    gw = rep_machine
    # Another rep's call spends the deployment's whole budget; the proxy counts it just after.
    assert gw.ask("team-capped", "Ben").status_code == 200
    deadline = time.monotonic() + 10
    while (probe := gw.ask("team-capped", "budget-probe")).status_code == 200:
        assert time.monotonic() < deadline, "the proxy never refused past the deployment's budget"
        await asyncio.sleep(0.1)
    assert probe.status_code == 429 and "Exceeded budget" in probe.json()["error"]["message"], probe.text
    calls_before = len(gw.upstream.made("capped"))

    s = practice.open_session(settings(gw, "team-capped", retries=2), store, lib, "price-objection",
                              "medium", ["Ana"])
    events = [e async for e in s.say("That's a fair reaction. What are you comparing it to?")]
    failed = _failures(events)
    assert failed and "budget is used up" in failed[0].message and "offline" in failed[0].message
    assert len(gw.upstream.made("capped")) == calls_before  # nothing past the gateway
    refused = gw.wait_seen(lambda seen: any(e["end_user"] == "Ana" and e["outcome"] == "failed" for e in seen))
    await asyncio.sleep(0.3)  # a retry, if one were made, would be logged by now
    ana = [e for e in gw.seen() if e["end_user"] == "Ana" and e["model_group"] == "team-capped"]
    assert refused and [e["outcome"] for e in ana] == ["failed"]  # asked once: a budget refusal is not retried
    assert s.awaiting_reply
    assert [t.speaker for t in store.turns(s.id)] == ["buyer", "rep"]
