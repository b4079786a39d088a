"""Drill plans: this week's practice a manager hands a rep or a team, and how far it has got.

A plan is a YAML file in the library's drills/ folder (roleplay/models/drill.py). Progress
is never kept anywhere: it is counted from the rep's finished sessions in the practice
history each time it is shown, with one small read of the store per plan.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from .words import moment

DEFAULT_DIFFICULTY = "medium"
"""The level a step that names none is practised at when started from home."""

MAX_MARKS = 10
"""A step that takes more sessions than this shows '12 of 20' without a mark per session."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's commands to the command line."""
    p = sub.add_parser(
        "drills", help="the drill plans a rep has been given, with progress and what to do next",
        description="Each drill plan (a file in a library's drills/ folder) that applies to the rep "
        "today, its steps with how many sessions are done, and what to practise next.")
    p.add_argument("--rep", help="whose plans (default: the rep who practised last)")
    p.add_argument("--json", action="store_true", help="print the plans and progress as JSON")
    p.add_argument("--library", action="append", type=Path, default=[], metavar="FOLDER",
                   help="another folder of scenarios, rubrics, personas and drill plans (may repeat)")
    p.set_defaults(func=cmd_drills)


# ----------------------------------------------------------------------------- progress

@dataclass
class StepProgress:
    """One step of a plan and how many of its sessions are done."""

    label: str  # "Price objection, medium", "Pass handling an objection"
    short: str  # "price objection medium", for home's one line
    count: int
    target: int
    scenario: str | None  # what to practise for it (a rubric step: a scenario graded by the rubric)
    difficulty: str
    step: Any = field(repr=False, default=None)  # models.drill.Step

    @property
    def done(self) -> bool:
        return self.count >= self.target

    @property
    def marks(self) -> str:
        """'✓✓·': a mark for each session done, a dot for each to go."""
        if self.target > MAX_MARKS:
            return ""
        return "✓" * self.count + "·" * (self.target - self.count)


@dataclass
class PlanProgress:
    """A drill plan as it stands for one rep."""

    id: str
    title: str
    path: Path
    description: str
    in_order: bool
    starts: date | None
    ends: date | None
    steps: list[StepProgress]

    @property
    def done(self) -> bool:
        return all(s.done for s in self.steps)

    @property
    def next(self) -> StepProgress | None:
        """The step to practise next: the first one not done (in order or not)."""
        return next((s for s in self.steps if not s.done), None)

    def to_json(self) -> dict[str, Any]:
        nxt = self.next
        return {
            "id": self.id, "title": self.title, "file": str(self.path),
            "from": self.starts.isoformat() if self.starts else None,
            "until": self.ends.isoformat() if self.ends else None,
            "in_order": self.in_order, "done": self.done,
            "steps": [{"label": s.label, "scenario": s.step.scenario, "rubric": s.step.rubric,
                       "difficulty": s.step.difficulty, "passed_only": s.step.rubric is not None or s.step.passed,
                       "done_sessions": s.count, "target": s.target, "done": s.done} for s in self.steps],
            "next": None if nxt is None else {"label": nxt.label, "scenario": nxt.scenario,
                                              "difficulty": nxt.difficulty},
        }




