"""Input echo latency in the practice screen while the buyer's reply streams at 50 tokens/s.

In-process, headless (`app.run_test(size=(100, 30))`): the real RoleplayApp
(offline settings, a Store in a temp folder, the shipped library) opened on a
PracticeScreen whose session has a SlowBuyer: the offline buyer's line,
stretched to ~150 tokens with `await asyncio.sleep(0.02)` between them
(50 tokens/s, ~3 s a reply). The live reply widget is updated, laid out and
rendered for every token, exactly as with a model.

A rep turn is typed into #say and sent with Enter. While the reply streams,
keys are pressed one at a time with `pilot.press(...)`; for each key the
time from the press until the SayBox's text has it (polled with
`asyncio.sleep(0)`, so nothing else is waited for). Also recorded: until the
next frame is composed after that (the headless driver writes nothing, but
the compositor still builds every frame), which is what the rep would see.

`pilot.press` itself then waits for the app to be idle (at least 2 x 20 ms,
up to 2 x 1 s while the stream keeps the CPU busy): once the key has echoed
that wait is cut short, and the next key follows after a short gap (a fast
typist's ~25 ms). A key counts only if the stream was running both when it
was pressed and when it echoed (the live buyer widget is mounted and the
turn is not finished); when a reply ends, another rep turn is sent.

Baseline, in the same run and the same app: the same keys with no stream
running. Floor: p95 echo < 50 ms while streaming.

    python bench/ui_latency.py [KEYS] [--token-work-ms MS]
"""

from __future__ import annotations

import os
import sys
import tempfile

# No user config or data: everything in a temp folder, set before roleplay is imported.
_HOME = tempfile.mkdtemp(prefix="roleplay-bench-ui-")
os.environ["HOME"] = _HOME
os.environ["XDG_CONFIG_HOME"] = os.path.join(_HOME, ".config")
os.environ["XDG_DATA_HOME"] = os.path.join(_HOME, ".local", "share")
for _key in [k for k in os.environ if k.startswith("ROLEPLAY_")]:
    del os.environ[_key]

import asyncio  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import random  # noqa: E402
import string  # noqa: E402
import time  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402
from pathlib import Path  # noqa: E402

from roleplay import library  # noqa: E402
from roleplay.app.app import RoleplayApp  # noqa: E402
from roleplay.app.screens.practice import PracticeScreen, SayBox  # noqa: E402
from roleplay.engine.buyer import BuyerContext, OfflineBuyer  # noqa: E402
from roleplay.engine.records import Turn  # noqa: E402
from roleplay.engine.session import Session, Setup  # noqa: E402
from roleplay.engine.state import BuyerState, Move  # noqa: E402
from roleplay.settings import load_settings  # noqa: E402
from roleplay.store import Store  # noqa: E402

TOKENS = 150
TOKEN_GAP = 0.02  # 50 tokens/s
TOKEN_WORK = 0.0  # seconds of blocking work per token (--token-work-ms), 0 normally
KEY_GAP = (0.015, 0.045)  # seconds from one key's echo to the next press (random)
FLOOR_MS = 50.0
SCENARIO, DIFFICULTY = "price-objection", "easy"
# Discovery questions: they keep the call going (no win, no walk-out) turn after turn.
QUESTIONS = [
    "What does a spoiled load cost you?",
    "Who else weighs in on a decision like this?",
    "What happens if nothing changes this year?",
    "How do you handle alerts at night today?",
    "What would make this worth it for you?",
]
KEYS = string.ascii_lowercase


class SlowBuyer(OfflineBuyer):
    """The scripted buyer, streamed like a model: ~150 tokens at 50 tokens/s."""

    label = "offline practice (slow streaming bench buyer)"

    def __init__(self) -> None:
        self.replies = 0

    async def reply(self, ctx: BuyerContext, state: BuyerState, move: Move, history: list[Turn],
                    seed: int) -> AsyncIterator[str]:
        self.replies += 1
        words = self.line(ctx, move, history, seed).split() or ["Hm."]
        for i in range(TOKENS):
            if TOKEN_WORK:  # --token-work-ms: stand-in for slow per-token UI work (harness check)
                time.sleep(TOKEN_WORK)
            yield ("" if i == 0 else " ") + words[i % len(words)]
            await asyncio.sleep(TOKEN_GAP)


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


