"""`roleplay report` (issue 11, item 3): a manager's report for the 1:1 from the practice history.

Two reps practise the price objection offline over several weeks (real sessions through the
factory every front end uses, their start dates moved back with SQL): Ana three weak calls then
two strong ones, Ben one weak call. The report's figures, its words, each format and the
command's answers to bad input are checked against that history."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import shutil
import subprocess
import sys
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from roleplay import cli, library, report
from roleplay.practice import observer_agreement, open_session
from roleplay.settings import Settings
from roleplay.store import Store

from .conftest import ROOT

WEAK = ["I understand, that's a fair concern.", "I can take 5% off if you sign this week."]
STRONG = ["That makes sense. What would need to be true for this to be a priority this quarter?",
          "How are you handling it today, and what does that cost your team each week?",
          "Could we book 30 minutes on Thursday at 10 with you and your VP to walk through it?"]
GOOD = ["That's a fair reaction. What are you comparing it to?",
        "What does a spoiled load cost you when it happens?",
        "How is MedCo reacting to the two incidents this quarter?",
        "Who else weighs in on a decision like this, besides you?",
        "Could we get 30 minutes with you and Mark on Thursday at 10 to walk through the spoilage numbers?"]

# (rep, lines, day): a week apart, at noon UTC so the local day is the same in any usual zone
HISTORY = [("Ana", WEAK, "2025-03-03"), ("Ana", WEAK, "2025-03-10"), ("Ana", WEAK, "2025-03-17"),
           ("Ana", GOOD, "2025-03-24"), ("Ana", STRONG, "2025-03-31"), ("Ben", WEAK, "2025-03-12")]

PLAN = """\
kind: drill
id: price-month
title: Price month
steps:
  - scenario: price-objection
    difficulty: easy
    times: 4
  - scenario: the-ghost
    times: 2
"""


def finish(store: Store, lib: library.Library, rep: str, lines: list[str]) -> str:
    session = open_session(Settings(offline=True), store, lib, "price-objection", "easy", [rep], seed=1)

    async def go() -> None:
        for line in lines:
            async for _ in session.say(line):
                pass
            if session.over:
                break
        await session.end()

    asyncio.run(go())
    return session.id


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The same history on each store: every figure below must come out the same from both."""
    folder = tmp_path_factory.mktemp("report")
    (folder / "lib" / "drills").mkdir(parents=True)
    (folder / "lib" / "drills" / "plan.yaml").write_text(PLAN, encoding="utf-8")
    lib = library.load([library.shipped_folder(), folder / "lib"])
    url = None
    if request.param == "postgresql":
        from roleplay.store_pg import PgStore

        cluster = request.getfixturevalue("pg_cluster")
        url = cluster.url(cluster.new_database("report"))
        store = PgStore(url)
    else:
        store = Store(folder / "roleplay.db")
    ids = []
    for rep, lines, day in HISTORY:
        sid = finish(store, lib, rep, lines)
        store.db.execute("UPDATE sessions SET started = ? WHERE id = ?", (f"{day}T12:00:00+00:00", sid))
        ids.append(sid)
    # an observer marked Ana's first call: the whole first turn missed, its acknowledgment good
    store.add_mark(ids[0], 1, "missed", note="went straight to a discount")
    store.add_mark(ids[0], 1, "good", criterion="acknowledge")
    store.add_mark(ids[0], 1, "note", note="calm voice")
    # a call Ana paused in the period
    paused = open_session(Settings(offline=True), store, lib, "price-objection", "easy", ["Ana"], seed=1)
    store.db.execute("UPDATE sessions SET started = ? WHERE id = ?", ("2025-03-20T12:00:00+00:00", paused.id))
    if url is None:
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    yield {"store": store, "lib": lib, "ids": ids, "path": folder / "roleplay.db", "library": folder / "lib",
           "url": url}
    store.close()


@pytest.fixture
def team(built: dict) -> report.Report:
    return report.build_report(built["store"], built["lib"], team=True, today=date(2025, 4, 1))


def rep_of(r: report.Report, name: str) -> report.RepReport:
    return next(x for x in r.reps if x.rep == name)


