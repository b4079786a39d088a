"""Signals against hand-labelled rep lines: precision, recall and Cohen's kappa per signal.

The corpus (tests/corpus/part_*.yaml, labelled against tests/corpus/SPEC.md)
is split by id: a fifth is held out of all tuning. Both halves are printed.

    .venv/bin/python bench/signal_corpus.py            # the table
    .venv/bin/python bench/signal_corpus.py --errors acknowledgment   # tuning-half misses only
"""

from __future__ import annotations

import argparse
import sys
import zlib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from roleplay.engine.agreement import Agreement  # noqa: E402
from roleplay.engine.signals import SIGNALS, SignalContext  # noqa: E402

CORPUS = ROOT / "tests" / "corpus"
LABELS = ["question", "open-question", "acknowledgment", "next-step-ask", "discount-offered",
          "complies-with-brush-off", "talks-to-grader"]
FLOORS = {"question": 0.8, "open-question": 0.8, "acknowledgment": 0.7, "next-step-ask": 0.7}


def held_out(item_id: str) -> bool:
    """A fifth of the corpus, fixed by id, that no tuning ever looks at."""
    return zlib.crc32(item_id.encode()) % 5 == 0


def load() -> list[dict]:
    items: list[dict] = []
    for path in sorted(CORPUS.glob("part_*.yaml")):
        items += yaml.safe_load(path.read_text(encoding="utf-8"))
    return items


def verdicts(item: dict, module=None) -> dict[str, bool]:  # noqa: ANN001
    signals, context = (SIGNALS, SignalContext) if module is None else (module.SIGNALS, module.SignalContext)
    ctx = context(buyer_last=item.get("buyer") or "")
    return {label: signals[label](item["rep"], ctx).hit for label in LABELS if label in signals}


def signals_at(rev: str):  # noqa: ANN201
    """The signals module as it was at a git revision: the baseline, measured in the same run."""
    import importlib.util
    import subprocess
    import tempfile

    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:roleplay/engine/signals.py"],
                            capture_output=True, text=True, check=True).stdout
    path = Path(tempfile.mkdtemp()) / "baseline_signals.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("baseline_signals", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["baseline_signals"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def measure(items: list[dict], module=None) -> dict[str, dict[str, Agreement]]:  # noqa: ANN001
    out = {"tuning": {l: Agreement() for l in LABELS}, "held-out": {l: Agreement() for l in LABELS}}
    for item in items:
        got = verdicts(item, module)
        half = out["held-out" if held_out(item["id"]) else "tuning"]
        for label in LABELS:
            if label in got:
                half[label].add(label in (item.get("labels") or []), got[label])
    return out


def _f(x: float | None) -> str:
    return "  -  " if x is None else f"{x:5.2f}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--errors", help="print the tuning half's disagreements for this label")
    parser.add_argument("--baseline", default="9a61da7",
                        help="git revision whose signals are measured beside today's (default: before issue 7)")
    args = parser.parse_args()
    items = load()
    if args.errors:
        for item in items:
            if held_out(item["id"]):
                continue
            want = args.errors in (item.get("labels") or [])
            got = verdicts(item)[args.errors]
            if want != got:
                print(f"{'MISSED' if want else 'FALSE '} {item['id']}: buyer={item.get('buyer','')[:70]!r}\n"
                      f"        rep={item['rep']!r}")
        return 0
    res = measure(items)
    try:
        base = measure(items, signals_at(args.baseline)) if args.baseline else None
    except Exception as exc:  # no git history (an exported tree): today's figures alone
        print(f"(baseline {args.baseline} not measured: {exc})")
        base = None
    n_hold = sum(held_out(i["id"]) for i in items)
    print(f"Signal agreement with hand labels: {len(items)} rep lines "
          f"({len(items) - n_hold} tuning, {n_hold} held out)\n")
    print(f"{'signal':<24} {'half':<9} {'pos':>4} {'prec':>6} {'recall':>6} {'kappa':>6} {'base':>6}  floor")
    ok = True
    for label in LABELS:
        for half in ("tuning", "held-out"):
            a = res[half][label]
            floor = FLOORS.get(label)
            mark = ""
            if floor is not None:
                good = a.kappa is not None and a.kappa >= floor
                mark = f"{floor:.2f} {'ok' if good else 'BELOW'}"
                ok = ok and (good or half == "tuning")
            b = base[half][label] if base else None
            was = _f(b.kappa) if b is not None and b.n else "  -  "
            print(f"{label:<24} {half:<9} {a.tp + a.fn:>4} {_f(a.precision):>6} {_f(a.recall):>6} "
                  f"{_f(a.kappa):>6} {was:>6}  {mark}")
    print(f"\n(base: kappa of the signals at {args.baseline}, measured in this run; kappa 0 = chance agreement;"
          " the floors apply to the held-out fifth)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