class Frames:
    """Times at which the app composed a frame (App._display is called with each screen update)."""

    def __init__(self, app: RoleplayApp):
        self.times: list[float] = []
        original = app._display

        def display(screen, renderable) -> None:  # noqa: ANN001
            if renderable is not None:
                self.times.append(time.perf_counter())
            original(screen, renderable)

        app._display = display  # type: ignore[method-assign]

    async def next_after(self, t: float, timeout: float = 1.0) -> float | None:
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            if self.times and self.times[-1] >= t:
                return next(x for x in self.times if x >= t)
            await asyncio.sleep(0)
        return None


def streaming(screen: PracticeScreen) -> bool:
    return screen.busy and screen.live is not None and screen.live.is_mounted


async def press_and_time(pilot, say: SayBox, frames: Frames, key: str,  # noqa: ANN001
                         t0: float | None = None) -> tuple[float, float | None]:
    """Press one key; (seconds until the SayBox's text has it, seconds until the next frame),
    from t0 (when the key was pressed) or from now."""
    before = say.text
    t0 = time.perf_counter() if t0 is None else t0
    press = asyncio.create_task(pilot.press(key))
    while say.text == before:
        if press.done():
            press.result()  # raise its error, if any
            if say.text == before:
                raise RuntimeError(f"key {key!r} never reached the SayBox (text {say.text!r})")
            break
        await asyncio.sleep(0)
        if time.perf_counter() - t0 > 5:
            raise RuntimeError(f"key {key!r} not echoed after 5 s")
    echoed = time.perf_counter()
    assert say.text == before + key, (before, key, say.text)
    frame = await frames.next_after(echoed)
    # The key has been handled; the rest of pilot.press is its wait for an idle CPU.
    press.cancel()
    try:
        await press
    except asyncio.CancelledError:
        pass
    return echoed - t0, None if frame is None else frame - t0


async def type_key(pilot, say: SayBox, frames: Frames, key: str,  # noqa: ANN001
                   rng: random.Random) -> tuple[float, float | None]:
    """A key from the typist's thread, as the terminal driver's input thread delivers one: after a
    random gap, at any moment, busy event loop or not. The clock starts in that thread."""
    loop = asyncio.get_running_loop()

    def typist() -> tuple[float, float | None]:
        time.sleep(rng.uniform(*KEY_GAP))
        t0 = time.perf_counter()
        return asyncio.run_coroutine_threadsafe(
            press_and_time(pilot, say, frames, key, t0), loop).result(timeout=30)

    return await loop.run_in_executor(None, typist)


async def send_turn(pilot, screen: PracticeScreen, say: SayBox, frames: Frames,  # noqa: ANN001
                    text: str) -> None:
    if screen.session.over:  # never expected with these questions; take the last turn back
        await pilot.press("ctrl+r")
    say.clear()
    for ch in text:
        await press_and_time(pilot, say, frames, ch)
    await pilot.press("enter")
    # The turn is sent, the SayBox cleared, and the reply begins after the first token.
    for _ in range(500):
        if streaming(screen) and say.text == "":
            return
        await asyncio.sleep(0.002)
    raise RuntimeError("the buyer's reply did not start streaming")


