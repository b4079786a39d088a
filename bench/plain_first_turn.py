"""How long the first model turn of `roleplay practice --plain` waits, with litellm imported in
the background while the rep types (now) and without (before: imported on the first turn).

Each run is a real `roleplay practice price-objection --plain --model openai/fake` process
against the local fake provider of `turn_speed.py` (buyer 50 ms to its first word, judge
100 ms). The rep "types" for TYPING seconds after the prompt appears, then sends one line;
timed is the send to the buyer's line on screen. Baseline, in the same run: the same process
with the background import switched off (`plain.warm_in_background` replaced by a no-op).
Also printed: a bare `import litellm` in a fresh process, for scale.

    python bench/plain_first_turn.py [RUNS] [TYPING_SECONDS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from turn_speed import FakeProvider  # noqa: E402  (sets up a throw-away HOME)

LINE = "When you say it's double, what are you comparing it to?"
BUYER = "Dana Whitfield:"
COLD = ("import sys, roleplay.plain as p; p.warm_in_background = lambda s: None; "
        "from roleplay.cli import main; sys.exit(main(sys.argv[1:]))")
WARM = "import sys; from roleplay.cli import main; sys.exit(main(sys.argv[1:]))"


class Output:
    """A child's stdout, read as it comes, with the time each piece arrived."""

    def __init__(self, proc: subprocess.Popen):
        self.text, self.cond = "", threading.Condition()
        threading.Thread(target=self._read, args=(proc.stdout,), daemon=True).start()

    def _read(self, stream) -> None:  # noqa: ANN001
        while chunk := os.read(stream.fileno(), 65536):
            with self.cond:
                self.text += chunk.decode(errors="replace")
                self.cond.notify_all()

    def wait_for(self, what: str, after: int = 0, timeout: float = 60) -> float:
        end = time.monotonic() + timeout
        with self.cond:
            while what not in self.text[after:]:
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{what!r} never came; got:\n{self.text[-800:]}")
                self.cond.wait(left)
        return time.perf_counter()


def one_run(code: str, port: int, home: str, typing: float) -> float:
    env = {**os.environ, "HOME": home, "XDG_CONFIG_HOME": f"{home}/.config",
           "XDG_DATA_HOME": f"{home}/.local/share", "ROLEPLAY_API_BASE": f"http://127.0.0.1:{port}/v1",
           "OPENAI_API_KEY": "sk-bench", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    proc = subprocess.Popen([sys.executable, "-c", code, "practice", "price-objection", "--plain",
                             "--model", "openai/fake-buyer", "--rep", "Bench"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    out = Output(proc)
    try:
        out.wait_for("> ")
        time.sleep(typing)  # the rep reads the opening and types
        mark = len(out.text)
        sent = time.perf_counter()
        proc.stdin.write((LINE + "\n").encode())
        proc.stdin.flush()
        shown = out.wait_for(BUYER, after=mark)
        return shown - sent
    finally:
        proc.stdin.close()
        proc.wait(30)


def bare_import() -> float:
    code = "import time; t = time.perf_counter(); import litellm; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}).stdout)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    typing = float(sys.argv[2]) if len(sys.argv) > 2 else 8.0
    cold: list[float] = []
    warm: list[float] = []
    with FakeProvider(buyer_latency=0.05, judge_latency=0.1) as provider, \
            tempfile.TemporaryDirectory() as home:
        for _ in range(runs):  # alternated, so drift hits both alike
            cold.append(one_run(COLD, provider.port, home, typing))
            warm.append(one_run(WARM, provider.port, home, typing))
    imp = statistics.median(bare_import() for _ in range(3))
    print(f"--plain, first model turn: send -> buyer's line on screen ({runs} runs each, "
          f"rep types for {typing:g} s)")
    print(f"  litellm imported on the first turn (before): median {statistics.median(cold):.2f} s "
          f"(min {min(cold):.2f}, max {max(cold):.2f})")
    print(f"  imported in the background (now):            median {statistics.median(warm):.2f} s "
          f"(min {min(warm):.2f}, max {max(warm):.2f})")
    print(f"  bare `import litellm` in a fresh process:     median {imp:.2f} s")
    print(f"  saved on the first turn: {statistics.median(cold) - statistics.median(warm):.2f} s")


if __name__ == "__main__":
    main()