def _lower_first(text: str) -> str:
    """'Handling an objection' -> 'handling an objection'; 'MEDDIC qualification' stays as it is."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _utc_stamp(day: date) -> str:
    """Local midnight at the start of `day`, as the store writes times (UTC, ISO)."""
    local = datetime.combine(day, time.min).astimezone()
    return local.astimezone(timezone.utc).isoformat(timespec="seconds")


def applies(drill, rep: str, today: date) -> bool:  # noqa: ANN001 - models.Drill
    return drill.is_for(rep) and drill.is_current(today)


def plans_for(lib, rep: str, today: date | None = None) -> list:  # noqa: ANN001 - library.Library; -> Entry
    """The drill plans of the library that apply to `rep` today, whose files have no problems."""
    today = today or date.today()
    return sorted((e for e in lib.drills.values()
                   if str(e.path) not in lib.broken and applies(e.model, rep, today)),
                  key=lambda e: (e.model.until or date.max, e.model.id))


def _practise_for_rubric(lib, rubric_id: str, preferred: list[str]) -> str | None:  # noqa: ANN001
    """A scenario graded by the rubric: one the plan names if it can, else the first by id."""
    graded = sorted(e.model.id for e in lib.usable_scenarios() if e.model.rubric == rubric_id)
    return next((s for s in preferred if s in graded), graded[0] if graded else None)


def _matches(step, row: tuple[str, str, str, bool | None]) -> bool:  # noqa: ANN001 - models.drill.Step
    scenario_id, difficulty, rubric_id, passed = row
    if step.difficulty is not None and difficulty != step.difficulty:
        return False
    if step.scenario is not None:
        return scenario_id == step.scenario and (not step.passed or passed is True)
    return rubric_id == step.rubric and passed is True


def progress(store, lib, entry, rep: str) -> PlanProgress:  # noqa: ANN001 - Store, Library, Entry
    """How far `rep` has got with the plan in `entry`, from the finished sessions of the practice
    history started within the plan's days. In order, a session counts only for the step the rep
    is on; otherwise it counts for every step it matches."""
    drill = entry.model
    rows = store.finished_for_drill(
        rep, since=_utc_stamp(drill.from_) if drill.from_ else None,
        until=_utc_stamp(drill.until + timedelta(days=1)) if drill.until else None,
        scenarios=[s.scenario for s in drill.steps if s.scenario],
        rubrics=[s.rubric for s in drill.steps if s.rubric])
    counts = [0] * len(drill.steps)
    targets = [s.target for s in drill.steps]
    if drill.in_order:
        at = 0
        for row in rows:
            while at < len(counts) and counts[at] >= targets[at]:
                at += 1
            if at == len(counts):
                break
            if _matches(drill.steps[at], row):
                counts[at] += 1
    else:
        for row in rows:
            for i, step in enumerate(drill.steps):
                if counts[i] < targets[i] and _matches(step, row):
                    counts[i] += 1
    named = [s.scenario for s in drill.steps if s.scenario]
    steps = []
    for step, count, target in zip(drill.steps, counts, targets):
        level = step.difficulty or DEFAULT_DIFFICULTY
        if step.scenario is not None:
            passing = ", passing" if step.passed else ""
            label = moment(step.scenario) + (f", {step.difficulty}" if step.difficulty else "") + passing
            short = " ".join(filter(None, [moment(step.scenario).lower(), step.difficulty,
                                           "passing" if step.passed else ""]))
            scenario = step.scenario
        else:
            rubric = lib.rubrics.get(step.rubric)
            name = _lower_first(rubric.model.title) if rubric else step.rubric
            label = f"Pass {name}" + (f", {step.difficulty}" if step.difficulty else "")
            short = f"pass {name}" + (f" {step.difficulty}" if step.difficulty else "")
            scenario = _practise_for_rubric(lib, step.rubric, named)
        steps.append(StepProgress(label, short, count, target, scenario, level, step))
    return PlanProgress(drill.id, drill.title, entry.path, drill.description, drill.in_order,
                        drill.from_, drill.until, steps)


def all_progress(store, lib, rep: str, today: date | None = None) -> list[PlanProgress]:  # noqa: ANN001
    return [progress(store, lib, e, rep) for e in plans_for(lib, rep, today)]


# ----------------------------------------------------------------------------- words

def _days(plan: PlanProgress) -> str:
    if plan.starts and plan.ends:
        return f"{plan.starts:%a %d %b} to {plan.ends:%a %d %b}"
    if plan.ends:
        return f"until {plan.ends:%a %d %b}"
    if plan.starts:
        return f"from {plan.starts:%a %d %b}"
    return ""


def next_words(plan: PlanProgress) -> str:
    """What to do next, as a sentence's end: 'Price objection, medium (1 more)'."""
    nxt = plan.next
    if nxt is None:
        return "nothing: the plan is done"
    more = nxt.target - nxt.count
    what = nxt.label
    if nxt.step.rubric is not None and nxt.scenario:
        what += f" (e.g. {moment(nxt.scenario)}, {nxt.difficulty})"
    return f"{what}, {more} more"


def plan_lines(plan: PlanProgress) -> list[str]:
    """A plan, its steps and what to do next, as lines for the command line."""
    days = _days(plan)
    head = f"{plan.title} ({plan.id})" + (f", {days}" if days else "")
    lines = [head + (": done ✓" if plan.done else "")]
    width = max(len(s.label) for s in plan.steps)
    for i, s in enumerate(plan.steps, 1):
        number = f"{i}. " if plan.in_order else "- "
        tick = "  ✓" if s.done else ""
        lines.append(f"  {number}{s.label + ':':<{width + 1}} {s.count} of {s.target} {s.marks}".rstrip() + tick)
    if not plan.done:
        lines.append(f"  Next: {next_words(plan)}")
    return lines