def crit(r: report.RepReport, cid: str) -> report.CriterionLine:
    return next(c for c in r.criteria if c.id == cid)


# ----------------------------------------------------------------------------- the figures


def test_sessions_per_rep_objectives_and_what_was_left_unfinished(team: report.Report) -> None:
    assert [r.rep for r in team.reps] == ["Ana", "Ben"] and team.sessions == 6 and team.idle == []
    ana, ben = rep_of(team, "Ana"), rep_of(team, "Ben")
    assert (ana.sessions, ana.not_finished, ben.sessions, ben.not_finished) == (5, 1, 1, 0)
    assert (ana.first, ana.last) == ("2025-03-03", "2025-03-31")
    assert ana.scenarios == {"price-objection": 5}
    assert ana.won == 1 and ana.won_share == pytest.approx(0.2)  # the GOOD call reaches the meeting
    assert ben.won == 0
    assert ana.objective_words() == "1 of 5 (20%)"


def test_per_criterion_figures_and_trend_words(built: dict, team: report.Report) -> None:
    ana = rep_of(team, "Ana")
    # the same figures the store gives for each session
    want: dict[str, list[float]] = {}
    for sid in built["ids"][:5]:
        for c in built["store"].session(sid).scorecard["criteria"]:
            if c["score"] is not None:
                want.setdefault(c["id"], []).append(c["score"])
    for cid, scores in want.items():
        line = crit(ana, cid)
        assert [p.score for p in line.points] == scores
        assert line.average == pytest.approx(sum(scores) / len(scores))
        assert line.graded == len(scores) and line.graded + line.ungraded == 5
    clarify = crit(ana, "clarify")  # no question in the weak calls, a question in the strong ones
    assert clarify.trend.earlier == 0 and clarify.trend.later == 1
    assert clarify.trend.word == "improving" and clarify.trend.words() == "improving (+100 points: 0 to 100)"
    assert crit(ana, "confirm").graded == 0  # needs a model judge: never graded, never a 0
    assert crit(ana, "confirm").average is None
    ben = rep_of(team, "Ben")
    assert all(c.trend.words() == "too few sessions to tell" for c in ben.criteria)
    assert [w["week"] for w in clarify.weeks] == ["2025-W10", "2025-W11", "2025-W12", "2025-W13", "2025-W14"]


def test_trend_rule() -> None:
    assert report.trend([0.5, 0.5, 0.5]).word == report.TOO_FEW  # 1 a side
    assert report.trend([0.5, 0.5, 0.55, 0.6]).word == "steady"
    assert report.trend([0.8, 0.8, 0.0, 0.5, 0.5]).word == "slipping"  # the middle one left out
    assert report.trend([0.2, 0.2, 0.3, 0.3]).word == "improving"  # exactly 10 points


def test_working_on_is_the_most_named_behaviour_and_whether_it_moved(built: dict, team: report.Report) -> None:
    ana = rep_of(team, "Ana")
    named = [built["store"].session(s).scorecard.get("practise_next") for s in built["ids"][:5]]
    assert named[:3] == ["clarify"] * 3
    w = ana.working_on
    assert (w.criterion, w.name, w.named, w.of) == ("clarify", "Asks what is behind it", 3, 5)
    assert w.latest == "2025-03-17"
    assert w.moved() == "moved up (+100 points: 0 to 100)"
    assert rep_of(team, "Ben").working_on.moved() == "too few sessions to tell"


def test_thin_scores_are_marked_never_plain(team: report.Report) -> None:
    ana = rep_of(team, "Ana")
    # weak calls are graded enough to fail; the strong offline ones rest on too little of the rubric
    assert ana.scored == 3 and ana.thin == 2
    assert "*" in ana.score_words() and "too little of the rubric" in ana.score_words()
    md = team.markdown()
    assert f"{ana.thin_score:.0f}*" in md and report.THIN_WORDS in md


