"""`roleplay report`: what a manager brings to a 1:1, from the practice history.

For each rep, over a period: how many sessions they finished, their score on each rubric
criterion and which way it is going (the earlier half of their sessions against the later
half), the behaviour they are working on (the `practise_next` their scorecards named most,
the latest on a tie) and whether it moved, how often they reached the call's objective, the
marks an observer left and how they sit beside the grader, and their drill plans' progress.

`build_report` reads only what it needs from the store (a few bounded queries; the scorecard
fields are picked out by SQLite) and returns a `Report`, which writes itself as Markdown,
JSON, CSV or one self-contained HTML file (inline CSS and SVG charts, nothing fetched).

A score that rests on too little of the rubric (its scorecard's `passed` is None) is marked
with a *, never shown as a plain number, and a trend needs at least 2 sessions on each side.
"""

from __future__ import annotations

import argparse
import csv
import functools
import io
import json
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

FORMATS = ("md", "json", "csv", "html")

MOVED = 0.10
"""How far (0-1, i.e. 10 points of 100) a criterion's later average must be from its earlier one
to call it improving or slipping; closer is steady."""

MIN_SIDE = 2
"""Sessions needed on each side (earlier, later) before a trend is given."""

TOO_FEW = "too few sessions to tell"
THIN_MARK = "*"
THIN_WORDS = "* rests on too little of the rubric to call it a pass or a fail (offline: add a model judge)"


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's commands to the command line."""
    p = sub.add_parser(
        "report", help="a manager's report for the 1:1: each rep's practice over a period",
        description="Sessions per rep, the score on each rubric criterion and its trend, the behaviour "
        "each rep is working on and whether it moved, objectives reached, observer marks and drill-plan "
        "progress, from the practice history. Without --rep: every rep (as --team).")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--rep", metavar="NAME", help="one rep's report")
    who.add_argument("--team", action="store_true", help="every rep (the default)")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="only sessions started on or after this day")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="only sessions started on or before this day")
    p.add_argument("--format", choices=FORMATS,
                   help="md (the default), json, csv or html (one self-contained file with charts); "
                        "with --out, the file's ending chooses it when this is not given")
    p.add_argument("--out", type=Path, metavar="FILE", help="write the report to FILE instead of printing it")
    p.add_argument("--library", action="append", type=Path, default=[], metavar="FOLDER",
                   help="another folder of scenarios, rubrics and drill plans (may repeat)")
    p.set_defaults(func=cmd_report)


# ----------------------------------------------------------------------------- the report


@dataclass
class Point:
    """One session's score on a criterion (0-1)."""

    day: str  # the local day, YYYY-MM-DD
    score: float
    session: str


@dataclass
class Trend:
    """Earlier sessions against later ones in the period (the middle one left out when odd)."""

    earlier: float | None  # 0-1 average; None: too few sessions to tell
    later: float | None
    n_earlier: int
    n_later: int
    word: str  # improving, slipping, steady, or TOO_FEW

    @property
    def told(self) -> bool:
        return self.word != TOO_FEW

    def words(self) -> str:
        if not self.told:
            return TOO_FEW
        change = round((self.later - self.earlier) * 100)
        return f"{self.word} ({change:+d} points: {_pts(self.earlier)} to {_pts(self.later)})"


@dataclass
class CriterionLine:
    rubric: str  # rubric id
    rubric_title: str
    id: str
    name: str
    graded: int  # sessions in which something graded it
    ungraded: int  # sessions whose scorecard had it with no grade (e.g. needs a model judge)
    average: float | None  # 0-1 over the graded sessions
    trend: Trend
    points: list[Point]
    weeks: list[dict[str, Any]]  # {"week": "2025-W10", "score": 0-1, "sessions": n}


@dataclass
class WorkingOn:
    criterion: str  # id (or a flag kind the scorecard named)
    name: str
    rubric: str | None
    named: int  # sessions whose scorecard named it
    of: int
    latest: str  # the local day it was last named
    trend: Trend | None  # that criterion's score, earlier against later; None: not a scored criterion

    def moved(self) -> str:
        if self.trend is None:
            return "not a scored criterion, so the scores can't tell"
        if not self.trend.told:
            return TOO_FEW
        word = {"improving": "moved up", "slipping": "moved down", "steady": "not moved yet"}[self.trend.word]
        change = round((self.trend.later - self.trend.earlier) * 100)
        return f"{word} ({change:+d} points: {_pts(self.trend.earlier)} to {_pts(self.trend.later)})"


