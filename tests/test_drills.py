"""Drill plans (issue 10, item 5): the format and its located problems, progress counted across
finished sessions, `roleplay drills`, the lines for `roleplay history`, and home's drill line."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from textual import events
from textual.widgets import Static

import roleplay.store
from roleplay import cli, drills, library
from roleplay.app.app import RoleplayApp
from roleplay.app.screens.debrief import DebriefScreen
from roleplay.app.screens.home import DrillLine, HomeScreen
from roleplay.app.screens.practice import PracticeScreen
from roleplay.practice import open_session
from roleplay.settings import Settings
from roleplay.store import Store

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "drills" / "this-week-price.yaml"

# Offline, this call passes the next-step rubric on economic-buyer; the weak one fails it.
STRONG = ["That makes sense. What would need to be true for this to be a priority this quarter?",
          "How are you handling it today, and what does that cost your team each week?",
          "Could we book 30 minutes on Thursday at 10 with you and your VP to walk through it?"]
WEAK = ["I understand, that's a fair concern.", "I can take 5% off if you sign this week."]


def write(folder: Path, text: str, name: str = "plan.yaml") -> Path:
    path = folder / "drills" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_with(folder: Path) -> library.Library:
    return library.load([library.shipped_folder(), folder])


PLAN = """\
kind: drill
id: price-week
title: Price week
steps:
  - scenario: price-objection
    difficulty: medium
    times: 3
  - scenario: price-objection
    difficulty: hard
  - rubric: next-step
    passes: 2
"""


def finish(store: Store, lib: library.Library, scenario: str, difficulty: str, lines: list[str],
           rep: str = "Ana") -> roleplay.store.SessionRow:
    """A session played to its end offline, through the factory every front end uses."""
    session = open_session(Settings(offline=True), store, lib, scenario, difficulty, [rep], seed=2)

    async def go() -> None:
        for line in lines:
            async for _ in session.say(line):
                pass
        await session.end()

    asyncio.run(go())
    return store.session(session.id)


def steps_of(store: Store, lib: library.Library, rep: str = "Ana", today: date | None = None
             ) -> list[tuple[int, int]]:
    [plan] = drills.all_progress(store, lib, rep, today)
    return [(s.count, s.target) for s in plan.steps]


# ---- the format
def test_the_example_plan_validates_and_names_what_the_shipped_library_has(capsys) -> None:
    assert cli.main(["validate", str(EXAMPLE)]) == 0
    lib = library.load([library.shipped_folder(), EXAMPLE])
    entry = lib.drills["this-week-price"]
    assert str(entry.path) not in lib.broken
    assert entry.model.in_order and [s.target for s in entry.model.steps] == [3, 1, 2]


def test_a_file_in_drills_is_a_drill_plan_and_the_schema_is_printed(tmp_path, capsys) -> None:
    path = write(tmp_path, PLAN.replace("kind: drill\n", ""))
    lib = load_with(tmp_path)
    assert "price-week" in lib.drills and str(path) not in lib.broken
    assert cli.main(["schema", "drill"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"for", "from", "until", "in_order", "steps"} <= set(schema["properties"])
    assert "every rep" in schema["properties"]["for"]["description"]
    committed = json.loads((ROOT / "schema" / "drill.json").read_text())
    assert committed == schema, "run: roleplay schema drill > schema/drill.json"


def test_bad_difficulty_times_below_one_and_a_mixed_step_are_located(tmp_path) -> None:
    path = write(tmp_path, """\
kind: drill
id: broken-week
title: Broken week
steps:
  - scenario: price-objection
    difficulty: brutal
  - scenario: the-ghost
    times: 0
  - scenario: the-ghost
    rubric: next-step
  - rubric: next-step
    times: 2
""")
    lib = load_with(tmp_path)
    found = {(p.line, p.path): p.message for p in lib.problems if p.file == str(path)}
    assert "easy" in found[(6, "steps[0].difficulty")] and "hard" in found[(6, "steps[0].difficulty")]
    assert "1" in found[(8, "steps[1].times")]
    assert "not both" in found[(9, "steps[2]")]
    assert "'times' and 'passed' go with a scenario step" in found[(11, "steps[3]")]
    assert "broken-week" not in lib.drills


def test_unknown_scenarios_and_rubrics_and_days_out_of_order_are_located(tmp_path) -> None:
    path = write(tmp_path, """\
kind: drill
id: broken-week
title: Broken week
from: 2026-11-09
until: 2026-11-02
steps:
  - scenario: price-objektion
    times: 2
  - rubric: no-such-rubric