def test_observer_marks_and_agreement_with_the_grader(built: dict, team: report.Report) -> None:
    store, first = built["store"], built["ids"][0]
    row = store.session(first)
    agreed = observer_agreement(row, store.turns(first), store.marks(first))
    m = rep_of(team, "Ana").marks
    assert (m.sessions, m.good, m.missed, m.notes) == (1, 1, 1, 1)
    assert m.compared == sum(a.compared for a in agreed) == 2
    assert m.agree == sum(a.agree for a in agreed)
    assert "1 good, 1 missed, 1 note on 1 session" in m.words()
    assert f"{m.agree} of 2 agree with the grader" in m.words()
    assert rep_of(team, "Ben").marks is None


def test_drill_plan_progress(team: report.Report) -> None:
    [d] = rep_of(team, "Ana").drills
    assert d.title == "Price month" and not d.done
    assert [(s["done_sessions"], s["target"]) for s in d.steps] == [(4, 4), (0, 2)]
    assert d.next.startswith("The ghost") and "4/4" in d.progress_words()
    assert [(s["done_sessions"]) for s in rep_of(team, "Ben").drills[0].steps] == [1, 0]


def test_since_and_until_are_local_days_both_included(built: dict) -> None:
    r = report.build_report(built["store"], built["lib"], team=True, since=date(2025, 3, 10),
                            until=date(2025, 3, 24))
    ana = rep_of(r, "Ana")
    assert ana.sessions == 3 and (ana.first, ana.last) == ("2025-03-10", "2025-03-24")
    assert ana.not_finished == 1 and rep_of(r, "Ben").sessions == 1
    r = report.build_report(built["store"], built["lib"], team=True, since=date(2025, 3, 13))
    assert [x.rep for x in r.reps] == ["Ana"] and r.idle == ["Ben"]
    one = report.build_report(built["store"], built["lib"], rep="Ben")
    assert [x.rep for x in one.reps] == ["Ben"] and one.idle == []
    none = report.build_report(built["store"], built["lib"], team=True, since=date(2026, 1, 1))
    assert none.empty() and "nothing to report" in none.empty_words(None)


# ----------------------------------------------------------------------------- the formats


def test_markdown(team: report.Report) -> None:
    md = team.markdown()
    assert md.startswith("# Practice report: Ana, Ben")
    assert "## The team at a glance" in md and "## Ana" in md and "## Ben" in md
    assert "| Asks what is behind it | Handling an objection | 5 of 5 | 40 | 0 | 100 | improving |" in md
    assert "- Working on: Asks what is behind it (named in 3 of 5 sessions, last on Mon 17 Mar); " \
           "moved up (+100 points: 0 to 100)" in md
    assert "- Objectives reached: 1 of 5 (20%)" in md
    assert "too few sessions to tell" in md
    assert "- Drill plan Price month: " in md and "<b>Drill plan Price month:</b>" in team.html()


def test_json(team: report.Report) -> None:
    data = json.loads(team.text("json"))
    assert data["sessions"] == 6 and [r["rep"] for r in data["reps"]] == ["Ana", "Ben"]
    ana = data["reps"][0]
    assert ana["objectives_reached"] == 1 and ana["won_share"] == 0.2
    assert ana["working_on"]["criterion"] == "clarify" and ana["working_on"]["moved"].startswith("moved up")
    clarify = next(c for c in ana["criteria"] if c["id"] == "clarify")
    assert clarify["trend"]["word"] == "improving" and len(clarify["points"]) == 5
    assert ana["marks"]["good"] == 1 and ana["drills"][0]["id"] == "price-month"


def test_csv(team: report.Report) -> None:
    rows = list(csv.reader(io.StringIO(team.csv())))
    assert tuple(rows[0]) == report.Report.CSV_HEADER
    body = [dict(zip(rows[0], r)) for r in rows[1:]]
    assert len(body) == 10  # 5 criteria each
    clarify = next(r for r in body if r["rep"] == "Ana" and r["criterion_id"] == "clarify")
    assert (clarify["sessions"], clarify["objectives_reached"], clarify["trend"]) == ("5", "1", "improving")
    assert (clarify["earlier"], clarify["later"]) == ("0.000", "1.000")
    assert next(r for r in body if r["criterion_id"] == "confirm")["average"] == ""


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.svgs: list[dict] = []
        self.figures: list[str] = []
        self.external: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        self.tags.add(tag)
        for key in ("src", "href", "xlink:href", "action"):
            value = a.get(key) or ""
            if value and not value.startswith("#"):
                self.external.append(value)
        if tag == "link":
            self.external.append(str(a))
        if tag == "figure":
            self.figures.append(a.get("data-criterion"))
        if tag == "svg":
            self.svgs.append({"rep": a.get("data-rep"), "criterion": a.get("data-criterion"), "points": 0})
        if tag == "circle" and self.svgs:
            self.svgs[-1]["points"] += 1


