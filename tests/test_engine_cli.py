"""The engine's commands as a user runs them: practice (plain), grade, history, export, doctor;
and a session killed with SIGKILL mid-call loses no committed turn and can be resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


from .conftest import ROOT


def env(home: Path) -> dict[str, str]:
    e = dict(os.environ)
    e.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"))
    for k in ("ROLEPLAY_MODEL", "OPENAI_API_KEY", "ROLEPLAY_LIBRARY"):
        e.pop(k, None)
    return e


def run(home: Path, *args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "roleplay", *args], input=stdin, cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=env(home))


def db(home: Path) -> Path:
    return home / "data" / "roleplay" / "roleplay.db"


def test_grade_prints_the_contract_json(tmp_path: Path) -> None:
    proc = run(tmp_path, "grade", str(ROOT / "examples/price-objection-call.txt"),
               "--rubric", "objection-handling", "--offline", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["rubric"] == "objection-handling"
    assert isinstance(data["score"], (int, float))
    reps = [t for t in data["turns"] if t["speaker"] == "rep"]
    assert reps and all({"index", "speaker", "text", "grades"} <= set(t) for t in data["turns"])
    verdicts = {g["verdict"] for t in reps for g in t["grades"]}
    assert verdicts <= {"pass", "fail", "n/a", "ungraded"}
    for t in reps:
        for g in t["grades"]:
            assert set(g) == {"criterion", "verdict", "score", "evidence", "reason", "source"}
            assert all(e in t["text"] for e in g["evidence"])
    # the rep's discount offer in the example is caught by the instant signal
    discount = [g for t in reps for g in t["grades"]
                if g["criterion"] == "value-not-discount" and g["verdict"] == "fail"]
    assert discount and discount[0]["source"] == "signal"
    # offline, criteria without a signal are ungraded: never a made-up score
    assert all(g["score"] is None for t in reps for g in t["grades"] if g["criterion"] == "confirm")


def test_grade_says_how_it_grades_not_the_practice_banner(tmp_path: Path) -> None:
    """A pasted call has no buyer: offline, grade says signals only, not 'offline practice'."""
    proc = run(tmp_path, "grade", str(ROOT / "examples/price-objection-call.txt"),
               "--rubric", "objection-handling", "--offline")
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first == "Handling an objection: signals only (no model judge)", first
    assert "scripted buyer" not in proc.stdout and "practice" not in first


def test_grade_reports_a_broken_transcript_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "call.txt"
    bad.write_text("Rep: Hi Dana.\nBuyer: Hi.\n")
    proc = run(tmp_path, "grade", str(bad), "--rubric", "no-such-rubric", "--offline")
    assert proc.returncode == 1 and "no rubric called 'no-such-rubric'" in proc.stderr
    bad.write_text("hello there\nRep: Hi\n")
    proc = run(tmp_path, "grade", str(bad), "--rubric", "objection-handling", "--offline")
    assert proc.returncode == 1 and f"{bad}:1:1:" in proc.stderr


def test_plain_practice_history_and_export(tmp_path: Path) -> None:
    lines = ("When you say double, what are you comparing it to?\n"
             "What does a spoiled load cost you when it happens?\n/hint\n/end\n")
    proc = run(tmp_path, "practice", "price-objection", "--plain", "--offline", "--rep", "Ana",
               "--seed", "1", stdin=lines)
    assert proc.returncode == 0, proc.stderr
    assert "offline practice" in proc.stdout and "Hint:" in proc.stdout and "Behaviour score" in proc.stdout
    history = json.loads(run(tmp_path, "history", "--json").stdout)
    assert len(history) == 1 and history[0]["rep"] == "Ana" and history[0]["status"] == "finished"
    sid = history[0]["id"]
    md = run(tmp_path, "export", sid, "--format", "md")
    assert md.returncode == 0 and "# " in md.stdout and "**Rep:** When you say double" in md.stdout
    js = json.loads(run(tmp_path, "export", sid, "--format", "json").stdout)
    assert js["session"]["id"] == sid and js["turns"][1]["speaker"] == "rep"
    missing = run(tmp_path, "export", "nope")
    assert missing.returncode == 1
    assert missing.stderr == "roleplay export: no session 'nope' (see 'roleplay history')\n"

    # both formats: one file each (in the current folder, or --out), never both glued on stdout
    here = tmp_path / "here"
    here.mkdir()
    both = run(tmp_path, "export", sid, "--format", "md,json", cwd=here)
    assert both.returncode == 0, both.stderr
    written = sorted(here.iterdir())
    assert [p.suffix for p in written] == [".json", ".md"]
    assert both.stdout.splitlines() == [str(here / f"{sid}-price-objection.md"),
                                        str(here / f"{sid}-price-objection.json")]
    assert json.loads((here / f"{sid}-price-objection.json").read_text()) == js
    assert (here / f"{sid}-price-objection.md").read_text() == md.stdout
    out = run(tmp_path, "export", sid, "--format", "json", "--out", str(tmp_path / "reports"))
    assert out.returncode == 0 and out.stdout.strip() == str(tmp_path / "reports" / f"{sid}-price-objection.json")
    bad = run(tmp_path, "export", sid, "--format", "md,pdf", cwd=here)
    assert bad.returncode == 1 and "unknown format 'pdf'" in bad.stderr and bad.stdout == ""


def test_doctor_explains_offline_and_how_to_connect(tmp_path: Path) -> None:
    proc = run(tmp_path, "doctor")
    assert proc.returncode == 0
    assert "OFFLINE" in proc.stdout and "ROLEPLAY_MODEL" in proc.stdout and "--model" in proc.stdout


def test_sigkill_mid_session_loses_no_committed_turn_and_resumes(tmp_path: Path, history_env, open_history) -> None:
    # on the SQLite file and on the team's PostgreSQL database (history_env points the commands at it)
    proc = subprocess.Popen(
        [sys.executable, "-m", "roleplay", "practice", "price-objection", "--plain", "--offline",
         "--rep", "Ana", "--seed", "2"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env(tmp_path), bufsize=1)
    assert proc.stdin and proc.stdout
    import queue
    import threading

    lines_out: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines_out.put(ln) for ln in proc.stdout], daemon=True).start()
    session_id = None
    seen_replies = 0
    lines = ["When you say double, what are you comparing it to?",
             "What does a spoiled load cost you when it happens?"]
    deadline = time.monotonic() + 60
    proc.stdin.write(lines[0] + "\n")
    proc.stdin.flush()
    while time.monotonic() < deadline:
        try:  # never block on a child that waits for input: a hang must fail, not stall
            out = lines_out.get(timeout=max(0.1, deadline - time.monotonic())).removeprefix("> ")
        except queue.Empty:
            break
        if out.startswith("Session "):
            session_id = out.split()[1].rstrip(".")
        if out.startswith("Dana Whitfield:") and session_id and "(trust" not in out:
            seen_replies += 1
            if seen_replies == 2:  # the opening and the reply to the first turn
                proc.stdin.write(lines[1] + "\n")
                proc.stdin.flush()
            if seen_replies == 3:
                break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert session_id and seen_replies == 3
    store = open_history()
    turns = store.turns(session_id)
    assert [t.speaker for t in turns] == ["buyer", "rep", "buyer", "rep", "buyer"]
    assert turns[3].text == lines[1]
    assert store.session(session_id).status == "active"
    store.close()
    resumed = run(tmp_path, "practice", "--resume", session_id, "--plain",
                  stdin="How is MedCo reacting to the two incidents?\n/end\n")
    assert resumed.returncode == 0, resumed.stderr
    store = open_history()
    turns = store.turns(session_id)
    assert len(turns) == 7 and turns[5].text.startswith("How is MedCo")
    assert store.session(session_id).status == "finished"
    store.close()


def test_grade_takes_a_rubric_file_path(tmp_path: Path) -> None:
    rubric = Path(__file__).resolve().parent.parent / "rubrics" / "objection-handling.yaml"
    example = Path(__file__).resolve().parent.parent / "examples" / "price-objection-call.txt"
    proc = run(tmp_path, "grade", str(example), "--rubric", str(rubric), "--offline", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["rubric"] == "objection-handling"


def test_a_damaged_history_is_kept_aside_and_a_fresh_one_started_on_request(tmp_path: Path) -> None:
    path = db(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a database at all" * 100)
    broken = run(tmp_path, "history")
    assert broken.returncode == 1 and "roleplay history --start-fresh" in broken.stderr
    assert "Traceback" not in broken.stderr
    fresh = run(tmp_path, "history", "--start-fresh")
    assert fresh.returncode == 0, fresh.stderr
    kept = [p for p in path.parent.iterdir() if ".damaged-" in p.name]
    assert len(kept) == 1 and kept[0].read_bytes() == b"not a database at all" * 100
    assert run(tmp_path, "history").returncode == 0