async def bench(n_keys: int) -> dict[str, list[float]]:
    tmp = Path(_HOME)
    settings = load_settings(offline=True)
    store = Store(tmp / "bench.db")
    lib = library.load([library.shipped_folder()])
    setup = Setup.from_library(lib, SCENARIO, DIFFICULTY)
    rep = store.rep("Ana")
    store.set_pref("rep", rep.name)
    buyer = SlowBuyer()
    session = Session.begin(setup, store, rep, buyer=buyer, seed=7)
    app = RoleplayApp(settings, store=store, lib=lib, session=session)
    out: dict[str, list[float]] = {"stream": [], "stream_frame": [], "idle": [], "idle_frame": []}
    skipped = 0
    turns = 0
    rng = random.Random(1)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PracticeScreen), screen
        say = screen.query_one("#say", SayBox)
        assert say.has_focus
        frames = Frames(app)

        # Warm-up: a few keys, not timed, so first-use costs don't land in either set.
        for key in "warmup":
            await press_and_time(pilot, say, frames, key)
        say.clear()

        # While the buyer's reply streams.
        i = 0
        while len(out["stream"]) < n_keys:
            if streaming(screen) and len(say.text) > 60:
                say.clear()  # housekeeping: keep the rep's text short; not timed
                await asyncio.sleep(0)
            if not streaming(screen):
                await pilot.pause()
                while screen.busy:  # the tail of a reply (saving, grades): not a streaming key
                    await asyncio.sleep(0.01)
                await send_turn(pilot, screen, say, frames, QUESTIONS[turns % len(QUESTIONS)])
                turns += 1
            key = KEYS[i % len(KEYS)]
            i += 1
            live_before = streaming(screen)
            echo, frame = await type_key(pilot, say, frames, key, rng)
            if live_before and streaming(screen):
                out["stream"].append(echo)
                if frame is not None:
                    out["stream_frame"].append(frame)
            else:
                skipped += 1

        # Baseline: no stream running, same app, same transcript.
        while screen.busy:
            await asyncio.sleep(0.01)
        await pilot.pause()
        say.clear()
        i = 0
        while len(out["idle"]) < n_keys:
            if len(say.text) > 60:
                say.clear()
                await pilot.pause()
            key = KEYS[i % len(KEYS)]
            i += 1
            assert not screen.busy and screen.live is None
            echo, frame = await type_key(pilot, say, frames, key, rng)
            out["idle"].append(echo)
            if frame is not None:
                out["idle_frame"].append(frame)
        assert not session.over, "the call ended during the bench"
    out["meta"] = [turns, buyer.replies, skipped]
    store.close()
    return out


def main() -> int:
    global TOKEN_WORK
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("keys", nargs="?", type=int, default=100, help="keys timed in each set")
    parser.add_argument("--token-work-ms", type=float, default=0.0,
                        help="block the event loop this long per token (checks the harness sees jank)")
    args = parser.parse_args()
    n_keys, TOKEN_WORK = args.keys, args.token_work_ms / 1000
    t_start = time.perf_counter()
    try:
        out = asyncio.run(bench(n_keys))
    finally:
        shutil.rmtree(_HOME, ignore_errors=True)
    turns, replies, skipped = (int(x) for x in out["meta"])

    def row(label: str, xs: list[float]) -> str:
        ms = [x * 1000 for x in xs]
        return (f"  {label:<34} p50 {statistics.median(ms):6.1f} ms   p95 {pct(ms, 0.95):6.1f} ms   "
                f"max {max(ms):6.1f} ms   (n={len(ms)})")

    print(f"Input echo latency in the practice screen (headless run_test, 100x30, "
          f"{SCENARIO}/{DIFFICULTY}, offline judge)")
    print(f"streaming: buyer reply of {TOKENS} tokens at {1 / TOKEN_GAP:.0f} tokens/s; "
          f"{turns} rep turns sent, {replies} replies; {skipped} keys not counted "
          f"(the stream started or ended mid-key)")
    print(row("while streaming: key -> SayBox text", out["stream"]))
    print(row("no stream (baseline): key -> text", out["idle"]))
    print(f"  ratio streaming / baseline: p50 {statistics.median(out['stream']) / statistics.median(out['idle']):.2f}x"
          f"   p95 {pct(out['stream'], 0.95) / pct(out['idle'], 0.95):.2f}x")
    if out["stream_frame"] and out["idle_frame"]:
        print("until the next composed frame (what the rep would see):")
        print(row("while streaming: key -> frame", out["stream_frame"]))
        print(row("no stream (baseline): key -> frame", out["idle_frame"]))
    p95 = pct(out["stream"], 0.95) * 1000
    print(f"floor: p95 echo while streaming < {FLOOR_MS:.0f} ms: {'met' if p95 < FLOOR_MS else 'NOT met'} "
          f"({p95:.1f} ms)   [bench took {time.perf_counter() - t_start:.1f} s]")
    return 0 if p95 < FLOOR_MS else 1


if __name__ == "__main__":
    sys.exit(main())