@dataclass
class Marks:
    sessions: int
    good: int
    missed: int
    notes: int
    compared: int  # marks the grader also gave a verdict on
    agree: int
    per_criterion: list[dict[str, Any]]  # {"criterion", "name", "compared", "agree"}

    def words(self) -> str:
        out = (f"{self.good} good, {self.missed} missed" + (f", {_count(self.notes, 'note')}" if self.notes else "")
               + f" on {_count(self.sessions, 'session')}")
        if self.compared:
            out += f"; {self.agree} of {self.compared} agree with the grader ({_share(self.agree, self.compared)})"
        else:
            out += "; none on a turn the grader gave a verdict on"
        return out


@dataclass
class Drill:
    id: str
    title: str
    done: bool
    steps: list[dict[str, Any]]  # {"label", "done_sessions", "target", "done"}
    next: str | None

    def progress_words(self) -> str:
        steps = ", ".join(f"{s['label']} {s['done_sessions']}/{s['target']}" for s in self.steps)
        return steps + (" (done)" if self.done else f"; next: {self.next}")


@dataclass
class RepReport:
    rep: str
    sessions: int  # finished in the period
    not_finished: int  # paused or abandoned in the period
    first: str | None  # local day of the first and last session
    last: str | None
    scenarios: dict[str, int]  # scenario id -> sessions
    won: int  # objective reached
    score: float | None  # 0-100 average over the sessions graded enough to pass or fail
    scored: int
    thin_score: float | None  # 0-100 average over the sessions resting on too little of the rubric
    thin: int
    criteria: list[CriterionLine]
    working_on: WorkingOn | None
    marks: Marks | None
    drills: list[Drill]
    together: int = 0  # of the sessions, tag-team calls (scored as a team, so shared with the others in it)

    @property
    def won_share(self) -> float | None:
        return self.won / self.sessions if self.sessions else None

    def score_words(self) -> str:
        parts = []
        if self.scored:
            parts.append(f"{self.score:.0f} on average over {_count(self.scored, 'session')}")
        if self.thin:
            parts.append(f"about {self.thin_score:.0f}{THIN_MARK} over {_count(self.thin, 'session')} "
                         "resting on too little of the rubric")
        return "; ".join(parts) or "no session scored"

    def facts(self) -> list[tuple[str, str, str]]:
        """The rep's lines of a report, as (label, text, the part to stress), for every format."""
        out = [("Sessions", f"{self.sessions} finished"
                + (f" ({self.together} of them a tag-team call{'s' if self.together > 1 else ''}, scored as a team)"
                   if self.together else "")
                + (f" ({self.not_finished} more paused or left unfinished)" if self.not_finished else "")
                + (f", {_day(self.first)} to {_day(self.last)}" if self.first else "")
                + (": " + ", ".join(f"{_moment(s)} {n}" for s, n in self.scenarios.items())
                   if self.scenarios else ""), ""),
               ("Objectives reached", self.objective_words(), ""),
               ("Score", self.score_words(), "")]
        w = self.working_on
        out.append(("Working on", f"{w.name} (named in {w.named} of {w.of} sessions, last on {_day(w.latest)})",
                    w.moved()) if w else ("Working on", "no scorecard named one behaviour to practise", ""))
        if self.marks:
            out.append(("Observer marks", self.marks.words(), ""))
        out += [(f"Drill plan {d.title}", d.progress_words(), "") for d in self.drills]
        return out

    def objective_words(self) -> str:
        if not self.sessions:
            return "no sessions"
        return f"{self.won} of {self.sessions} ({_share(self.won, self.sessions)})"