def home_line(plan: PlanProgress) -> str:
    """One line for home: 'Price week: price objection medium 2/3, hard 0/1 · next: Price objection, medium'."""
    parts, last = [], None
    for s in plan.steps:
        short = s.short
        if s.step.scenario is not None and s.step.scenario == last:
            short = short.removeprefix(moment(s.step.scenario).lower()).strip() or short
        parts.append(f"{short} {s.count}/{s.target}" + (" ✓" if s.done else ""))
        last = s.step.scenario
    nxt = plan.next
    tail = "done ✓" if nxt is None else f"next: {nxt.label}"
    return f"{plan.title}: {', '.join(parts)} · {tail}"


def history_lines(store, lib, rep: str | None) -> list[str]:  # noqa: ANN001 - Store, Library | None
    """The rep's drill plans and their progress, for `roleplay history` (after the sessions);
    [] when no rep is named or no plan applies. `lib`: the library, or None to read it here
    (only when a library folder has a drills/ folder, so history stays quick without plans)."""
    if not rep:
        return []
    try:
        if lib is None:
            from . import library

            if not any((folder / "drills").is_dir() for folder in library.default_folders()):
                return []
            lib = library.load()
        plans = all_progress(store, lib, rep)
    except Exception as exc:  # noqa: BLE001 - a plan must never cost the rep their history
        import os

        if os.environ.get("ROLEPLAY_DEBUG") == "1":
            raise
        return [f"(the drill plans could not be read: {type(exc).__name__}; "
                "'roleplay validate' says what is wrong)"]
    if not plans:
        return []
    out = ["", f"Drill plans for {rep}:"]
    for plan in plans:
        out += plan_lines(plan)
    return out


# ----------------------------------------------------------------------------- command

def cmd_drills(args: argparse.Namespace) -> int:
    from . import library
    from .cli import _settings, _spare_the_final_collection, _store

    store = _store(_settings(args))
    rep = args.rep
    if rep is None:
        rep = store.pref("rep")
        if rep is None:
            recent = store.sessions(limit=1, light=True)
            rep = recent[0].rep if recent else None
    lib = library.load(extra=args.library)
    _spare_the_final_collection()
    for line in lib.warnings:
        print(line, file=sys.stderr)
    broken = sorted({p.file for p in lib.problems if p.file in {str(e.path) for e in lib.drills.values()}}
                    | {f for f in lib.broken if Path(f).parent.name == "drills"})
    if rep is None:
        if args.json:
            print(json.dumps({"rep": None, "plans": [], "broken": broken}, indent=2))
        else:
            print("Nobody has practised yet, so there is no rep to show plans for. "
                  "Name one with --rep NAME.")
        return 0
    if args.rep is not None and store.count_sessions(rep=rep) == 0 and rep.casefold() not in {
            r.name.casefold() for r in store.reps()}:
        print(f"note: nobody called '{rep}' has practised yet; their progress starts at nothing.",
              file=sys.stderr)
    plans = all_progress(store, lib, rep)
    if args.json:
        print(json.dumps({"rep": rep, "plans": [p.to_json() for p in plans], "broken": broken}, indent=2))
        return 0
    if broken:
        print(f"note: {len(broken)} drill plan file(s) have problems and are left out; "
              "run 'roleplay validate' to see them.", file=sys.stderr)
    if not plans:
        where = library.user_folder() / "drills"
        print(f"No drill plan for {rep} today. A manager adds one as a YAML file in a library's "
              f"drills/ folder (yours: {where}); 'roleplay schema drill' describes the format.")
        return 0
    for i, plan in enumerate(plans):
        if i:
            print()
        for line in plan_lines(plan):
            print(line)
        if plan.next is not None and plan.next.scenario:
            print(f"  Practise it: roleplay practice {plan.next.scenario} --difficulty {plan.next.difficulty}"
                  f" --rep {_quoted(rep)}")
    return 0


def _quoted(name: str) -> str:
    import shlex

    return shlex.quote(name)
