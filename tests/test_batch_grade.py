"""`roleplay grade` over several transcripts or folders: one process, one JSON document a line,
and a file that can't be read never stops the others."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from roleplay import library
from roleplay.cli import main

from . import fakeprovider as fp
from .conftest import ROOT
from .provider import serve

EXAMPLE_TXT = ROOT / "examples/price-objection-call.txt"
EXAMPLE_YAML = ROOT / "examples/price-objection-call.yaml"
CALL = ("Buyer: I got your quote. It's more than double what we pay now.\n"
        "Rep: That's fair. What are you comparing it to?\n"
        "Buyer: The Fleetwise invoice.\n"
        "Rep: Could we book thirty minutes with your CFO on Thursday at 10?\n")


def grade(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["grade", *args, "--rubric", "objection-handling", "--offline"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def calls(tmp_path: Path) -> Path:
    folder = tmp_path / "calls"
    folder.mkdir()
    shutil.copy(EXAMPLE_YAML, folder / "b-call.yaml")
    shutil.copy(EXAMPLE_TXT, folder / "a-call.txt")
    (folder / "c-call.json").write_text(json.dumps({"turns": [
        {"speaker": "buyer", "text": "Just send me the information."},
        {"speaker": "rep", "text": "Happy to. What would you want it to cover?"}]}))
    (folder / "d-call.yml").write_text(CALL.replace("Buyer: ", "- speaker: buyer\n  text: ")
                                       .replace("Rep: ", "- speaker: rep\n  text: "))
    # not transcripts: other suffixes, hidden files, sub-folders
    (folder / "notes.md").write_text("Rep: not picked up\n")
    (folder / ".draft.txt").write_text("Rep: not picked up\n")
    (folder / "older").mkdir()
    (folder / "older" / "e-call.txt").write_text(CALL)
    return folder


def test_a_folder_gives_one_json_line_a_transcript_sorted(calls: Path, capsys) -> None:
    code, out, err = grade(capsys, str(calls), "--json")
    assert code == 0, err
    docs = [json.loads(line) for line in out.splitlines()]
    assert [d["file"] for d in docs] == [str(calls / n) for n in
                                         ("a-call.txt", "b-call.yaml", "c-call.json", "d-call.yml")]
    assert all(d["rubric"] == "objection-handling" and d["turns"] for d in docs)
    assert "Graded 4 of 4 transcripts" in err


def test_each_line_is_the_single_file_output_plus_its_file(calls: Path, capsys) -> None:
    code, single, _ = grade(capsys, str(EXAMPLE_TXT), "--json")
    assert code == 0
    assert single.count("\n") > 10  # a single file still prints today's indented document
    alone = json.loads(single)
    assert "file" not in alone
    code, out, _ = grade(capsys, str(EXAMPLE_TXT), str(calls / "b-call.yaml"), "--json")
    first = json.loads(out.splitlines()[0])
    assert first.pop("file") == str(EXAMPLE_TXT)
    assert first == alone


def test_a_file_that_cannot_be_read_gets_an_error_line_and_the_rest_are_graded(calls: Path,
                                                                               capsys) -> None:
    (calls / "b-call.yaml").write_text("turns:\n  - speaker: rep\n    txt: oops\n")
    missing = calls.parent / "missing.txt"
    code, out, err = grade(capsys, str(calls), str(missing), "--json")
    assert code == 1
    docs = [json.loads(line) for line in out.splitlines()]
    assert len(docs) == 5
    bad = docs[1]
    assert bad["file"] == str(calls / "b-call.yaml") and set(bad) == {"file", "error"}
    assert f"{calls / 'b-call.yaml'}:3:5: turns[0].txt: unknown field 'txt'" in bad["error"]
    assert docs[4] == {"file": str(missing), "error": docs[4]["error"]}
    assert "cannot read the file" in docs[4]["error"]
    assert [d["file"] for d in docs if "turns" in d] == [str(calls / n) for n in
                                                       ("a-call.txt", "c-call.json", "d-call.yml")]
    # said on stderr too, in a sentence naming the file, never a traceback
    assert f"{calls / 'b-call.yaml'}:3:5:" in err and str(missing) in err
    assert "Traceback" not in err
    assert "Graded 3 of 5 transcripts" in err and "2 could not be graded" in err


def test_an_empty_folder_is_an_error_line(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = grade(capsys, str(empty), str(EXAMPLE_TXT), "--json")
    assert code == 1
    docs = [json.loads(line) for line in out.splitlines()]
    assert docs[0]["file"] == str(empty) and "no transcripts in this folder" in docs[0]["error"]
    assert docs[1]["file"] == str(EXAMPLE_TXT) and docs[1]["turns"]


def test_a_file_that_breaks_the_grader_is_reported_not_a_traceback(calls: Path, capsys,
                                                                   monkeypatch) -> None:
    from roleplay import practice

    real = practice.grade_transcript

    async def fragile(turns, rubric, judge, **kw):  # noqa: ANN001, ANN003
        if any("Just send me" in t.text for t in turns):
            raise RuntimeError("the grader tripped")
        return await real(turns, rubric, judge, **kw)

    monkeypatch.setattr(practice, "grade_transcript", fragile)
    code, out, err = grade(capsys, str(calls), "--json")
    assert code == 1
    docs = [json.loads(line) for line in out.splitlines()]
    assert docs[2] == {"file": str(calls / "c-call.json"),
                       "error": f"{calls / 'c-call.json'}: could not be graded: the grader tripped"}
    assert len([d for d in docs if "turns" in d]) == 3
    assert "Traceback" not in err


def test_without_json_each_report_is_under_its_file(calls: Path, capsys) -> None:
    (calls / "c-call.json").write_text("{not json")
    code, out, err = grade(capsys, str(calls))
    assert code == 1
    assert out.startswith("Handling an objection: signals only (no model judge)\n")
    assert out.count("Handling an objection:") == 1
    heads = [line for line in out.splitlines() if line.startswith("==> ")]
    assert heads == [f"==> {calls / n} <==" for n in ("a-call.txt", "b-call.yaml", "c-call.json", "d-call.yml")]
    report_a = out.split(heads[1])[0]
    assert "\nBehaviour score" in report_a and "Practise next:" in report_a
    assert "Not graded: " in out.split(heads[2])[1].split(heads[3])[0]
    assert out.rstrip().endswith("Graded 3 of 4 transcripts (30 turns); 1 could not be graded: "
                                 f"{calls / 'c-call.json'}.")
    assert str(calls / "c-call.json") in err


def test_a_missing_rubric_stops_before_any_file(calls: Path, capsys) -> None:
    code = main(["grade", str(calls), "--rubric", "no-such-rubric", "--offline", "--json"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert "no rubric called 'no-such-rubric'" in err


def test_the_library_and_rubric_are_loaded_once_for_the_whole_batch(tmp_path: Path, capsys,
                                                                     monkeypatch) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(30):
        (folder / f"call-{i:02d}.txt").write_text(CALL)
    loads = []
    real = library.load
    monkeypatch.setattr(library, "load", lambda *a, **kw: loads.append(a) or real(*a, **kw))
    code, out, _ = grade(capsys, str(folder), "--json")
    assert code == 0 and len(out.splitlines()) == 30
    assert len(loads) == 1


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ROLEPLAY_MODEL", fp.MODEL)
    monkeypatch.setenv("ROLEPLAY_API_BASE", fp.BASE)
    yield from serve(monkeypatch, "sk-test-batch")


def test_with_a_model_judge_every_file_is_judged_and_reported_in_order(calls: Path, capsys,
                                                                       provider) -> None:
    code = main(["grade", str(calls), "--rubric", "objection-handling", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    docs = [json.loads(line) for line in out.splitlines()]
    assert [Path(d["file"]).name for d in docs] == ["a-call.txt", "b-call.yaml", "c-call.json", "d-call.yml"]
    reps = [t for d in docs for t in d["turns"] if t["speaker"] == "rep"]
    assert all(any(g["source"] == "judge" for g in t["grades"]) for t in reps)
    assert len(provider.judge_calls) == len(reps)  # one judge call a rep turn, whichever file


def test_the_batch_command_in_one_process(calls: Path, tmp_path: Path) -> None:
    from .test_engine_cli import env

    proc = subprocess.run([sys.executable, "-m", "roleplay", "grade", str(calls), str(EXAMPLE_TXT),
                           "--rubric", "objection-handling", "--offline", "--json"],
                          capture_output=True, text=True, timeout=120, env=env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    docs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(docs) == 5 and docs[-1]["file"] == str(EXAMPLE_TXT)


def test_a_judge_that_never_answers_leaves_turns_ungraded_at_the_deadline(tmp_path: Path, capsys,
                                                                          monkeypatch) -> None:
    """`grade` with a model judge that accepts and never answers: each turn waits one turn
    deadline, then its judged criteria are ungraded with why; the signals still grade."""
    import asyncio
    import time

    import httpx
    import respx

    from roleplay.llm.client import litellm

    from . import fakeprovider as fp

    monkeypatch.setenv("ROLEPLAY_MODEL", fp.MODEL)
    monkeypatch.setenv("ROLEPLAY_API_BASE", fp.BASE)
    monkeypatch.setenv("ROLEPLAY_TURN_DEADLINE", "0.5")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-grade")
    litellm().in_memory_llm_clients_cache.flush_cache()

    async def forever(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    call = tmp_path / "call.txt"
    call.write_text("Buyer: That's more than double what we pay now.\n"
                    "Rep: That's a fair reaction. What are you comparing it to?\n"
                    "Buyer: The licence alone.\n"
                    "Rep: Could we get 30 minutes with you and Mark on Thursday at 10?\n")
    started = time.monotonic()
    with respx.mock(using="httpx", assert_all_called=False) as mock:
        mock.post(fp.URL).mock(side_effect=forever)
        code = main(["grade", str(call), "--rubric", "objection-handling", "--json"])
    took = time.monotonic() - started
    litellm().in_memory_llm_clients_cache.flush_cache()
    assert code == 0
    assert took < 4, took  # two turns at once, then the call: about two deadlines
    data = json.loads(capsys.readouterr().out)
    judged = [g for t in data["turns"] for g in t["grades"] if g["source"] == "judge"]
    assert judged and all(g["verdict"] == "ungraded" and g["score"] is None for g in judged)
    assert all("0.5-second deadline" in g["reason"] for g in judged)
    assert any(g["source"] == "signal" and g["verdict"] == "pass" for t in data["turns"] for g in t["grades"])
