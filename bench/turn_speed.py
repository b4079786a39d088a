"""How fast a practice turn is, offline and against a model provider with fixed latency.

1. Offline turn latency: the scripted buyer and the signals-only judge, a real
   SQLite store in a temp folder. Each timed turn is a whole
   `async for ev in session.say(text)`: signals, signal grades, the buyer
   state and move, the buyer's line, the judge (offline: ungraded) and every
   commit. Baseline: one bare `store.add_turn` commit of a graded rep turn,
   timed in the same run, so the ratio turn/commit says how much of a turn
   is more than the disk write. Floor: p95 <= 15 ms.

2. Concurrency against a fake provider: a real local HTTP server speaking the
   OpenAI chat completions API. A streamed call (the buyer) waits L before its
   first chunk, then streams ~20 chunks quickly; a non-streamed call (the
   judge) waits J (> L, the slowest call) and returns a valid judge answer for
   the criteria it was asked about. If grading runs alongside the buyer's
   reply, a whole turn takes about J; if one waits for the other, L + J.
   Floor: median turn / J <= 1.1.

    python bench/turn_speed.py [N_OFFLINE_TURNS] [N_ONLINE_TURNS]
"""

from __future__ import annotations

import os
import sys
import tempfile

# No user config, library or data: everything lives in a temp folder. Set
# before roleplay (and platformdirs, litellm) is imported.
_HOME = tempfile.mkdtemp(prefix="roleplay-bench-home-")
os.environ["HOME"] = _HOME
os.environ["XDG_CONFIG_HOME"] = os.path.join(_HOME, ".config")
os.environ["XDG_DATA_HOME"] = os.path.join(_HOME, ".local", "share")
for _key in [k for k in os.environ if k.startswith("ROLEPLAY_")]:
    del os.environ[_key]
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["OPENAI_API_KEY"] = "sk-bench"

import asyncio  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402
from pathlib import Path  # noqa: E402

from roleplay import library  # noqa: E402
from roleplay.engine.records import Grade, Turn  # noqa: E402
from roleplay.engine.session import (  # noqa: E402
    BuyerPiece,
    BuyerTurnSaved,
    JudgeGrades,
    ReplyFailed,
    Session,
    Setup,
)
from roleplay.practice import players  # noqa: E402
from roleplay.settings import Settings  # noqa: E402
from roleplay.store import Store  # noqa: E402

# Realistic rep lines: questions, pitches, acknowledgments, asks, a discount, a ramble.
REP_LINES = [
    "I hear you, forty-eight thousand is a real jump from what you pay Fleetwise today.",
    "What happens on your side when a pharmacy load spoils in transit?",
    "Our sensors log temperature every thirty seconds and alert your dispatcher before anything warms up.",
    "That makes sense. How many loads did you lose this quarter, roughly?",
    "Who else would need to sign off before a change like this goes ahead?",
    "We're the market leader in cold-chain telematics, with the best dashboard and a mobile app.",
    "Fair point. If we put the spoilage cost in numbers together, would that help with finance?",
    "How are you handling the MedCo contract requirements at the moment?",
    "I could probably knock twenty percent off if you sign this month.",
    "So if I understand you right, the real risk is losing a customer, not the monthly fee?",
    "Could we book thirty minutes on Thursday at 10am with your CFO to walk through the business case?",
    "Just checking in on my last note, did you get a chance to look at the proposal?",
    "What would need to be true for this to be worth double to you?",
    "Understood. What does a typical week look like for your dispatch team when an alert goes off?",
    "Our platform integrates with every major TMS and we have 24/7 support and great reviews.",
    "Thanks for being straight with me. What would you want to see before you take it upstairs?",
    "Would Tuesday at 2pm work for a short call to go over the numbers with you and finance?",
    "Last time you mentioned audits were painful; how much time does your team spend on them now?",
]

SETUPS = [("price-objection", "hard"), ("the-ghost", "easy"),
          ("price-objection", "easy"), ("the-ghost", "hard")]


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of the values."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


class Sessions:
    """A new session whenever the last one ends, cycling through the setups."""

    def __init__(self, lib, store: Store, settings: Settings):  # noqa: ANN001
        self.lib, self.store, self.settings = lib, store, settings
        self.rep = store.rep("Bench")
        self.started = 0
        self.session: Session | None = None

    def current(self) -> Session:
        if self.session is None or self.session.over:
            scenario, difficulty = SETUPS[self.started % len(SETUPS)]
            setup = Setup.from_library(self.lib, scenario, difficulty)
            buyer, judge, llm = players(self.settings)
            self.session = Session.begin(setup, self.store, self.rep, buyer=buyer, judge=judge,
                                         seed=1000 + self.started, llm=llm)
            self.started += 1
        return self.session


# ---------------------------------------------------------------- 1. offline


async def offline_turns(sessions: Sessions, n: int, warmup: int) -> tuple[list[float], int]:
    times: list[float] = []
    events = 0
    for i in range(warmup + n):
        session = sessions.current()
        text = REP_LINES[i % len(REP_LINES)]
        t0 = time.perf_counter()
        async for _ in session.say(text):
            events += 1
        dt = time.perf_counter() - t0
        if i >= warmup:
            times.append(dt)
    return times, events


