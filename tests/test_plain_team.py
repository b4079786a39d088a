"""Practising together in plain mode (issue 9, item 7): a tag team, a colleague as the buyer, a hot
seat, the scoreboard command, and bad input said in sentences, all from piped input, offline."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest

from roleplay import cli
from roleplay.plain import run
from roleplay.practice import open_session, resume_session
from roleplay.settings import Settings
from roleplay.store import Store

ASK = "When you say double, what are you comparing it to?"
COST = "What does a spoiled load cost you when it happens?"
NEXT = "Could we book 30 minutes with you and Mark on Thursday at 10 to go through the numbers?"


def practise(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str],
             lines: str) -> tuple[int, str, str]:
    """`roleplay ARGS` with LINES piped in; (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(lines))
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


def history(home: Path) -> Store:
    return Store(home / "data" / "roleplay" / "roleplay.db")


def session_ids(out: str) -> list[str]:
    return re.findall(r"^Session (\w+)\.", out, flags=re.M)


def test_a_tag_team_call_alternates_authors_and_exports_rep_and_marks(
        monkeypatch, capsys, _isolated_home) -> None:
    lines = "\n".join([ASK, "/mark good great question", COST, "/mark missed 1 asked too late",
                       "/who Ana", NEXT, "/end", "", "", ""]) + "\n"
    code, out, err = practise(monkeypatch, capsys, ["practice", "price-objection", "--plain", "--offline",
                                                    "--reps", "Ana,Ben", "--seed", "1"], lines)
    assert code == 0, err
    assert "Traceback" not in out + err
    # the prompt names who types, and the hand-over is said
    assert "Ana> " in out and "Ben> " in out and "(Ben's turn)" in out
    assert "Tag team: Ana and Ben share this call" in out
    assert "Ana types the next turn." in out  # /who Ana
    assert 'Marked turn 1 (Ana: "When you say double' in out
    # the call ends in the scoreboard, each rep a column, with their share of the turns
    assert "# Team scoreboard:" in out and "| criterion | Ana | Ben |" in out
    assert "| Share of the rep's turns | 67% (2) | 33% (1) |" in out

    (sid,) = session_ids(out)
    store = history(_isolated_home)
    row = store.session(sid)
    assert row.mode == "tag-team" and row.team_id is not None
    reps = [t for t in store.turns(sid) if t.speaker == "rep"]
    assert [(t.author, t.text) for t in reps] == [("Ana", ASK), ("Ben", COST), ("Ana", NEXT)]
    assert [(m.turn, m.kind, m.note) for m in store.marks(sid)] == [
        (1, "good", "great question"), (1, "missed", "asked too late")]
    store.close()

    assert cli.main(["export", sid, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rep_rows = [t for t in data["turns"] if t["speaker"] == "rep"]
    assert [t["rep"] for t in rep_rows] == ["Ana", "Ben", "Ana"]
    assert all("marks" in t for t in rep_rows)
    assert [m["kind"] for m in rep_rows[0]["marks"]] == ["good", "missed"]
    assert rep_rows[1]["marks"] == [] and rep_rows[2]["marks"] == []

    # the scoreboard again, from the call's id
    assert cli.main(["scoreboard", sid, "--format", "json"]) == 0
    board = json.loads(capsys.readouterr().out)
    assert board["mode"] == "tag-team" and [r["rep"] for r in board["reps"]] == ["Ana", "Ben"]
    assert [r["turns"] for r in board["reps"]] == [2, 1]


def test_redo_in_a_tag_team_gives_the_turn_back_to_whoever_typed_it(monkeypatch, capsys, _isolated_home) -> None:
    lines = "\n".join([ASK, "/redo", COST, "/end", "", "", ""]) + "\n"
    code, out, err = practise(monkeypatch, capsys, ["practice", "price-objection", "--plain", "--offline",
                                                    "--reps", "Ana,Ben", "--seed", "1"], lines)
    assert code == 0, err
    assert f"Taken back (Ana): {ASK}" in out
    (sid,) = session_ids(out)
    store = history(_isolated_home)
    assert [(t.author, t.text) for t in store.turns(sid) if t.speaker == "rep"] == [("Ana", COST)]
    store.close()


async def test_a_colleague_plays_the_buyer_from_the_cue(lib, store) -> None:
    session = open_session(Settings(), store, lib, "price-objection", "medium", ["Ana", "Ben"],
                           mode="tag-team", buyer_player="Carla", seed=1)
    lines = "\n".join([ASK, "Licence to licence, I suppose. Go on.", COST,
                       "Two loads this quarter, about seventy thousand.", "/end", "", "", ""]) + "\n"
    out = io.StringIO()
    assert await run(session, "offline practice", out=out, inp=io.StringIO(lines)) == 0
    text = out.getvalue()
    # the cue is for the colleague, clearly labelled, with what to do, a line and the state
    assert "Carla plays Dana Whitfield, the buyer" in text
    assert "[for Carla, playing Dana] " in text
    assert re.search(r'Suggested: "[^"]+" \(say it in your own words\)', text), text
    assert re.search(r"trust \d+ \(agrees at \d+\), patience \d+ turns", text)
    assert "Carla as Dana> " in text
    turns = store.turns(session.id)
    buyers = [t for t in turns if t.speaker == "buyer" and t.index > 0]
    assert [(t.author, t.text) for t in buyers] == [
        ("Carla", "Licence to licence, I suppose. Go on."),
        ("Carla", "Two loads this quarter, about seventy thousand.")]
    assert [t.author for t in turns if t.speaker == "rep"] == ["Ana", "Ben"]
    # the colleague's line is not printed twice (it was typed at their prompt)
    assert "Dana Whitfield: Licence to licence" not in text


async def test_a_call_paused_at_the_buyers_prompt_shows_the_cue_again_on_resume(lib, store) -> None:
    session = open_session(Settings(), store, lib, "price-objection", "medium", ["Ana"],
                           buyer_player="Carla", seed=1)
    out = io.StringIO()
    await run(session, "offline practice", out=out, inp=io.StringIO(ASK + "\n"))
    assert f"Resume with: roleplay practice --resume {session.id}" in out.getvalue()
    again = resume_session(Settings(), store, lib, session.id)
    assert again.buyer_player == "Carla" and again.awaiting_reply
    out = io.StringIO()
    await run(again, "offline practice", out=out, inp=io.StringIO("Fair. Go on.\n/end\n\n\n\n"))
    text = out.getvalue()
    assert "[for Carla, playing Dana]" in text and "Carla as Dana> " in text
    assert [t.text for t in store.turns(session.id)][-1] == "Fair. Go on."


def test_a_hot_seat_runs_each_reps_call_and_ends_in_the_scoreboard(monkeypatch, capsys, _isolated_home) -> None:
    lines = "\n".join([ASK, "/end", "", "", "",  # Ana's call and debrief
                       "We can do 20 percent off.", "/mark missed discounted at once", "/end", "", "", ""]) + "\n"
    code, out, err = practise(monkeypatch, capsys, ["practice", "price-objection", "--plain", "--offline",
                                                    "--reps", "Ana,Ben", "--mode", "hot-seat"], lines)
    assert code == 0, err
    assert "Next in the hot seat: Ben." in out
    first, second = session_ids(out)
    assert out.index("Scorecard of Ana's call:") < out.index("Next in the hot seat: Ben.") \
        < out.index("Scorecard of Ben's call:") < out.index("# Team scoreboard:")
    board = out[out.index("# Team scoreboard:"):]
    assert "hot seat" in board.splitlines()[0] and "| criterion | Ana | Ben |" in board
    assert "Ana leads on" in board  # Ana asked; Ben discounted
    store = history(_isolated_home)
    a, b = store.session(first), store.session(second)
    assert (a.rep, b.rep) == ("Ana", "Ben") and a.team_id == b.team_id is not None
    assert a.seed == b.seed  # the same buyer, opening the same way
    assert [t.text for t in store.turns(first)][0] == [t.text for t in store.turns(second)][0]
    assert [m.kind for m in store.marks(second)] == ["missed"]
    team_id = a.team_id
    store.close()
    assert cli.main(["scoreboard", team_id]) == 0
    again = capsys.readouterr().out
    assert "| criterion | Ana | Ben |" in again and "Ana leads on" in again


def test_bad_input_in_the_call_is_a_sentence_and_nothing_is_lost(monkeypatch, capsys, _isolated_home) -> None:
    lines = "\n".join(["/mark good", "/who Nobody", "/mark great", ASK, "/mark good 0", "/mark note",
                       "/end", "", "", ""]) + "\n"
    code, out, err = practise(monkeypatch, capsys, ["practice", "price-objection", "--plain", "--offline",
                                                    "--reps", "Ana,Ben", "--seed", "1"], lines)
    assert code == 0, err
    assert "Traceback" not in out + err
    assert "Not marked: there is no rep turn to mark yet." in out
    assert "Not handed over: Nobody is not in this session (here: Ana, Ben)." in out
    assert "Not marked: a mark is good, missed or note, not 'great'." in out
    assert "Not marked: turn 0 is the buyer's; marks are for the rep's turns." in out
    assert "Not marked: a note needs some words." in out
    (sid,) = session_ids(out)
    store = history(_isolated_home)
    # /who Nobody lost nothing: Ana still typed the first turn, and no mark was made
    assert [(t.author, t.text) for t in store.turns(sid) if t.speaker == "rep"] == [("Ana", ASK)]
    assert store.marks(sid) == []
    store.close()


@pytest.mark.parametrize(("args", "words"), [
    (["--reps", "Ana", "--mode", "hot-seat"], "hot seat needs two or more reps (e.g. --reps Ana,Ben)"),
    (["--reps", "Ana,Ben", "--mode", "tag-team", "--human-buyer", "ben"],
     "ben cannot play the buyer and a rep in the same call"),
    (["--reps", "Ana,Ben", "--mode", "solo"], "solo is one rep practising alone; with Ana and Ben use"),
    (["--reps", "Ana,ana"], "a name is given twice"),
    (["--rep", "Ana", "--reps", "Ana,Ben"], "not both"),
    (["--reps", " , "], "--reps needs names"),
])
def test_bad_team_flags_are_a_sentence_and_exit_1(monkeypatch, capsys, _isolated_home, args, words) -> None:
    code, out, err = practise(monkeypatch, capsys, ["practice", "price-objection", "--plain", "--offline", *args],
                              "")
    assert code == 1
    assert err.startswith("roleplay practice: ") and words in err and "Traceback" not in err
    assert out == ""
    store = history(_isolated_home)
    assert store.sessions() == []  # nothing was started
    store.close()


def test_scoreboard_of_a_call_practised_alone_or_unknown_is_a_sentence(monkeypatch, capsys, _isolated_home) -> None:
    code, out, err = practise(monkeypatch, capsys, ["practice", "price-objection", "--plain", "--offline",
                                                    "--rep", "Ana"], ASK + "\n/end\n\n\n\n")
    assert code == 0, err
    (sid,) = session_ids(out)
    assert cli.main(["scoreboard", sid]) == 1
    err = capsys.readouterr().err
    assert err == (f"roleplay scoreboard: session {sid} was practised alone (Ana), so it has no team "
                   f"scoreboard; its report is 'roleplay export {sid}'\n")
    assert cli.main(["scoreboard", "nope"]) == 1
    assert capsys.readouterr().err == ("roleplay scoreboard: no team session or session 'nope' "
                                       "(see 'roleplay history')\n")