@dataclass
class Report:
    since: date | None
    until: date | None
    reps: list[RepReport]  # reps with finished sessions in the period
    idle: list[str]  # reps with none in the period (team reports)
    generated: str
    truncated: bool = False  # more sessions than a report reads (see LIMIT)
    calls: int | None = None  # finished sessions in it (a tag-team call once, though in each typist's figures)

    @property
    def sessions(self) -> int:
        return self.calls if self.calls is not None else sum(r.sessions for r in self.reps)

    def empty(self) -> bool:
        return not self.reps

    def period_words(self) -> str:
        if self.since and self.until:
            return f"{self.since:%a %d %b %Y} to {self.until:%a %d %b %Y}"
        if self.since:
            return f"from {self.since:%a %d %b %Y}"
        if self.until:
            return f"up to {self.until:%a %d %b %Y}"
        return "all sessions"

    def empty_words(self, rep: str | None) -> str:
        who = rep if rep else "anyone"
        when = "" if not (self.since or self.until) else f" in the period ({self.period_words()})"
        return (f"No finished practice sessions by {who}{when}, so there is nothing to report. "
                "Try a longer period (--since, --until) or check the name with 'roleplay history'.")

    # ---- JSON
    def to_json(self) -> dict[str, Any]:
        def rep(r: RepReport) -> dict[str, Any]:
            out = asdict(r)
            out["won_share"] = None if r.won_share is None else round(r.won_share, 3)
            out["objectives_reached"] = out.pop("won")
            out["score"] = None if r.score is None else round(r.score, 1)
            out["thin_score"] = None if r.thin_score is None else round(r.thin_score, 1)
            for c, line in zip(out["criteria"], r.criteria):
                c["trend"]["words"] = line.trend.words()
                c["average"] = None if line.average is None else round(line.average, 3)
            if r.working_on is not None:
                out["working_on"]["moved"] = r.working_on.moved()
            return out

        return {"since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
                "generated": self.generated, "sessions": self.sessions,
                "thin_note": THIN_WORDS, "truncated": self.truncated,
                "reps": [rep(r) for r in self.reps], "idle": self.idle}

    # ---- Markdown
    def markdown(self) -> str:
        names = ", ".join(r.rep for r in self.reps)
        lines = [f"# Practice report: {names}", "",
                 f"{self.period_words()} · {_count(len(self.reps), 'rep')} · "
                 f"{_count(self.sessions, 'finished session')} · made {self.generated}", ""]
        if self.truncated:
            lines += [f"_Only the first {LIMIT:,} sessions of the period are counted; choose a shorter period._", ""]
        thin = any(r.thin for r in self.reps)
        if len(self.reps) > 1 or self.idle:
            lines += ["## The team at a glance", "",
                      "| rep | sessions | objectives reached | score | working on | moved |",
                      "| --- | --- | --- | --- | --- | --- |"]
            for r in self.reps:
                w = r.working_on
                lines.append(f"| {_md(r.rep)} | {r.sessions} | {r.objective_words()} | {_md(_score_cell(r))} | "
                             f"{_md(w.name) if w else '-'} | {_md(w.moved()) if w else '-'} |")
            lines.append("")
            if self.idle:
                lines += [f"No finished session in the period: {', '.join(self.idle)}.", ""]
        for r in self.reps:
            lines += [f"## {r.rep}", ""]
            lines += [f"- {label}: {text}" + (f"; {strong}" if strong else "") for label, text, strong in r.facts()]
            lines.append("")
            if r.criteria:
                lines += ["| criterion | rubric | sessions graded | average | earlier | later | trend |",
                          "| --- | --- | --- | --- | --- | --- | --- |"]
                for c in r.criteria:
                    t = c.trend
                    lines.append(
                        f"| {_md(c.name)} | {_md(c.rubric_title)} | {c.graded} of {c.graded + c.ungraded} | "
                        f"{_pts(c.average) if c.average is not None else 'not graded'} | "
                        f"{_pts(t.earlier) if t.told else '-'} | {_pts(t.later) if t.told else '-'} | "
                        f"{t.word if t.told else TOO_FEW} |")
                lines.append("")
        if thin:
            lines += [f"_{THIN_WORDS}._", ""]
        lines += ["_Scores are 0-100. A trend sets a criterion's earlier sessions in the period against its "
                  f"later ones and needs {MIN_SIDE} on each side; {round(MOVED * 100)} points or more either "
                  "way is improving or slipping, less is steady._", ""]
        return "\n".join(lines)

    # ---- CSV
    CSV_HEADER = ("rep", "sessions", "not_finished", "objectives_reached", "objectives_share", "score",
                  "score_sessions", "thin_score", "thin_sessions", "working_on", "working_on_moved",
                  "marks_good", "marks_missed", "marks_agree", "marks_compared",
                  "rubric", "criterion_id", "criterion", "graded_sessions", "average", "earlier", "later", "trend")

    def csv(self) -> str:
        """One row per rep and criterion (the rep's own figures repeated on each), for a spreadsheet."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(self.CSV_HEADER)
        for r in self.reps:
            m = r.marks
            head = [r.rep, r.sessions, r.not_finished, r.won, _num(r.won_share, 3), _num(r.score, 1), r.scored,
                    _num(r.thin_score, 1), r.thin, r.working_on.name if r.working_on else "",
                    r.working_on.moved() if r.working_on else "",
                    m.good if m else "", m.missed if m else "", m.agree if m else "", m.compared if m else ""]
            if not r.criteria:
                w.writerow(head + [""] * 8)
            for c in r.criteria:
                t = c.trend
                w.writerow(head + [c.rubric, c.id, c.name, c.graded, _num(c.average, 3),
                                   _num(t.earlier, 3), _num(t.later, 3), t.word])
        return out.getvalue()

    # ---- HTML
    def html(self) -> str:
        """One self-contained page: inline CSS, an inline SVG trend line per criterion per rep,
        no script and nothing fetched, so it reads the same offline or attached to an email."""
        names = ", ".join(r.rep for r in self.reps)
        h = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             f"<title>Practice report: {escape(names)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
             f"<h1>Practice report: {escape(names)}</h1>",
             f'<p class="period">{escape(self.period_words())} · {_count(len(self.reps), "rep")} · '
             f"{_count(self.sessions, 'finished session')} · made {escape(self.generated)}</p>"]
        if self.truncated:
            h.append(f"<p><em>Only the first {LIMIT:,} sessions of the period are counted; "
                     "choose a shorter period.</em></p>")
        if len(self.reps) > 1 or self.idle:
            h += ["<h2>The team at a glance</h2>", "<table>",
                  "<tr><th>Rep</th><th>Sessions</th><th>Objectives reached</th><th>Score</th>"
                  "<th>Working on</th><th>Moved</th></tr>"]
            for r in self.reps:
                w = r.working_on
                h.append(f'<tr><td><a href="#{_anchor(r.rep)}">{escape(r.rep)}</a></td><td>{r.sessions}</td>'
                         f"<td>{escape(r.objective_words())}</td><td>{escape(_score_cell(r))}</td>"
                         f"<td>{escape(w.name) if w else '-'}</td><td>{escape(w.moved()) if w else '-'}</td></tr>")
            h.append("</table>")
            if self.idle:
                h.append(f"<p>No finished session in the period: {escape(', '.join(self.idle))}.</p>")
        for r in self.reps:
            h += [f'<section id="{_anchor(r.rep)}">', f"<h2>{escape(r.rep)}</h2>", "<ul>"]
            h += [f"<li><b>{escape(label)}:</b> {escape(text)}" + (f"; <b>{escape(strong)}</b>" if strong else "")
                  + "</li>" for label, text, strong in r.facts()]
            h.append("</ul>")
            if r.criteria:
                h.append('<div class="charts">')
                for c in r.criteria:
                    h.append(_chart(r.rep, c))
                h.append("</div>")
            h.append("</section>")
        if any(r.thin for r in self.reps):
            h.append(f'<p class="note">{escape(THIN_WORDS)}.</p>')
        h.append(f'<p class="note">Scores are 0-100. A trend sets a criterion\'s earlier sessions in the period '
                 f"against its later ones and needs {MIN_SIDE} on each side; {round(MOVED * 100)} points or more "
                 "either way is improving or slipping, less is steady. Each dot is one session.</p>")
        h += ["</body>", "</html>", ""]
        return "\n".join(h)

    def text(self, fmt: str) -> str:
        if fmt == "json":
            return json.dumps(self.to_json(), indent=2) + "\n"
        return {"md": self.markdown, "csv": self.csv, "html": self.html}[fmt]()


LIMIT = 200_000
"""At most this many sessions are read for one report (200 reps x 1,000 sessions)."""


# ----------------------------------------------------------------------------- building it


def build_report(store, lib, rep: str | None = None, team: bool = False,  # noqa: ANN001 - Store, Library | None
                 since: date | None = None, until: date | None = None, today: date | None = None) -> Report:
    """The report on `rep` (or on every rep: `team`, or no rep named) for the sessions started
    from `since` to `until` (local days, both included; None: no bound). `lib`: the library, for
    rubric titles and drill plans (None: without them)."""
    from .drills import _utc_stamp

    lo = _utc_stamp(since) if since else None
    hi = _utc_stamp(until + timedelta(days=1)) if until else None
    who = None if team or rep is None else rep
    rows = store.report_sessions(who, since=lo, until=hi, limit=LIMIT)  # a tag-team call: a row per typist
    truncated = len(rows) >= LIMIT
    crit_rows = store.report_criteria(who, since=lo, until=hi, limit=LIMIT * 20) if rows else []
    unfinished = store.unfinished_counts(who, since=lo, until=hi)
    marked = store.marked_sessions(who, since=lo, until=hi) if rows else []

    by_rep: dict[str, list[tuple]] = {}
    for r in rows:
        by_rep.setdefault(r[1], []).append(r)
    reps_of: dict[str, list[str]] = {}
    for r in rows:
        reps_of.setdefault(r[0], []).append(r[1])
    day_of = {r[0]: _local_day(r[2]) for r in rows}  # once a session, not once a criterion
    criteria_of: dict[str, list[tuple]] = {}
    for c in crit_rows:
        for name in reps_of.get(c[0], ()):
            criteria_of.setdefault(name, []).append(c)
    marks = _marks(store, marked)
    today = today or date.today()
    plans_day = min(until, today) if until else today

    reps = [_rep_report(name, by_rep[name], criteria_of.get(name, []), day_of, unfinished.get(name, 0),
                        marks.get(name), _drills(store, lib, name, plans_day), lib)
            for name in sorted(by_rep, key=str.casefold)]
    idle: list[str] = []
    if who is None:
        idle = [r.name for r in store.reps() if r.name not in by_rep]
    return Report(since, until, reps, idle, datetime.now().strftime("%Y-%m-%d %H:%M"), truncated,
                  calls=len(reps_of))


def _rep_report(name: str, rows: list[tuple], crit_rows: list[tuple], day_of: dict[str, str],
                not_finished: int, marks: Marks | None, drills: list[Drill], lib) -> RepReport:  # noqa: ANN001
    rubric_of = {r[0]: r[4] for r in rows}
    scored = [r[6] for r in rows if r[6] is not None and r[7] is not None]
    thin = [r[6] for r in rows if r[6] is not None and r[7] is None]
    lines: dict[tuple[str, str], dict[str, Any]] = {}
    for sid, cid, cname, score in crit_rows:
        key = (rubric_of[sid], cid)
        line = lines.setdefault(key, {"name": cname, "points": [], "ungraded": 0})
        if score is None:
            line["ungraded"] += 1
        else:
            line["points"].append(Point(day_of[sid], float(score), sid))
    criteria = [CriterionLine(rubric, _rubric_title(lib, rubric), cid, v["name"], len(v["points"]), v["ungraded"],
                              _mean([p.score for p in v["points"]]), trend([p.score for p in v["points"]]),
                              v["points"], _weeks(v["points"]))
                for (rubric, cid), v in lines.items()]
    return RepReport(
        rep=name, sessions=len(rows), not_finished=not_finished,
        first=day_of[rows[0][0]] if rows else None, last=day_of[rows[-1][0]] if rows else None,
        scenarios=dict(Counter(r[3] for r in rows).most_common()),
        won=sum(1 for r in rows if r[5] == "won"),
        score=_mean(scored), scored=len(scored), thin_score=_mean(thin), thin=len(thin),
        criteria=criteria, working_on=_working_on(rows, lines, day_of), marks=marks, drills=drills,
        together=sum(1 for r in rows if r[11] == "tag-team"))


def trend(scores: list[float]) -> Trend:
    """The earlier half of `scores` (oldest first) against the later half, the middle one left
    out when there is an odd number; too few sessions to tell under MIN_SIDE a side."""
    half = len(scores) // 2
    if half < MIN_SIDE:
        return Trend(None, None, half, half, TOO_FEW)
    earlier, later = _mean(scores[:half]), _mean(scores[-half:])
    change = later - earlier
    word = "improving" if change >= MOVED - 1e-9 else "slipping" if change <= -MOVED + 1e-9 else "steady"
    return Trend(earlier, later, half, half, word)


def _working_on(rows: list[tuple], lines: dict[tuple[str, str], dict[str, Any]],
                day_of: dict[str, str]) -> WorkingOn | None:
    """The behaviour the rep's scorecards named most (the latest named on a tie), and that
    criterion's trend in the sessions of the period."""
    named = [(r[9], r[10], r[4], day_of[r[0]]) for r in rows if r[9]]
    if not named:
        return None
    counts = Counter(n[0] for n in named)
    last_seen = {n[0]: i for i, n in enumerate(named)}
    pick = max(counts, key=lambda c: (counts[c], last_seen[c]))
    cid, cname, rubric, day = named[last_seen[pick]]
    line = lines.get((rubric, cid))
    return WorkingOn(cid, cname or (line["name"] if line else cid), rubric if line else None, counts[pick],
                     len(rows), day,
                     trend([p.score for p in line["points"]]) if line else None)