""")
    lib = load_with(tmp_path)
    found = {(p.line, p.path): p.message for p in lib.problems if p.file == str(path)}
    assert "did you mean 'price-objection'" in found[(7, "steps[0].scenario")]
    assert "no rubric called 'no-such-rubric'" in found[(9, "steps[1].rubric")]
    assert "before it starts" in found[(5, "until")]
    assert len(found) == 3


def test_validate_prints_a_drill_problem_as_file_line_field(tmp_path, capsys) -> None:
    path = write(tmp_path, PLAN.replace("price-objection\n    difficulty: medium", "price-objektion\n"
                                        "    difficulty: medium"))
    assert cli.main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:5:15: steps[0].scenario: no scenario called 'price-objektion'" in out
    assert "Traceback" not in out


# ---- progress across sessions
def test_progress_fills_in_as_sessions_finish_and_caps_at_the_target(tmp_path, store) -> None:
    write(tmp_path, PLAN.replace("kind: drill\n", "kind: drill\nin_order: false\n"))
    lib = load_with(tmp_path)
    assert steps_of(store, lib) == [(0, 3), (0, 1), (0, 2)]
    finish(store, lib, "price-objection", "medium", WEAK)
    finish(store, lib, "price-objection", "easy", WEAK)  # another level: does not count
    assert steps_of(store, lib) == [(1, 3), (0, 1), (0, 2)]
    finish(store, lib, "price-objection", "hard", WEAK)
    assert steps_of(store, lib) == [(1, 3), (1, 1), (0, 2)]
    for _ in range(3):
        finish(store, lib, "price-objection", "medium", WEAK)
    assert steps_of(store, lib) == [(3, 3), (1, 1), (0, 2)]
    # a rubric step counts passing sessions only
    assert finish(store, lib, "economic-buyer", "easy", WEAK).passed is not True
    assert steps_of(store, lib)[2] == (0, 2)
    assert finish(store, lib, "economic-buyer", "easy", STRONG).passed is True
    assert steps_of(store, lib)[2] == (1, 2)
    # another rep's sessions are theirs
    assert steps_of(store, lib, rep="Sam") == [(0, 3), (0, 1), (0, 2)]


def test_only_passing_sessions_count_when_the_step_says_passed(tmp_path, store) -> None:
    write(tmp_path, """\
id: pass-it
title: Pass it
steps:
  - scenario: economic-buyer
    times: 2
    passed: true
  - scenario: economic-buyer
    times: 2
""")
    lib = load_with(tmp_path)
    finish(store, lib, "economic-buyer", "easy", WEAK)
    assert steps_of(store, lib) == [(0, 2), (1, 2)]
    finish(store, lib, "economic-buyer", "medium", STRONG)
    assert steps_of(store, lib) == [(1, 2), (2, 2)]


def test_in_order_a_session_counts_only_for_the_step_the_rep_is_on(tmp_path, store) -> None:
    write(tmp_path, PLAN.replace("kind: drill\n", "kind: drill\nin_order: true\n"))
    lib = load_with(tmp_path)
    finish(store, lib, "price-objection", "hard", WEAK)  # too early: the medium ones come first
    finish(store, lib, "economic-buyer", "easy", STRONG)  # a pass, but the rubric step is last
    assert steps_of(store, lib) == [(0, 3), (0, 1), (0, 2)]
    for _ in range(3):
        finish(store, lib, "price-objection", "medium", WEAK)
    [plan] = drills.all_progress(store, lib, "Ana")
    assert [(s.count, s.target) for s in plan.steps] == [(3, 3), (0, 1), (0, 2)]
    assert plan.next.label == "Price objection, hard" and plan.next.difficulty == "hard"
    finish(store, lib, "price-objection", "hard", WEAK)
    finish(store, lib, "economic-buyer", "easy", STRONG)
    [plan] = drills.all_progress(store, lib, "Ana")
    assert [(s.count, s.target) for s in plan.steps] == [(3, 3), (1, 1), (1, 2)]
    assert plan.next.label == "Pass securing the next step" and plan.next.scenario is not None


def test_sessions_before_the_plan_starts_do_not_count_and_dates_decide_who_sees_it(
        tmp_path, store, monkeypatch) -> None:
    write(tmp_path, """\
id: week-45
title: Week 45
for: [ana, Sam]
from: 2026-11-02
until: 2026-11-08
steps:
  - scenario: price-objection
    times: 2
