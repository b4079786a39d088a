"""History without silent limits, and screens that read only what they show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from roleplay.cli import main
from roleplay.store import Store


def _fill(path: Path, n: int, rep: str = "Ana") -> list[str]:
    store = Store(path)
    r = store.rep(rep)
    ids = []
    for i in range(n):
        sid = store.start_session(rep=r, scenario_id="price-objection", scenario_title="Price", rubric_id="r",
                                  difficulty="easy", buyer="b", judge="j", seed=i, state={"state": {}})
        store.db.execute("UPDATE sessions SET started = ? WHERE id = ?",
                         (f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}+00:00", sid))
        store.finish(sid, outcome="won", score=float(i), passed=True,
                     scorecard={"criteria": [{"id": "c", "name": "C", "score": 0.5}]})
        ids.append(sid)
    store.close()
    return ids


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ROLEPLAY_DATA_DIR", str(tmp_path))
    return tmp_path / "roleplay.db"


def test_history_pages_and_says_how_many_it_left_out(data, capsys) -> None:
    ids = _fill(data, 1075)
    assert main(["history"]) == 0
    out = capsys.readouterr().out
    listed = [line.split()[0] for line in out.splitlines() if line[:1].isalnum()]
    assert listed == ids[::-1][:50]
    assert "showing the newest 50 of 1,075 sessions; --all for everything" in out
    assert main(["history", "--all"]) == 0
    out = capsys.readouterr().out
    assert len([line for line in out.splitlines() if line[:1].isalnum()]) == 1075  # no cut at 1,000
    assert "showing" not in out
    assert main(["history", "--limit", "3"]) == 0
    assert "showing the newest 3 of 1,075" in capsys.readouterr().out


def test_history_json_stays_json_and_says_on_stderr_what_it_left_out(data, capsys) -> None:
    ids = _fill(data, 60)
    assert main(["history", "--json"]) == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert [r["id"] for r in rows] == ids[::-1][:50]
    assert "showing the newest 50 of 60 sessions" in captured.err
    assert main(["history", "--json", "--all"]) == 0
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)) == 60 and captured.err == ""


def _many(store: Store, n: int, *, practise_next_at: int) -> None:
    """n finished sessions for Ana, one a day back from today; only session `practise_next_at`
    (0 = the oldest) names a behaviour to practise."""
    from datetime import datetime, timedelta, timezone

    rep = store.rep("Ana")
    now = datetime.now(timezone.utc)
    rows = []
    for i in range(n):
        card = {"criteria": [{"id": "acknowledge", "name": "Acknowledges", "score": (i % 5) / 4}],
                "practise_next": "acknowledge" if i == practise_next_at else None,
                "practise_name": "Acknowledge the concern", "practise_tip": "Name it first."}
        started = (now - timedelta(hours=n - i)).isoformat(timespec="seconds")
        rows.append((f"s{i:05d}", rep.id, started, json.dumps(card), float(i % 100), "won" if i == 3 else "lost"))
    with store._tx():
        store.db.executemany(
            "INSERT INTO sessions(id, rep_id, scenario_id, scenario_title, rubric_id, difficulty, buyer, judge,"
            " seed, started, status, scorecard, score, outcome, passed) VALUES (?, ?, 'price-objection', 'Price',"
            " 'objection-handling', 'easy', 'b', 'j', 1, ?, 'finished', ?, ?, ?, 1)", rows)


def test_practise_next_and_progress_see_past_a_thousand_sessions(tmp_path: Path) -> None:
    store = Store(tmp_path / "roleplay.db")
    _many(store, 1200, practise_next_at=100)  # 1,100 newer sessions name nothing
    assert store.practise_next("Ana")["practise_next"] == "acknowledge"
    assert len(store.session_starts("Ana")) == 1200
    scores = store.criterion_scores("Ana")
    assert len(scores) == 1200 and scores[0] == ("objection-handling", "acknowledge", "Acknowledges", 0.0)
    assert store.scenario_bests("Ana") == [("price-objection", "Price", 99.0, True)]


async def test_home_reads_only_the_rows_it_shows(tmp_path: Path) -> None:
    from roleplay import library
    from roleplay.app.app import RoleplayApp
    from roleplay.app.screens.home import HomeScreen
    from roleplay.app.screens.progress import ProgressScreen
    from roleplay.settings import Settings

    store = Store(tmp_path / "roleplay.db")
    _many(store, 1200, practise_next_at=100)
    store.set_pref("rep", "Ana")
    statements: list[str] = []
    store.db.set_trace_callback(statements.append)
    app = RoleplayApp(Settings(offline=True), store=store, lib=library.load([library.shipped_folder()]))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        status = str(app.screen.query_one("#status").render())
        assert "Practise next: Acknowledge the concern" in status  # found past the newest 1,000
        reads = [s for s in statements if "FROM sessions" in s and "count(" not in s]
        # Every read of the sessions is bounded (LIMIT) and none decodes the buyer state of all.
        assert reads and all("LIMIT" in s for s in reads), reads
        assert not any("s.*" in s and "LIMIT 5 " not in s and "LIMIT 1 " not in s for s in reads), reads
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, ProgressScreen)
        weeks = str(app.screen.query_one("#weeks").render())
        assert sum(int(line.split()[-1]) for line in weeks.splitlines() if line.strip()) <= 1200
        assert "state" not in " ".join(s for s in statements if "FROM sessions" in s)
    store.close()


def _home_reads(store: Store) -> int:
    """SQLite VM steps (in 100s) of what home reads at start: one measure of work done."""
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    store.db.set_progress_handler(tick, 100)
    store.pref("rep")
    store.rep("Ana")
    store.sessions(limit=1)
    store.practise_next("Ana")
    store.sessions("Ana", limit=5, light=True)
    store.sessions("Ana", status="active", limit=1, light=True)
    store.db.set_progress_handler(None, 0)
    return steps[0]


def test_home_reads_cost_the_same_at_ten_sessions_and_at_two_thousand(tmp_path: Path) -> None:
    small, big = Store(tmp_path / "small.db"), Store(tmp_path / "big.db")
    _many(small, 10, practise_next_at=9)
    _many(big, 2000, practise_next_at=1999)
    assert _home_reads(big) <= _home_reads(small) + 5


def test_the_previous_attempt_is_one_row_read(tmp_path: Path) -> None:
    store = Store(tmp_path / "roleplay.db")
    _many(store, 1500, practise_next_at=0)
    rows = store.sessions("Ana", status="finished", limit=3)
    assert store.previous(rows[0]).id == rows[1].id
    oldest = store.sessions("Ana", status="finished", limit=1, offset=1499)[0]
    assert store.previous(oldest) is None
    steps = [0]
    store.db.set_progress_handler(lambda: steps.__setitem__(0, steps[0] + 1), 100)
    store.previous(rows[0])
    store.db.set_progress_handler(None, 0)
    assert steps[0] <= 5


def test_history_lists_without_reading_the_json_columns(data, capsys, monkeypatch) -> None:
    import roleplay.store as store_module

    _fill(data, 3)
    seen: list[str] = []
    real = store_module._connect

    def traced(path):  # noqa: ANN001, ANN202
        db = real(path)
        db.set_trace_callback(seen.append)
        return db

    monkeypatch.setattr(store_module, "_connect", traced)
    assert main(["history"]) == 0
    reads = [s for s in seen if "FROM sessions" in s and "count(" not in s]
    assert reads and not any("s.*" in s or "scorecard" in s for s in reads), reads
    assert capsys.readouterr().out.count("price-objection") == 3