def bare_commits(store: Store, sessions: Sessions, n: int) -> list[float]:
    """One add_turn of a graded rep turn with the session state: what every turn must pay once."""
    session = sessions.current()
    state = session._persist()
    grades = [Grade(criterion=f"criterion-{k}", verdict="pass", score=1.0, evidence=["a quote"],
                  reason="signal detail", source="signal") for k in range(3)]
    times = []
    for i in range(n):
        turn = Turn(index=10_000 + i, speaker="rep", text=REP_LINES[i % len(REP_LINES)], grades=grades)
        t0 = time.perf_counter()
        store.add_turn(session.id, turn, state=state)
        times.append(time.perf_counter() - t0)
    return times


def part_offline(lib, tmp: Path, n: int) -> None:  # noqa: ANN001
    store = Store(tmp / "bench.db")
    sessions = Sessions(lib, store, Settings(offline=True))
    times, events = asyncio.run(offline_turns(sessions, n, warmup=20))
    commits = bare_commits(store, sessions, max(n, 300))
    store.close()
    p50, p95, worst = pct(times, 50) * 1e3, pct(times, 95) * 1e3, max(times) * 1e3
    c50 = statistics.median(commits) * 1e3
    print("1. offline turn latency (scripted buyer, signals-only judge, SQLite in a temp dir)")
    print(f"   turns timed:                       {len(times):8d} ({sessions.started} sessions, "
          f"{events} events)")
    print(f"   turn p50:                          {p50:8.2f} ms")
    print(f"   turn p95:                          {p95:8.2f} ms   (max {worst:.2f} ms)")
    print(f"   baseline, one bare add_turn commit:{c50:8.2f} ms   (median of {len(commits)}; "
          f"p95 {pct(commits, 95) * 1e3:.2f} ms)")
    print(f"   turn p50 / bare commit:            {p50 / c50:8.1f}x  (a turn makes 2 commits + 1 for "
          "the grades)")
    print("   floor: p95 <= 15 ms", "OK" if p95 <= 15 else "BELOW FLOOR")


# ---------------------------------------------------------------- 2. fake provider


def sse_chunk(content: str | None, *, finish: str | None = None, usage: dict | None = None,
              role: bool = False) -> bytes:
    """One chunk in the OpenAI wire format (as tests/fakeprovider.py writes it)."""
    delta: dict = {}
    if role:
        delta["role"] = "assistant"
    if content is not None or not finish:
        delta["content"] = content
    body: dict = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
                  "model": "fake", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    if usage is not None:
        body["usage"] = usage
        body["choices"] = []
    return f"data: {json.dumps(body)}\n\n".encode()


def judge_answer(messages: list[dict]) -> str:
    """A valid answer for every criterion asked about: real quote, right checks/level, pass."""
    user = next(m["content"] for m in messages if m["role"] == "user" and "The data:\n" in m["content"])
    data = json.loads(user.split("The data:\n", 1)[1])
    said = data.get("rep_turn_to_grade") or next(iter(data.get("rep_turns", [])), "")
    grades = []
    for c in data["criteria"]:
        grades.append({
            "criterion": c["id"],
            "evidence": [said[:20]],
            "reasoning": "The rep said it in their own words.",
            "checks": [True] * len(c["checks"]) if c.get("checks") else None,
            "level": 5 if c.get("levels") else None,
            "verdict": "pass",
        })
    return json.dumps({"grades": grades})


class FakeProvider:
    def __init__(self, buyer_latency: float, judge_latency: float, chunks: int = 20,
                 chunk_gap: float = 0.002):
        self.L, self.J, self.chunks, self.gap = buyer_latency, judge_latency, chunks, chunk_gap
        self.calls: list[tuple[str, float]] = []  # (kind, seconds in the handler)
        self.lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real provider
            # Headers and body go out as separate writes; with Nagle on, the body
            # waits for the client's delayed ACK (~40 ms on Linux), an artefact of
            # this server that no real provider has. TCP_NODELAY, as they use.
            disable_nagle_algorithm = True

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

            def do_POST(self) -> None:  # noqa: N802
                t0 = time.perf_counter()
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                if body.get("stream"):
                    provider.stream(self, body)
                    kind = "buyer"
                else:
                    provider.complete(self, body)
                    kind = "judge"
                with provider.lock:
                    provider.calls.append((kind, time.perf_counter() - t0))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeProvider:
        self.thread.start()
        return self

    def __exit__(self, *_) -> None:  # noqa: ANN002
        self.server.shutdown()
        self.server.server_close()

    def stream(self, h: BaseHTTPRequestHandler, body: dict) -> None:
        words = ("Okay, that's a fair question. Go on, tell me how you'd put the spoilage cost "
                 "in numbers for finance.").split(" ")
        words = (words * 2)[: self.chunks]
        parts = [sse_chunk("", role=True)] + [sse_chunk((" " if i else "") + w) for i, w in enumerate(words)]
        parts += [sse_chunk(None, finish="stop"),
                  sse_chunk(None, usage={"prompt_tokens": 500, "completion_tokens": len(words),
                                         "total_tokens": 500 + len(words)}),
                  b"data: [DONE]\n\n"]
        time.sleep(self.L)  # time to first token
        h.send_response(200)
        h.send_header("content-type", "text/event-stream")
        h.send_header("content-length", str(sum(len(p) for p in parts)))
        h.end_headers()
        for p in parts:
            h.wfile.write(p)
            h.wfile.flush()
            time.sleep(self.gap)

    def complete(self, h: BaseHTTPRequestHandler, body: dict) -> None:
        content = judge_answer(body["messages"])
        payload = json.dumps({
            "id": "chatcmpl-2", "object": "chat.completion", "created": 1, "model": "fake",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 1500, "completion_tokens": 200, "total_tokens": 1700},
        }).encode()
        time.sleep(self.J)
        h.send_response(200)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)


