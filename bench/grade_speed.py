"""How fast `roleplay grade` grades a folder of calls offline (the signals alone).

Generates N transcripts of 10 turns each (5 buyer, 5 rep) in a temp folder:
realistic rep lines and the buyer lines of a shipped scenario's offline
script, in the three input forms (half plain text with timestamps, a quarter
JSON, a quarter YAML). Then times, in the same run:

  - batch, in-process: `roleplay.cli.main(["grade", FOLDER, ..., "--json"])`,
    stdout captured (the library, rubric and judge are set up once);
  - batch, as a command: `python -m roleplay grade FOLDER ... --json`, start-up
    included;
  - the baseline: one `python -m roleplay grade FILE ... --json` process per
    file for the first 20 files, extrapolated to N.

Prints turns per second (every turn read; the rep turns are the ones graded)
for each, best of 3 runs (1 for the baseline), and checks the output is N
JSON lines, each with its "file". Floor: 300 turns/s for the batch command.

    python bench/grade_speed.py [N]
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from library_lines import strings

# No user config, library, model or data: set before roleplay is imported.
_HOME = tempfile.mkdtemp(prefix="roleplay-bench-home-")
os.environ.update(HOME=_HOME, XDG_CONFIG_HOME=os.path.join(_HOME, ".config"),
                  XDG_DATA_HOME=os.path.join(_HOME, ".local", "share"))
for _key in [k for k in os.environ if k.startswith("ROLEPLAY_")]:
    del os.environ[_key]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from roleplay import cli, library  # noqa: E402

RUBRIC = "objection-handling"
TURNS_EACH = 10
REP_LINES = [
    "That's fair, Dana, and I'd rather hear it now than in a month. What are you comparing the forty-eight to?",
    "When a reefer unit fails on the road today, how do you find out, and what does it cost you?",
    "So seventy-six thousand this quarter, on two loads. That's more than the whole contract for a year.",
    "If it helps get this over the line, I can probably get you fifteen percent off this month.",
    "Fair point. Forty-eight is the price. Who else looks at a spend like this?",
    "I hear you. It is a big jump from twenty-one.",
    "Our platform re-plans the whole board when a truck goes down, integrates with Samsara and Geotab, "
    "and has a driver app, live temperature alerts and white-glove onboarding.",
    "Does that change how the price looks to you, or is there something I'm still missing?",
    "Could we book thirty minutes with you and Mark on Thursday at 10 to walk through the numbers?",
    "Totally, and that makes sense. How is MedCo reacting to the two incidents?",
    "Just checking in, did you get a chance to look at the proposal?",
    "What would need to be true for this to be an easy yes for finance?",
]


def make_transcripts(folder: Path, n: int, seed: int = 7) -> int:
    """Write n transcripts; the number of turns written."""
    lib = library.load([library.shipped_folder()])
    scenario = lib.find("scenario", "price-objection").model
    buyer_lines = sorted(set(strings(scenario.offline_script.model_dump())))
    rnd = random.Random(seed)
    for i in range(n):
        turns = [("buyer" if k % 2 == 0 else "rep",
                  rnd.choice(buyer_lines if k % 2 == 0 else REP_LINES)) for k in range(TURNS_EACH)]
        form = ("txt", "txt", "json", "yaml")[i % 4]
        path = folder / f"call-{i:04d}.{form}"
        if form == "txt":
            path.write_text("".join(f"[00:{k // 2:02d}:{k * 7 % 60:02d}] {s.capitalize()}: {t}\n"
                                    for k, (s, t) in enumerate(turns)))
        elif form == "json":
            path.write_text(json.dumps({"turns": [{"speaker": s, "text": t} for s, t in turns]}, indent=2))
        else:
            path.write_text("turns:\n" + "".join(f"  - speaker: {s}\n    text: {json.dumps(t)}\n"
                                                 for s, t in turns))
    return n * TURNS_EACH


def in_process(folder: Path) -> tuple[float, str]:
    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(["grade", str(folder), "--rubric", RUBRIC, "--offline", "--json"])
    elapsed = time.perf_counter() - started
    assert code == 0, code
    return elapsed, out.getvalue()


def command(*paths: Path) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "roleplay", "grade", *map(str, paths), "--rubric", RUBRIC,
                           "--offline", "--json"], capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr
    return elapsed, proc.stdout


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory(prefix="roleplay-grade-bench-") as tmp:
        folder = Path(tmp)
        turns = make_transcripts(folder, n)
        files = sorted(folder.iterdir())
        rep_turns = turns // 2

        times = []
        for _ in range(3):
            t, out = in_process(folder)
            times.append(t)
        lines = out.splitlines()
        assert len(lines) == n and all(json.loads(ln)["file"] for ln in lines), "one JSON line a file"
        t_in = min(times)
        t_cmd = min(command(folder)[0] for _ in range(3))
        sample = files[:20]
        t_one = sum(command(f)[0] for f in sample)
        t_base = t_one / len(sample) * n

    print(f"{n} transcripts of {TURNS_EACH} turns ({turns:,} turns, {rep_turns:,} rep turns graded), "
          f"rubric {RUBRIC}, offline (signals only)\n")
    print(f"{'':40}{'seconds':>9}{'turns/s':>10}{'calls/s':>9}")
    rows = [("batch, in-process", t_in), ("batch, `roleplay grade FOLDER --json`", t_cmd),
            (f"one process per file (baseline, {len(sample)} timed)", t_base)]
    for name, t in rows:
        print(f"{name:40}{t:>9.2f}{turns / t:>10,.0f}{n / t:>9,.0f}")
    print(f"\nbatch command vs one process per file: {t_base / t_cmd:.0f}x faster "
          f"(start-up per process: {t_one / len(sample):.2f} s)")
    floor = 300
    ok = turns / t_cmd >= floor
    print(f"Floor: batch command >= {floor} turns/s: {'met' if ok else 'NOT MET'} ({turns / t_cmd:,.0f}).")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
