"""How fast `roleplay validate` checks a large library.

Generates N scenario files (copies of a shipped scenario with their own ids)
that use a shipped rubric, then times:
  - the YAML parse alone (the baseline: no validation can be faster than reading),
  - the whole validation in-process (parse, models, references),
  - the real command, `roleplay validate FOLDER`, start-up included.
Prints files/s for each and the ratio of validation to bare parsing.
Floor from the issue: 1,000 files/s on a 2-core machine.

    python bench/validate_speed.py [N]
"""

from __future__ import annotations

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


def best_of(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
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

        def command() -> None:
            proc = subprocess.run([sys.executable, "-m", "roleplay", "validate", str(folder)],
                                  capture_output=True, text=True)
            assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]

        base_best, base_med = best_of(3, parse_only)
        val_best, val_med = best_of(3, validate)
        cmd_best, cmd_med = best_of(3, command)
    print(f"files: {count}")
    print(f"baseline, YAML parse only (libyaml): {count / base_med:8.0f} files/s (median of 3)")
    print(f"validate, in-process:                {count / val_med:8.0f} files/s (median of 3)")
    print(f"roleplay validate FOLDER (command):  {count / cmd_med:8.0f} files/s (median of 3, start-up included)")
    print(f"validation cost vs bare parse:       {val_med / base_med:8.2f}x")
    print("floor: 1000 files/s", "OK" if count / cmd_med >= 1000 else "BELOW FLOOR")


if __name__ == "__main__":
    main()
