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
