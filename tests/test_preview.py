"""`roleplay preview` (issue 10, item 4): a strong and a weak scripted rep against a buyer.

The command line (text side by side or one after the other, verdicts, JSON), the pure
function behind it, problems said as sentences, nothing written to the practice history,
and the app's preview screen opened from home.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from roleplay import library
from roleplay.app.app import RoleplayApp
from roleplay.app.screens.home import HomeScreen
from roleplay.cli import main
from roleplay.preview import preview_scenario
from roleplay.settings import Settings
from roleplay.store import Store

LIB = library.load([library.shipped_folder()])


def run(capsys: pytest.CaptureFixture, *argv: str, columns: int = 120) -> tuple[int, str, str]:
    os.environ["COLUMNS"] = str(columns)
    try:
        code = main(["preview", *argv])
    finally:
        os.environ.pop("COLUMNS", None)
    out, err = capsys.readouterr()
    return code, out, err


def test_text_shows_both_reps_the_state_and_the_verdicts_side_by_side(capsys) -> None:
    code, out, err = run(capsys, "price-objection", "--difficulty", "hard")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("price-objection (") and "hard, offline buyer, seed 1" in lines[0]
    assert "Trust starts at 25 and must reach 80 to agree; patience 8 turns" in out
    heading = next(line for line in lines if line.startswith("STRONG REP"))
    assert "WEAK REP" in heading  # two columns on a wide terminal
    assert max(len(line) for line in lines) <= 120
    for figure in ("trust ", " of 80 needed", "patience ", "facts: ", "grades: ", "objection open: "):
        assert figure in out
    assert "Buyer: " in out and "Rep: " in out
    verdicts = lines[-2:]
    assert verdicts[0].startswith("Strong rep: ") and verdicts[1].startswith("Weak rep: ")
    for v in verdicts:
        assert any(w in v for w in ("won at turn", "buyer walked away at turn", "still talking after"))
    assert "Traceback" not in out + err


def test_a_narrow_terminal_gets_one_call_after_the_other(capsys) -> None:
    code, out, _ = run(capsys, "price-objection", columns=70)
    assert code == 0
    lines = out.splitlines()
    assert "STRONG REP" in lines and "WEAK REP" in lines
    assert lines.index("STRONG REP") < lines.index("WEAK REP")
    assert max(len(line) for line in lines) <= 70


def test_all_difficulties_and_turns_cap(capsys) -> None:
    code, out, _ = run(capsys, "status-quo", "--difficulty", "all", "--turns", "2")
    assert code == 0
    for d in ("easy", "medium", "hard"):
        assert f": {d}, offline buyer" in out
    assert out.count("Strong rep: ") == 3
    assert "Turn 3" not in out


def test_json_shape(capsys) -> None:
    code, out, _ = run(capsys, "price-objection", "--json", "--difficulty", "easy", "--seed", "7")
    assert code == 0
    data = json.loads(out)
    assert data["scenario"] == "price-objection" and data["seed"] == 7 and data["buyer"] == "offline"
    (p,) = data["previews"]
    assert p["difficulty"] == "easy"
    assert {"opening", "starting_trust", "trust_to_agree", "patience", "opening_objection"} <= set(p)
    assert set(p["calls"]) == {"strong", "weak"}
    for call in p["calls"].values():
        assert call["outcome"] in ("won", "walked-away", "in-progress")
        assert call["verdict"]
        turn = call["turns"][0]
        assert set(turn) >= {"turn", "rep", "buyer", "silent", "move", "reaction", "trust", "trust_to_agree",
                             "patience", "revealed", "new_facts", "raised", "open_objection", "passed",
                             "failed", "grades"}


def test_the_same_seed_plays_the_same_calls(capsys) -> None:
    a = run(capsys, "the-ghost", "--json")[1]
    b = run(capsys, "the-ghost", "--json")[1]
    assert a == b


@pytest.mark.parametrize("scenario", sorted(LIB.scenarios))
def test_the_strong_rep_does_better_than_the_weak_one_on_easy(scenario: str) -> None:
    (p,) = preview_scenario(LIB, scenario, ("easy",))
    strong, weak = p.strong, p.weak
    rank = {"won": 2, "in-progress": 1, "walked-away": 0, "ended-by-rep": 0}
    assert (rank[strong.outcome], strong.turns[-1].trust) > (rank[weak.outcome], weak.turns[-1].trust)
    assert len(strong.turns[-1].revealed) >= len(weak.turns[-1].revealed)


def test_the_ghost_shows_silences_as_notes() -> None:
    (p,) = preview_scenario(LIB, "the-ghost", ("medium",))
    assert p.opening.startswith("No reply for")
    silent = [t for t in p.weak.turns if t.silent]
    assert silent and all(t.buyer and t.move == "silence" for t in silent)


@pytest.mark.parametrize("argv, words", [
    (["no-such-scenario"], "no scenario called 'no-such-scenario'"),
    (["price-objection", "--difficulty", "brutal"], "there is no difficulty 'brutal': use easy, medium, hard or all"),
    (["price-objection", "--turns", "0"], "--turns needs a number of turns of 1 or more"),
    (["missing/file.yaml"], "does not exist"),
])
def test_bad_input_is_a_sentence_and_exit_1(capsys, argv: list[str], words: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert words in err
    assert err.startswith("roleplay preview: ")
    assert "Traceback" not in out + err


def test_a_broken_file_is_a_sentence_and_exit_1(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("kind: scenario\nid: broken\ntitle: [unclosed\n")
    code, out, err = run(capsys, str(bad))
    assert code == 1
    assert "can't be previewed because it has problems" in err and "broken.yaml" in err
    assert "Traceback" not in out + err


def test_nothing_is_written_to_the_history(capsys, _isolated_home: Path) -> None:
    code, _, _ = run(capsys, "price-objection", "--difficulty", "all")
    assert code == 0
    written = [p for p in _isolated_home.rglob("*") if p.is_file()]
    assert not [p for p in written if p.suffix in (".db", ".sqlite", ".sqlite3") or "roleplay" in p.name]


# ---- the app's preview screen
def rendered(widget: Static) -> str:
    return str(widget.render())


async def test_preview_screen_opens_from_home_switches_difficulty_and_goes_back(tmp_path: Path) -> None:
    from roleplay.app.screens.preview import PreviewScreen

    store = Store(tmp_path / "roleplay.db")
    store.set_pref("rep", store.rep("Ana").name)
    app = RoleplayApp(Settings(offline=True), store=store, lib=LIB)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        table = app.screen.query_one("#scenarios", DataTable)
        table.move_cursor(row=table.get_row_index("price-objection"))
        await pilot.press("f7")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PreviewScreen) and screen.difficulty == "medium"
        head = rendered(screen.query_one("#preview-head", Static))
        assert "Price objection" in head and "needs 70 to agree" in head
        assert rendered(screen.query_one("#verdict-strong", Static)).startswith("Strong: ")
        assert rendered(screen.query_one("#verdict-weak", Static)).startswith("Weak: ")
        assert len(screen.query(".preview-row")) >= 2
        await pilot.press("d")
        await pilot.pause()
        assert screen.difficulty == "hard"
        assert "needs 80 to agree" in rendered(screen.query_one("#preview-head", Static))
        await pilot.press("d")
        await pilot.pause()
        assert screen.difficulty == "easy"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    assert store.sessions("Ana") == []
    store.close()


def test_with_a_model_the_model_plays_the_buyer(monkeypatch, capsys) -> None:
    """The same scripted reps; the buyer's words come from the model (a fake provider here)."""
    import contextlib

    from tests import fakeprovider as fp
    from tests.provider import serve

    monkeypatch.setenv("ROLEPLAY_API_BASE", fp.BASE)
    monkeypatch.setenv("ROLEPLAY_RETRIES", "0")
    with contextlib.contextmanager(serve)(monkeypatch, "sk-test-preview") as provider:
        provider.default_buyer = ["Hm, ", "go on."]
        code = main(["preview", "price-objection", "--model", fp.MODEL, "--turns", "2", "--json"])
        out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["buyer"] == fp.MODEL and f"played by {fp.MODEL}" in err
    turns = [t for c in data["previews"][0]["calls"].values() for t in c["turns"]]
    assert turns and all(t["buyer"] == "Hm, go on." or t["silent"] for t in turns)
    assert len(provider.buyer_calls) == len([t for t in turns if not t["silent"]])
    offline = main(["preview", "price-objection", "--model", fp.MODEL, "--offline", "--turns", "1", "--json"])
    assert offline == 0 and json.loads(capsys.readouterr().out)["buyer"] == "offline"
