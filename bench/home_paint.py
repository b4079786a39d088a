"""Home's first paint as history grows: 10 sessions against 5,000, and a bare Textual app.

The real command (the venv's `roleplay`, as a user types it) runs in an 80x24
pty (bench/startup.py's harness), with HOME and the XDG folders in a temp
folder whose store holds the rep Ana (remembered as the last rep) and N of her
finished sessions. Each session is a copy of one real offline practice call
(its turns, grades, buyer states and scorecard, so the rows are the size they
are in use), with its own id and start time, one an hour back from now.

  paint  the moment the home screen's text has arrived on the pty, including
         the 'Practise next' line, which needs the history read.

Baseline, in the same run and harness: a bare Textual app painting one line
(`App` with one `Static`, exiting after its first paint, as roleplay does with
ROLEPLAY_EXIT_AFTER_PAINT=1). The three are interleaved, run after run, so
drift hits them alike.

Also, in a child process per size, the store reads home makes at start (the
last rep, her newest session, 'practise next', the newest 5, a paused one),
timed alone: the part of the paint that could grow with the history.

Also the start after a library file changed (no saved scenario rows: the library
is read before the first paint; catalog.json removed before each such run).

Goals: first paint at most 2x the bare app's; paint at 5,000 sessions within 10% of paint at 10 (the median of each run's
5,000/10 pair, which cancels a busy machine's drift; the medians' ratio is printed too).

    python bench/home_paint.py [RUNS] [WARMUPS] [SESSIONS ...]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from startup import PYTHON, ROLEPLAY, run_in_pty, visible  # noqa: E402

MARKERS = (b"offline practice", b"The buyer says", b"Practise next")
BARE_MARKER = b"bare one line"
BARE = [PYTHON, "-c", (
    "from textual.app import App\n"
    "from textual.widgets import Static\n"
    "class Bare(App):\n"
    "    def compose(self):\n"
    "        yield Static('bare one line')\n"
    "    def on_mount(self):\n"
    "        self.call_after_refresh(self.exit, 0)\n"
    "Bare().run()\n")]

# Run in a child with the bench's environment: one real offline call, then N copies of it.
FILL = r"""
import asyncio, sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from roleplay import library
from roleplay.engine.session import Session, Setup
from roleplay.store import Store, new_session_id

path, n = Path(sys.argv[1]), int(sys.argv[2])
store = Store(path)
rep = store.rep("Ana")
store.set_pref("rep", "Ana")
lib = library.load([library.shipped_folder()])
LINES = ["That's a fair reaction. What are you comparing it to?",
         "What does a spoiled load cost you when it happens?",
         "How is MedCo reacting to the two incidents this quarter?",
         "Who else weighs in on a decision like this, besides you?",
         "I could knock ten percent off if you sign this month.",
         "Could we get 30 minutes with you and Mark on Thursday at 10 to walk through the numbers?"]

async def one():
    session = Session.begin(Setup.from_library(lib, "price-objection", "medium"), store, rep, seed=7)
    for line in LINES:
        async for _ in session.say(line):
            pass
        if session.over:
            break
    await session.end()
    return session.id

model = asyncio.run(one())
now = datetime.now(timezone.utc)
db = store.db
with store._tx():
    db.execute("DELETE FROM sessions WHERE id != ?", (model,))
    cols = [r[1] for r in db.execute("PRAGMA table_info(sessions)")]
    copy = ", ".join("?" if c in ("id", "started") else c for c in cols)
    for i in range(n - 1):
        sid = new_session_id()
        started = (now - timedelta(hours=n - i)).isoformat(timespec="seconds")
        db.execute(f"INSERT INTO sessions({', '.join(cols)}) SELECT {copy} FROM sessions WHERE id = ?",
                   (sid, started, model) if cols.index("id") < cols.index("started") else (started, sid, model))
        db.execute("INSERT INTO turns(session_id, idx, speaker, text, note, interrupted, hint_used, created, author)"
                   " SELECT ?, idx, speaker, text, note, interrupted, hint_used, created, author"
                   " FROM turns WHERE session_id = ?", (sid, model))
        db.execute("INSERT INTO grades SELECT ?, turn_idx, criterion, source, verdict, score, evidence, reason"
                   " FROM grades WHERE session_id = ?", (sid, model))
        db.execute("INSERT INTO past_states SELECT ?, turn_idx, state FROM past_states WHERE session_id = ?",
                   (sid, model))
print(db.execute("SELECT count(*) FROM sessions").fetchone()[0],
      db.execute("SELECT count(*) FROM turns").fetchone()[0],
      path.stat().st_size)
store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
store.close()
"""


READS = r"""
import statistics, sys, time
from pathlib import Path
from roleplay.store import Store

t0 = time.perf_counter()
store = Store(Path(sys.argv[1]))
opened = time.perf_counter() - t0
times = []
for _ in range(200):
    t0 = time.perf_counter()
    store.pref("rep"); store.rep("Ana"); store.sessions(limit=1); store.practise_next("Ana")
    store.sessions("Ana", limit=5, light=True); store.sessions("Ana", status="active", limit=1, light=True)
    times.append(time.perf_counter() - t0)
