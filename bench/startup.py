"""How long `roleplay` takes from launch to its first painted home screen, in a real terminal.

The real command (the venv's `roleplay` script, as a user types it) runs in a
pseudo-terminal sized 80x24 with TERM=xterm-256color, the pty as its
controlling terminal and as stdin/stdout/stderr. HOME and the XDG folders
point at a temp folder whose store already has a rep ("Ana", remembered as
the last rep), so the home screen comes up with no dialog. With
ROLEPLAY_EXIT_AFTER_PAINT=1 the app exits right after its first paint.

Two times per run, both from just before the process is created:
  paint  the moment the home screen's text ("offline practice", "The buyer says")
         has arrived on the pty: what the rep sees. The headline number.
  exit   the process has exited (paint + restoring the terminal + teardown).

Baseline, measured in the same run and the same harness: a bare
`python -c "import textual.app"` (process exit). That is the floor no
Textual app can beat; the ratio paint/baseline says how much of start-up is
the app's own.

Also checked: litellm (seconds to import) is not imported on this path, by
`python -c "import roleplay.cli, roleplay.app.app, sys; ..."` and by a
`-X importtime` run of the real start-up (which also lists the slowest
imports, for profiling).

Floor: median paint <= 0.5 s.

    python bench/startup.py [RUNS] [WARMUPS]
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
ROLEPLAY = [str(VENV_BIN / "roleplay")] if (VENV_BIN / "roleplay").exists() else [PYTHON, "-m", "roleplay"]
BASELINE = [PYTHON, "-c", "import textual.app"]
COLS, ROWS = 80, 24
MARKERS = (b"offline practice", b"The buyer says")
FLOOR = 0.5
TIMEOUT = 20.0


def make_home() -> tuple[str, dict[str, str]]:
    """A temp HOME with a store that already has the rep Ana; the environment pointing at it."""
    home = tempfile.mkdtemp(prefix="roleplay-bench-startup-")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ROLEPLAY_", "TEXTUAL", "PYTHON"))}
    env.update({
        "HOME": home,
        "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "XDG_DATA_HOME": os.path.join(home, ".local", "share"),
        "TERM": "xterm-256color",
        "COLUMNS": str(COLS),
        "LINES": str(ROWS),
        "ROLEPLAY_EXIT_AFTER_PAINT": "1",
    })
    env.pop("NO_COLOR", None)
    db = Path(env["XDG_DATA_HOME"]) / "roleplay" / "roleplay.db"
    # Make the store in a child with this environment, so nothing here imports roleplay.
    subprocess.run([PYTHON, "-c",
                    "import sys; from pathlib import Path; from roleplay.store import Store; "
                    "s = Store(Path(sys.argv[1])); s.rep('Ana'); s.set_pref('rep', 'Ana'); s.close()",
                    str(db)], env=env, check=True, cwd=home)
    assert db.exists(), db
    return home, env


def _controlling_tty() -> None:
    # Runs in the child after stdin/out/err are the pty slave and after setsid().
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def run_in_pty(argv: list[str], env: dict[str, str], cwd: str,
               markers: tuple[bytes, ...] = ()) -> tuple[float | None, float, bytes, int]:
    """Run argv in an 80x24 pty. (seconds until every marker was seen or None, seconds until exit,
    everything written to the terminal, exit code)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    out = bytearray()
    seen_at: float | None = None
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                            start_new_session=True, preexec_fn=_controlling_tty, close_fds=True)
    os.close(slave)
    exited_at: float | None = None
    try:
        while True:
            # Drain the pty all the time, or the child blocks on a full buffer.
            ready, _, _ = select.select([master], [], [], 0.005)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: every slave fd is closed (the child has exited)
                    chunk = b""
                now = time.perf_counter()
                if chunk:
                    out += chunk
                    if seen_at is None and markers and all(m in out for m in markers):
                        seen_at = now - t0
                    continue
            if exited_at is None and proc.poll() is not None:
                exited_at = time.perf_counter() - t0
            if exited_at is not None and not ready:
                break  # exited and nothing left to read
            if exited_at is not None and ready:
                break  # EIO after exit
            if time.perf_counter() - t0 > TIMEOUT:
                proc.kill()
                proc.wait()
                raise RuntimeError(f"{argv} did not finish in {TIMEOUT:.0f} s; output so far:\n"
                                   f"{visible(bytes(out))[-2000:]}")
    finally:
        os.close(master)
    return seen_at, exited_at, bytes(out), proc.returncode


_ESCAPES = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)")