""")
    lib = load_with(tmp_path)
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()
    now = ["now"]
    monkeypatch.setattr(roleplay.store, "_now", lambda: now[0])
    rows = []
    for day in ("2026-10-30", "2026-11-03", "2026-11-10"):
        now[0] = f"{day}T12:00:00+00:00"
        rows.append(finish(store, lib, "price-objection", "medium", WEAK))
    assert [r.started[:10] for r in rows] == ["2026-10-30", "2026-11-03", "2026-11-10"]
    in_the_week = date(2026, 11, 4)
    assert steps_of(store, lib, "Ana", in_the_week) == [(1, 2)]  # before and after the week: not counted
    assert drills.plans_for(lib, "Ana", date(2026, 11, 1)) == []  # not started yet
    assert drills.plans_for(lib, "Ana", date(2026, 11, 8)) != []  # the last day is in
    assert drills.plans_for(lib, "Ana", date(2026, 11, 9)) == []  # over
    assert drills.plans_for(lib, "Kim", in_the_week) == []  # not for Kim


# ---- the command line and history
def test_roleplay_drills_prints_steps_progress_and_what_to_do_next(tmp_path, capsys) -> None:
    user = library.user_folder()
    user.mkdir(parents=True)
    shutil.copytree(EXAMPLE.parent, user / "drills")
    assert cli.main(["drills"]) == 0
    assert "--rep NAME" in capsys.readouterr().out  # nobody has practised yet
    store = Store(Settings().database())
    lib = library.load()
    finish(store, lib, "price-objection", "medium", WEAK)
    finish(store, lib, "price-objection", "medium", WEAK)
    store.close()
    assert cli.main(["drills"]) == 0  # the rep who practised last
    out = capsys.readouterr().out
    assert out.splitlines()[:5] == [
        "Price week (this-week-price)",
        "  1. Price objection, medium:    2 of 3 ✓✓·",
        "  2. Price objection, hard:      0 of 1 ·",
        "  3. Pass handling an objection: 0 of 2 ··",
        "  Next: Price objection, medium, 1 more",
    ]
    assert "roleplay practice price-objection --difficulty medium --rep Ana" in out
    assert cli.main(["drills", "--rep", "Ana", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rep"] == "Ana" and data["broken"] == []
    [plan] = data["plans"]
    assert plan["id"] == "this-week-price" and plan["in_order"] and not plan["done"]
    assert [(s["done_sessions"], s["target"]) for s in plan["steps"]] == [(2, 3), (0, 1), (0, 2)]
    assert plan["next"] == {"label": "Price objection, medium", "scenario": "price-objection",
                            "difficulty": "medium"}
    assert cli.main(["drills", "--rep", "Kim"]) == 0
    captured = capsys.readouterr()
    assert "0 of 3" in captured.out and "nobody called 'Kim'" in captured.err

    store = Store(Settings().database())
    lines = drills.history_lines(store, None, "Ana")  # reads the library itself
    assert lines[:3] == ["", "Drill plans for Ana:", "Price week (this-week-price)"]
    assert "  Next: Price objection, medium, 1 more" in lines
    assert drills.history_lines(store, None, None) == []
    store.close()
    assert cli.main(["history", "--rep", "Ana"]) == 0  # history ends with the plans and their progress
    out = capsys.readouterr().out
    assert "Drill plans for Ana:" in out and "Next: Price objection, medium, 1 more" in out


def test_no_plan_is_said_plainly_and_history_stays_quiet(store, capsys) -> None:
    assert cli.main(["drills", "--rep", "Ana"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("No drill plan for Ana today.") and "drills/" in out
    assert drills.history_lines(store, None, "Ana") == []


def test_a_broken_plan_is_left_out_with_a_note(tmp_path, capsys) -> None:
    write(library.user_folder(), "id: bad\ntitle: Bad\nsteps: []\n")
    assert cli.main(["drills", "--rep", "Ana"]) == 0
    captured = capsys.readouterr()
    assert "1 drill plan file(s) have problems" in captured.err and "Traceback" not in captured.err


# ---- home
def rendered(widget: Static) -> str:
    return str(widget.render())


async def settle(app: RoleplayApp, pilot) -> None:  # noqa: ANN001
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()


async def test_home_shows_the_drill_line_and_it_moves_after_a_finished_session(tmp_path, store) -> None:
    write(tmp_path, PLAN.replace("kind: drill\n", "kind: drill\nin_order: true\n"))
    lib = load_with(tmp_path)
    store.set_pref("rep", store.rep("Ana").name)
    store.set_pref("skip-plan:Ana", "yes")
    app = RoleplayApp(Settings(offline=True), store=store, lib=lib)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        line = app.screen.query_one("#drills", DrillLine)
        assert line.display
        assert rendered(line) == ("Drill Price week: price objection medium 0/3, hard 0/1, pass securing "
                                  "the next step 0/2 · next: Price objection, medium")
        # Enter on the line starts the next step: price objection on medium
        line.focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, PracticeScreen)
        session = app.screen.session
        assert session.setup.scenario.id == "price-objection" and session.setup.difficulty_name == "medium"
        app.post_message(events.Paste(WEAK[0]))
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("ctrl+b")  # end the call
        await settle(app, pilot)
        assert isinstance(app.screen, DebriefScreen)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        assert "medium 1/3" in rendered(app.screen.query_one("#drills", DrillLine))


async def test_home_has_no_drill_line_without_a_plan(store) -> None:
    store.set_pref("rep", store.rep("Ana").name)
    app = RoleplayApp(Settings(offline=True), store=store, lib=library.load([library.shipped_folder()]))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert not app.screen.query_one("#drills", DrillLine).display


def test_the_utc_bound_of_a_day_is_local_midnight(monkeypatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Europe/Lisbon")
    time.tzset()
    try:
        assert drills._utc_stamp(date(2026, 7, 1)) == "2026-06-30T23:00:00+00:00"
        assert drills._utc_stamp(date(2026, 12, 1)) == datetime(2026, 12, 1, tzinfo=timezone.utc).isoformat()
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