print(opened * 1000, statistics.median(times) * 1000)
"""


def home_reads(env: dict[str, str], cwd: str) -> tuple[float, float]:
    """(ms to open the store, cold; median ms of home's reads)."""
    db = Path(env["XDG_DATA_HOME"]) / "roleplay" / "roleplay.db"
    out = subprocess.run([PYTHON, "-c", READS, str(db)], env=env, cwd=cwd, check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def make_home(n: int) -> tuple[str, dict[str, str], str]:
    home = tempfile.mkdtemp(prefix=f"roleplay-bench-home{n}-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROLEPLAY_", "TEXTUAL", "PYTHON"))}
    env.update({
        "HOME": home,
        "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "XDG_DATA_HOME": os.path.join(home, ".local", "share"),
        "TERM": "xterm-256color",
        "COLUMNS": "80",
        "LINES": "24",
        "ROLEPLAY_EXIT_AFTER_PAINT": "1",
    })
    env.pop("NO_COLOR", None)
    db = Path(env["XDG_DATA_HOME"]) / "roleplay" / "roleplay.db"
    out = subprocess.run([PYTHON, "-c", FILL, str(db), str(n)], env=env, cwd=home, check=True,
                         capture_output=True, text=True).stdout.split()
    sessions, turns, size = (int(x) for x in out[-3:])
    return home, env, f"{sessions:,} sessions, {turns:,} turns, {size / 1e6:.1f} MB"


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    warmups = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    sizes = [int(a) for a in sys.argv[3:]] or [10, 5000]
    homes = {n: make_home(n) for n in sizes}
    times: dict[str, list[float]] = {str(n): [] for n in sizes} | {"bare": [], "unsaved": []}
    try:
        for i in range(warmups + runs):
            for n in sizes:
                home, env, _ = homes[n]
                seen, _, raw, code = run_in_pty(ROLEPLAY, env, home, MARKERS)
                if code != 0 or seen is None:
                    print(f"{n} sessions, run {i}: exit code {code}, home painted: {seen is not None}")
                    print(visible(raw)[-2000:])
                    return 2
                if i >= warmups:
                    times[str(n)].append(seen)
            # The first start after a library file changed: no saved scenario rows to paint from.
            home, env, _ = homes[sizes[0]]
            (Path(env["XDG_DATA_HOME"]) / "roleplay" / "catalog.json").unlink(missing_ok=True)
            seen, _, raw, code = run_in_pty(ROLEPLAY, env, home, MARKERS)
            if code != 0 or seen is None:
                print(f"first start, run {i}: exit code {code}: {visible(raw)[-2000:]}")
                return 2
            if i >= warmups:
                times["unsaved"].append(seen)
            seen, _, raw, code = run_in_pty(BARE, env, home, (BARE_MARKER,))
            if code != 0 or seen is None:
                print(f"bare app failed ({code}): {visible(raw)[-2000:]}")
                return 2
            if i >= warmups:
                times["bare"].append(seen)
        homes_env = {n: env for n, (_, env, _) in homes.items()}
        med = {k: statistics.median(v) for k, v in times.items()}
        return report(runs, warmups, sizes, homes, homes_env, times, med)
    finally:
        for home, _, _ in homes.values():
            shutil.rmtree(home, ignore_errors=True)


def report(runs, warmups, sizes, homes, homes_env, times, med) -> int:  # noqa: ANN001
    print(f"home first paint, 80x24 pty ({runs} runs after {warmups} warm-ups, interleaved; median, min)")
    for n in sizes:
        k = str(n)
        print(f"  {n:>6,} sessions  {med[k] * 1000:7.1f} ms  (min {min(times[k]) * 1000:6.1f})   "
              f"{med[k] / med['bare']:.2f}x bare   [{homes[n][2]}]")
    print(f"  {sizes[0]:>6,} sessions, no saved scenario rows (the start after a library file changed)"
          f"  {med['unsaved'] * 1000:7.1f} ms  {med['unsaved'] / med['bare']:.2f}x bare")
    print(f"  bare Textual app painting one line  {med['bare'] * 1000:7.1f} ms  "
          f"(min {min(times['bare']) * 1000:6.1f})")
    print("home's store reads alone (a child process per size: open the store, then the reads, median of 200)")
    for n in sizes:
        opened, reads = home_reads(homes_env[n], homes_env[n]["HOME"])
        print(f"  {n:>6,} sessions  open {opened:6.2f} ms   reads {reads:6.3f} ms")
    small, big = str(sizes[0]), str(sizes[-1])
    ratio = med[big] / med[small]
    # Each run's own pair (the two launched one after the other): drift on a busy machine cancels.
    paired = statistics.median(b / a for a, b in zip(times[small], times[big]))
    print(f"paint at {sizes[-1]:,} / paint at {sizes[0]:,}: {ratio:.3f} of the medians, {paired:.3f} "
          f"median of each run's pair, {min(times[big]) / min(times[small]):.3f} of the minimums")
    print(f"goal: within 10% (<= 1.10), median of pairs: {'met' if paired <= 1.10 else 'NOT met'}")
    first = med[small] / med["bare"]
    print(f"first paint at {sizes[0]:,} sessions / bare app: {first:.2f}x; goal: at most 2x: "
          f"{'met' if first <= 2.0 else 'NOT met'}")
    return 0 if paired <= 1.10 and first <= 2.0 else 1


if __name__ == "__main__":
    sys.exit(main())