def _marks(store, session_ids: list[str]) -> dict[str, Marks]:  # noqa: ANN001 - Store
    """Per rep: the observer's marks on these sessions and how they sit beside the grader."""
    if not session_ids:
        return {}
    from .practice import observer_agreement

    out: dict[str, dict[str, Any]] = {}
    for sid in session_ids:
        row = store.session(sid)
        if row is None:
            continue
        marks = store.marks(sid)
        if not marks:
            continue
        acc = out.setdefault(row.rep, {"sessions": 0, "good": 0, "missed": 0, "notes": 0, "per": {}})
        acc["sessions"] += 1
        kinds = Counter(m.kind for m in marks)
        acc["good"] += kinds.get("good", 0)
        acc["missed"] += kinds.get("missed", 0)
        acc["notes"] += kinds.get("note", 0)
        for a in observer_agreement(row, store.turns(sid), marks):
            per = acc["per"].setdefault(a.criterion, {"criterion": a.criterion, "name": a.name,
                                                      "compared": 0, "agree": 0})
            per["compared"] += a.compared
            per["agree"] += a.agree
    return {rep: Marks(a["sessions"], a["good"], a["missed"], a["notes"],
                       sum(p["compared"] for p in a["per"].values()), sum(p["agree"] for p in a["per"].values()),
                       list(a["per"].values()))
            for rep, a in out.items()}