def test_html_is_one_self_contained_page_with_a_chart_per_criterion(team: report.Report) -> None:
    page = team.html()
    p = _Page()
    p.feed(page)
    assert "script" not in p.tags and "img" not in p.tags and "style" in p.tags
    assert p.external == [] and "http://" not in page and "https://" not in page and "@import" not in page
    for r in team.reps:
        for c in r.criteria:
            charts = [s for s in p.svgs if s["rep"] == r.rep and s["criterion"] == c.id]
            if c.graded:
                assert len(charts) == 1 and charts[0]["points"] == c.graded, (r.rep, c.id)
            else:
                assert charts == [] and c.id in p.figures  # said in words: not graded
    assert len(p.svgs) == sum(1 for r in team.reps for c in r.criteria if c.graded)
    assert "Asks what is behind it" in page and "moved up (+100 points: 0 to 100)" in page


def test_names_are_escaped_in_html(tmp_path: Path, lib: library.Library) -> None:
    store = Store(tmp_path / "x.db")
    finish(store, lib, "<b>Eve</b>", WEAK)
    page = report.build_report(store, lib, team=True).html()
    assert "<b>Eve</b>" not in page and "&lt;b&gt;Eve&lt;/b&gt;" in page
    store.close()


# ----------------------------------------------------------------------------- the command