async def online_turns(sessions: Sessions, provider: FakeProvider, n: int) -> list[dict]:
    rows = []
    for i in range(n):
        session = sessions.current()
        text = REP_LINES[i % len(REP_LINES)]
        calls_before = len(provider.calls)
        row: dict = {"turn": i, "scenario": session.setup.scenario.id, "failed": None,
                     "judge_ungraded": 0}
        t0 = time.perf_counter()
        async for ev in session.say(text):
            now = time.perf_counter() - t0
            if isinstance(ev, BuyerPiece):
                row.setdefault("first_piece", now)
            elif isinstance(ev, BuyerTurnSaved):
                row["buyer_saved"] = now
            elif isinstance(ev, JudgeGrades):
                row["judge_saved"] = now
                row["judge_ungraded"] = sum(g.verdict == "ungraded" for g in ev.grades)
            elif isinstance(ev, ReplyFailed):
                row["failed"] = ev.message
        row["total"] = time.perf_counter() - t0
        row["calls"] = provider.calls[calls_before:]
        rows.append(row)
    return rows


def part_online(lib, tmp: Path, n: int, L: float, J: float) -> None:  # noqa: ANN001, N803
    from roleplay.llm import client

    t0 = time.perf_counter()
    client.warm()  # import litellm (seconds) before anything is timed
    warm = time.perf_counter() - t0
    store = Store(tmp / "bench-online.db")
    with FakeProvider(L, J) as provider:
        settings = Settings(model="openai/fake", api_base=f"http://127.0.0.1:{provider.port}/v1",
                            retries=0)
        sessions = Sessions(lib, store, settings)
        rows = asyncio.run(online_turns(sessions, provider, n + 1))
    store.close()
    timed = rows[1:]  # the first turn pays for litellm's first call (clients, lazy imports)
    totals = [r["total"] for r in timed]
    med = statistics.median(totals)
    slowest_call = max(s for r in timed for _, s in r["calls"])
    print(f"2. against a fake OpenAI provider on 127.0.0.1:{provider.port} "
          f"(buyer stream: L = {L:.2f} s to first chunk, ~20 chunks; judge: J = {J:.2f} s)")
    print(f"   litellm import (warm(), untimed):  {warm:8.2f} s")
    print(f"   first turn (untimed, warm-up):     {rows[0]['total']:8.3f} s   (litellm/openai import more "
          "on their first call)")
    print("   turn  scenario          first word  buyer saved  judge saved   whole turn  calls")
    for r in timed:
        calls = ",".join(f"{k[0]}{s:.2f}" for k, s in r["calls"])
        print(f"   {r['turn']:4d}  {r['scenario']:<16s} {r.get('first_piece', float('nan')):9.3f}s "
              f"{r.get('buyer_saved', float('nan')):10.3f}s {r.get('judge_saved', float('nan')):10.3f}s "
              f"{r['total']:10.3f}s  {calls}"
              + (f"  FAILED: {r['failed']}" if r["failed"] else "")
              + (f"  ungraded: {r['judge_ungraded']}" if r["judge_ungraded"] else ""))
    ratio = med / J
    print(f"   median whole turn:                 {med:8.3f} s   (of {len(timed)} turns; "
          f"min {min(totals):.3f}, max {max(totals):.3f})")
    print(f"   slowest single model call (J):     {J:8.3f} s   (server-side, slowest seen: "
          f"{slowest_call:.3f} s)")
    print(f"   sequential baseline (L + J):       {L + J:8.3f} s   (ratio {(L + J) / J:.2f})")
    print(f"   ratio, median turn / J:            {ratio:8.2f}")
    print("   floor: ratio <= 1.1", "OK" if ratio <= 1.1 else "BELOW FLOOR")


def main() -> None:
    n_offline = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    n_online = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    lib = library.load([library.shipped_folder()])
    assert not lib.problems, lib.problems[:3]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            part_offline(lib, Path(tmp), n_offline)
            print()
            part_online(lib, Path(tmp), n_online, L=0.4, J=0.6)
    finally:
        shutil.rmtree(_HOME, ignore_errors=True)


if __name__ == "__main__":
    main()