def _drills(store, lib, rep: str, today: date) -> list[Drill]:  # noqa: ANN001
    if lib is None or not getattr(lib, "drills", None):
        return []
    from . import drills

    out = []
    for plan in drills.all_progress(store, lib, rep, today):
        nxt = plan.next
        out.append(Drill(plan.id, plan.title, plan.done,
                         [{"label": s.label, "done_sessions": s.count, "target": s.target, "done": s.done}
                          for s in plan.steps],
                         None if nxt is None else drills.next_words(plan)))
    return out


# ----------------------------------------------------------------------------- small words


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "-"


def _pts(score: float | None) -> str:
    """A 0-1 score as points of 100."""
    return "-" if score is None else f"{round(score * 100)}"


def _num(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _score_cell(r: RepReport) -> str:
    """'72', '72 (and 55* on 3)', '55*' or '-' for the team table."""
    solid = f"{r.score:.0f}" if r.scored else ""
    thin = f"{r.thin_score:.0f}{THIN_MARK}" if r.thin else ""
    if solid and thin:
        return f"{solid} (and {thin} on {r.thin})"
    return solid or thin or "-"


def _moment(scenario_id: str) -> str:
    from .words import moment

    return moment(scenario_id)


def _local(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).astimezone()


def _local_day(stamp: str) -> str:
    try:
        return _local(stamp).date().isoformat()
    except ValueError:
        return stamp[:10]


def _day(day: str | None) -> str:
    try:
        return f"{date.fromisoformat(day):%a %d %b}" if day else "-"
    except ValueError:
        return day


@functools.lru_cache(maxsize=4096)
def _week(day: str) -> str:
    """'2025-03-03' -> '2025-W10' (the ISO week)."""
    y, w, _ = date.fromisoformat(day).isocalendar()
    return f"{y}-W{w:02d}"


def _weeks(points: list[Point]) -> list[dict[str, Any]]:
    weeks: dict[str, list[float]] = {}
    for p in points:
        weeks.setdefault(_week(p.day), []).append(p.score)
    return [{"week": k, "score": round(_mean(v), 3), "sessions": len(v)} for k, v in weeks.items()]


def _rubric_title(lib, rubric_id: str) -> str:  # noqa: ANN001
    entry = lib.rubrics.get(rubric_id) if lib is not None else None
    return entry.model.title if entry is not None else rubric_id


def _anchor(name: str) -> str:
    return "rep-" + "".join(ch if ch.isalnum() else "-" for ch in name.lower())


# ----------------------------------------------------------------------------- the HTML page

_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1d1d1f;background:#fff;
max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;
margin-top:2rem}.period{color:#555;margin-top:0}table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}th{background:#f3f3f3}
ul{padding-left:1.2rem}.charts{display:flex;flex-wrap:wrap;gap:1rem}
figure{margin:0;border:1px solid #ddd;border-radius:4px;padding:.5rem;width:19rem}
figcaption{font-size:.9rem;margin-bottom:.3rem}figcaption b{display:block}
.trend-improving{color:#1a7f37}.trend-slipping{color:#b42318}.trend-steady,.trend-few{color:#555}
.note{color:#555;font-size:.9rem}svg{display:block}
@media print{body{margin:0}figure{break-inside:avoid}}
"""

_W, _H, _PAD_L, _PAD_R, _PAD_T, _PAD_B = 300, 110, 30, 10, 8, 20


def _chart(rep: str, c: CriterionLine) -> str:
    """A criterion's scores over the period: a dot per session, joined by a line, 0-100 up the side."""
    t = c.trend
    css = {"improving": "trend-improving", "slipping": "trend-slipping", "steady": "trend-steady"}.get(
        t.word, "trend-few")
    caption = (f"<figcaption><b>{escape(c.name)}</b>{escape(c.rubric_title)} · "
               f"{c.graded} of {c.graded + c.ungraded} sessions graded · "
               f'<span class="{css}">{escape(t.words())}</span></figcaption>')
    if not c.points:
        return (f'<figure data-rep="{escape(rep)}" data-criterion="{escape(c.id)}">{caption}'
                f"<p class=\"note\">Not graded in any session of the period"
                f"{' (it needs a model judge)' if c.ungraded else ''}.</p></figure>")
    days = [date.fromisoformat(p.day) for p in c.points]
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    inner_w, inner_h = _W - _PAD_L - _PAD_R, _H - _PAD_T - _PAD_B
    n = len(c.points)
    xy = []
    for i, (p, d) in enumerate(zip(c.points, days)):
        # by day, and sessions on the same day spread a little so each dot shows
        x = _PAD_L + (inner_w * ((d - first).days / span) if last > first else inner_w * (i + 0.5) / n)
        y = _PAD_T + inner_h * (1 - p.score)
        xy.append((x, y, p))
    if last > first:  # same-day sessions: nudge apart in order
        seen: Counter = Counter()
        for j, (x, y, p) in enumerate(xy):
            k = seen[p.day]
            seen[p.day] += 1
            xy[j] = (min(x + 3 * k, _W - _PAD_R), y, p)
    label = f"{rep}: {c.name}, {n} sessions, {t.words()}"
    s = [f'<svg width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" '
         f'role="img" aria-label="{escape(label)}" data-rep="{escape(rep)}" data-criterion="{escape(c.id)}">']
    for level in (0, 0.5, 1):
        y = _PAD_T + inner_h * (1 - level)
        s.append(f'<line x1="{_PAD_L}" y1="{y:.1f}" x2="{_W - _PAD_R}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        s.append(f'<text x="{_PAD_L - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end" '
                 f'fill="#666">{round(level * 100)}</text>')
    base = _H - 5
    s.append(f'<text x="{_PAD_L}" y="{base}" font-size="10" fill="#666">{first:%d %b}</text>')
    if last > first:
        s.append(f'<text x="{_W - _PAD_R}" y="{base}" font-size="10" text-anchor="end" '
                 f'fill="#666">{last:%d %b}</text>')
    if n > 1:
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in xy)
        s.append(f'<polyline points="{pts}" fill="none" stroke="#2f6fb3" stroke-width="1.5"/>')
    for x, y, p in xy:
        s.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#2f6fb3">'
                 f"<title>{escape(p.day)}: {_pts(p.score)}</title></circle>")
    s.append("</svg>")
    return f'<figure data-rep="{escape(rep)}" data-criterion="{escape(c.id)}">{caption}{"".join(s)}</figure>'


# ----------------------------------------------------------------------------- command


def parse_day(text: str | None, option: str) -> date | None:
    """A YYYY-MM-DD day from the command line, or a sentence saying what is wrong with it."""
    from .errors import RoleplayError

    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise RoleplayError(f"{option} '{text}' is not a day roleplay can read; write it as YYYY-MM-DD, "
                            f"e.g. {date.today():%Y-%m-%d}.") from None


def cmd_report(args: argparse.Namespace) -> int:
    from . import library
    from .cli import _settings, _spare_the_final_collection, _store
    from .errors import NotFound, RoleplayError

    since, until = parse_day(args.since, "--since"), parse_day(args.until, "--until")
    if since and until and since > until:
        raise RoleplayError(f"--since {since} is after --until {until}; the period would be empty. "
                            "Swap them, or leave one out.")
    fmt = args.format
    if fmt is None:
        suffix = args.out.suffix.lower().lstrip(".") if args.out is not None else ""
        fmt = {"htm": "html", "markdown": "md"}.get(suffix, suffix) if suffix in (*FORMATS, "htm", "markdown") else "md"
    rep = " ".join(args.rep.split()) if args.rep is not None else None
    if rep is not None and not rep:
        raise RoleplayError("--rep needs a name, e.g. --rep Ana (or --team for every rep).")
    store = _store(_settings(args))
    if rep is not None:
        known = [r.name for r in store.reps()]
        match = next((n for n in known if n.casefold() == rep.casefold()), None)
        if match is None:
            listed = ", ".join(known[:12]) + (f" and {len(known) - 12} more" if len(known) > 12 else "")
            raise NotFound(f"nobody called '{rep}' has practised yet, so there is no report on them.",
                           hint=f"The reps in the practice history: {listed}." if known else
                           "Nobody has practised yet.")
        rep = match
    narrowed = store.narrowed()
    if narrowed:  # or a "team" report of one rep reads as if nobody else had practised
        print(f"Note: {narrowed}.", file=sys.stderr)
    lib = library.load(extra=args.library)
    _spare_the_final_collection()
    report = build_report(store, lib, rep=rep, team=rep is None, since=since, until=until)
    if report.empty():
        print(report.empty_words(rep))
        return 0
    text = report.text(fmt)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_name(args.out.name + ".part")
        tmp.write_text(text, encoding="utf-8", newline="")
        tmp.replace(args.out)
    except OSError as exc:
        raise RoleplayError(f"the report can't be written to {args.out} ({exc.strerror or exc}); "
                            "choose another file with --out.") from None
    print(f"Wrote the report ({_count(len(report.reps), 'rep')}, {_count(report.sessions, 'session')}, "
          f"{fmt}) to {args.out}")
    return 0