def visible(raw: bytes) -> str:
    return _ESCAPES.sub(b"", raw).decode("utf-8", "replace")


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def import_check(env: dict[str, str], cwd: str) -> tuple[bool, bool, list[tuple[int, str]]]:
    """(litellm imported by the brief's one-liner, by the real start-up, slowest imports on that path)."""
    one_liner = subprocess.run(
        [PYTHON, "-c", "import roleplay.cli, roleplay.app.app, sys; print('litellm' in sys.modules)"],
        env=env, cwd=cwd, capture_output=True, text=True, check=True).stdout.strip() == "True"
    # The real start-up under -X importtime: stdout/stdin on a pty, stderr (the import log) to a file.
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen([PYTHON, "-X", "importtime", "-m", "roleplay"], stdin=slave,
                                stdout=slave, stderr=log, env=env, cwd=cwd, start_new_session=True,
                                preexec_fn=_controlling_tty)
        os.close(slave)
        try:
            while True:
                ready, _, _ = select.select([master], [], [], 0.05)
                if ready:
                    try:
                        if os.read(master, 65536):
                            continue
                    except OSError:
                        pass
                if proc.poll() is not None:
                    break
        finally:
            os.close(master)
        log.seek(0)
        text = log.read().decode("utf-8", "replace")
    modules = []
    for line in text.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            modules.append((int(m.group(2)), len(m.group(3)), m.group(4)))
    full = any(name == "litellm" or name.startswith("litellm.") for _, _, name in modules)
    top = sorted(((us, name) for us, depth, name in modules if depth <= 1), reverse=True)[:12]
    return one_liner, full, top


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    warmups = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    home, env = make_home()
    try:
        paint: list[float] = []
        exits: list[float] = []
        base: list[float] = []
        last_screen = ""
        for i in range(warmups + runs):
            # Interleave app and baseline runs so drift (other load) hits both alike.
            seen, ended, raw, code = run_in_pty(ROLEPLAY, env, home, MARKERS)
            if code != 0 or seen is None:
                print(f"run {i}: exit code {code}, home screen seen: {seen is not None}")
                print(visible(raw)[-3000:])
                return 2
            _, b_ended, b_raw, b_code = run_in_pty(BASELINE, env, home)
            if b_code != 0:
                print(f"baseline failed ({b_code}): {visible(b_raw)[-2000:]}")
                return 2
            if i >= warmups:
                paint.append(seen)
                exits.append(ended)
                base.append(b_ended)
                last_screen = visible(raw)
        one_liner, full_path, top = import_check(env, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)

    ms = lambda s: f"{s * 1000:7.1f} ms"  # noqa: E731
    med, base_med = statistics.median(paint), statistics.median(base)
    print(f"roleplay start-up to the first painted home screen "
          f"({runs} runs after {warmups} warm-ups, {COLS}x{ROWS} pty, TERM=xterm-256color)")
    print(f"  command:  {' '.join(os.path.relpath(a, ROOT) if a.startswith(str(ROOT)) else a for a in ROLEPLAY)}"
          f"  (ROLEPLAY_EXIT_AFTER_PAINT=1, a store with rep Ana)")
    print(f"  paint   median {ms(med)}   p90 {ms(pct(paint, 0.9))}   min {ms(min(paint))}")
    print(f"  exit    median {ms(statistics.median(exits))}   p90 {ms(pct(exits, 0.9))}   "
          f"min {ms(min(exits))}")
    print(f"baseline: python -c 'import textual.app' in the same pty harness")
    print(f"  exit    median {ms(base_med)}   p90 {ms(pct(base, 0.9))}   min {ms(min(base))}")
    print(f"ratio paint / baseline (median): {med / base_med:.2f}x   "
          f"(the app's own share: {ms(med - base_med).strip()})")
    found = [m.decode() for m in MARKERS if m.decode() in last_screen]
    print(f"home screen painted: {'yes' if len(found) == len(MARKERS) else 'NO'} "
          f"(found {', '.join(repr(f) for f in found)} in the terminal output)")
    print(f"litellm imported: by 'import roleplay.cli, roleplay.app.app': {one_liner}; "
          f"on the real start-up (-X importtime): {full_path}")
    print("slowest top-level imports on the real start-up (cumulative):")
    for us, name in top[:8]:
        print(f"  {us / 1000:7.1f} ms  {name}")
    ok = med <= FLOOR and not one_liner and not full_path and len(found) == len(MARKERS)
    print(f"floor: median paint <= {FLOOR:.1f} s: {'met' if med <= FLOOR else 'NOT met'}"
          + ("" if ok or med > FLOOR else " (but see the checks above)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