@pytest.fixture
def history(built: dict, _isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path | None:
    if built["url"]:
        monkeypatch.setenv("ROLEPLAY_DATABASE_URL", built["url"])
        return None
    db = Settings().database()
    db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(built["path"], db)
    return db


def test_command_prints_each_format(history: Path, built: dict, capsys) -> None:
    assert cli.main(["report", "--rep", "ana", "--library", str(built["library"])]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Practice report: Ana") and "## Ben" not in out and "Price month" in out
    assert cli.main(["report", "--team", "--format", "json"]) == 0
    assert [r["rep"] for r in json.loads(capsys.readouterr().out)["reps"]] == ["Ana", "Ben"]
    assert cli.main(["report", "--format", "csv", "--since", "2025-03-11"]) == 0
    assert {r["rep"] for r in csv.DictReader(io.StringIO(capsys.readouterr().out))} == {"Ana", "Ben"}


def test_command_writes_a_file_in_the_format_its_name_says(history: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "deep" / "team.html"
    assert cli.main(["report", "--team", "--out", str(out)]) == 0
    assert f"to {out}" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not list(out.parent.glob("*.part"))


def test_command_since_until(history: Path, capsys) -> None:
    assert cli.main(["report", "--since", "2025-03-24", "--until", "2025-03-24", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sessions"] == 1 and data["idle"] == ["Ben"] and data["since"] == "2025-03-24"


@pytest.mark.parametrize("args, words", [
    (["--since", "2025-02-30"], "--since '2025-02-30' is not a day roleplay can read; write it as YYYY-MM-DD"),
    (["--until", "last week"], "--until 'last week' is not a day"),
    (["--since", "2025-04-01", "--until", "2025-03-01"], "is after --until"),
    (["--rep", "Zed"], "nobody called 'Zed' has practised yet"),
    (["--rep", " "], "--rep needs a name"),
])
def test_bad_input_is_a_sentence_and_exit_1(history: Path, capsys, args: list[str], words: str) -> None:
    assert cli.main(["report", *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("roleplay report: ") and words in err and "Traceback" not in err


def test_no_sessions_in_the_period_is_a_sentence_not_a_table(history: Path, capsys) -> None:
    assert cli.main(["report", "--since", "2030-01-01"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("No finished practice sessions by anyone in the period") and "|" not in out
    assert cli.main(["report", "--rep", "Ben", "--until", "2025-03-01", "--format", "html"]) == 0
    assert capsys.readouterr().out.startswith("No finished practice sessions by Ben in the period")


def test_empty_history(capsys) -> None:
    assert cli.main(["report"]) == 0
    assert "No finished practice sessions by anyone" in capsys.readouterr().out


def test_a_file_that_cannot_be_written_is_a_sentence(history: Path, tmp_path: Path, capsys) -> None:
    (tmp_path / "file").write_text("x")
    assert cli.main(["report", "--out", str(tmp_path / "file" / "r.md")]) == 1
    err = capsys.readouterr().err
    assert "the report can't be written to" in err and "Traceback" not in err


def test_the_real_command_never_shows_a_traceback(history: Path, tmp_path: Path) -> None:
    for args in (["--since", "x"], ["--format", "pdf"], ["--rep", "A", "--team"], ["--until", "2025-3-1x"]):
        done = subprocess.run([sys.executable, "-m", "roleplay", "report", *args], capture_output=True,
                              text=True, cwd=ROOT, timeout=60)
        assert done.returncode != 0 and "Traceback" not in done.stderr + done.stdout, args


def test_a_damaged_or_unreachable_history_is_a_sentence(history: Path | None, capsys, monkeypatch) -> None:
    if history is None:  # the team's database: its server gone
        monkeypatch.setenv("ROLEPLAY_DATABASE_URL", "postgresql://ana:secret@127.0.0.1:1/roleplay")
        words = "can't be reached"
    else:
        history.write_bytes(b"not a database at all" * 100)
        for suffix in ("-wal", "-shm"):
            Path(str(history) + suffix).unlink(missing_ok=True)
        words = "damaged"
    assert cli.main(["report"]) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and "secret" not in err


def test_reads_are_bounded(built: dict) -> None:
    store = built["store"]
    assert len(store.report_sessions(None, limit=2)) == 2
    assert len(store.report_criteria("Ana", limit=3)) == 3


def _chromium() -> str | None:
    import shutil

    return next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)


@pytest.mark.skipif(_chromium() is None, reason="no chromium on this machine (.ci/run installs Debian's chromium)")
def test_the_html_report_renders_in_a_real_headless_browser(team: report.Report, tmp_path: Path) -> None:
    """Opened offline in chromium: the page's charts are drawn (the browser's own DOM has every
    chart with its dots) and a screenshot of it is a real picture, not a blank page."""
    import subprocess

    page = tmp_path / "report.html"
    page.write_text(team.html(), encoding="utf-8")
    browser = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--no-first-run", "--window-size=1100,1400"]
    dom = subprocess.run([*browser, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120,
                         check=False).stdout
    assert "<svg" in dom and dom.count("<circle") >= 3, dom[:500]
    assert "Practice report" in dom
    shot = tmp_path / "report.png"
    subprocess.run([*browser, f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120, check=False)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000, len(data)  # a blank 1100x1400 page compresses to a few KB


async def test_the_team_at_a_glance_in_the_app(built: dict) -> None:
    """Progress, then t: every rep of the period side by side, as the team report has them."""
    from textual.widgets import DataTable

    from roleplay.app.app import RoleplayApp
    from roleplay.app.screens.progress import ProgressScreen, TeamGlanceScreen
    from roleplay.settings import Settings

    store = built["store"]
    app = RoleplayApp(Settings(offline=True), store=store, lib=built["lib"])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.use_rep("Ana")
        app.push_screen(ProgressScreen(app.rep))
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TeamGlanceScreen)
        await pilot.press("a")  # all time: the fixture's sessions are weeks old
        await pilot.pause()
        table = app.screen.query_one("#glance", DataTable)
        reps = [str(k.value) for k in table.rows]
        expected = report.build_report(store, built["lib"], team=True)
        assert reps == [r.rep for r in expected.reps] and len(reps) >= 2
        first = table.get_row(reps[0])
        assert first[1] == str(expected.reps[0].sessions) and first[2] == expected.reps[0].objective_words()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ProgressScreen)
