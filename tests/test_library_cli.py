"""The shipped library, the schema and the library commands, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from roleplay import cli, library
from roleplay.schemas import schema_for
from roleplay.yamlsource import read_file

from .conftest import ROOT


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "roleplay", *args],
                          capture_output=True, text=True, timeout=60)


def test_every_shipped_file_is_valid() -> None:
    lib = library.load([library.shipped_folder()])
    assert lib.problems == [], "\n".join(map(str, lib.problems))
    assert lib.files >= 12


def test_shipped_library_has_what_the_issue_asks_for() -> None:
    lib = library.load([library.shipped_folder()])
    assert len(lib.usable_scenarios()) >= 8
    assert len(lib.rubrics) >= 4
    for entry in lib.rubrics.values():
        for c in entry.model.criteria:
            assert c.examples.pass_ and c.examples.fail and c.tip
    ghost = [e.model for e in lib.scenarios.values() if e.model.opening.silent_days]
    assert ghost, "the ghost scenario opens in silence"


def test_list_json_lists_the_scenarios() -> None:
    proc = run("list", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    ids = [s["id"] for s in data["scenarios"]]
    assert len(ids) >= 8 and "price-objection" in ids
    first = data["scenarios"][0]
    assert {"id", "title", "skills", "difficulties"} <= set(first)
    assert first["difficulties"] == ["easy", "medium", "hard"]


@pytest.mark.parametrize("kind,folder", [("scenario", "scenarios"), ("rubric", "rubrics"),
                                         ("persona", "personas")])
def test_schema_validates_every_shipped_file(kind: str, folder: str) -> None:
    proc = run("schema", kind)
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    files = sorted((ROOT / folder).glob("*.yaml"))
    if kind != "persona":
        assert files
    for path in files:
        errors = list(validator.iter_errors(read_file(path).data))
        assert not errors, f"{path}: {errors[0].message}"


def test_schema_rejects_what_the_loader_rejects() -> None:
    validator = jsonschema.Draft202012Validator(schema_for("rubric"))
    data = read_file(ROOT / "rubrics/objection-handling.yaml").data
    data["criteria"][0]["wieght"] = 2
    assert list(validator.iter_errors(data))


@pytest.mark.parametrize("kind", ["scenario", "rubric", "persona"])
def test_committed_schema_files_are_current(kind: str) -> None:
    """Editors read schema/*.json through the yaml-language-server line; keep them in step."""
    committed = json.loads((ROOT / "schema" / f"{kind}.json").read_text())
    assert committed == schema_for(kind), "run: roleplay schema KIND > schema/KIND.json"


def test_validate_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate"]) == 0
    bad = tmp_path / "rubrics" / "bad.yaml"
    bad.parent.mkdir()
    bad.write_text("kind: rubric\nid: x\ntitle: X\npassing_score: high\ncriteria: []\n")
    assert cli.main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:4:16: passing_score: should be a number, not 'high'" in out
    assert f"{bad}:5:1: criteria: needs at least 1 entry, found 0" in out
    assert cli.main(["validate", str(tmp_path / "missing.yaml")]) == 1


def test_user_folder_and_env_folder_are_searched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "team"
    (mine / "scenarios").mkdir(parents=True)
    text = (ROOT / "scenarios/price-objection.yaml").read_text()
    (mine / "scenarios/custom.yaml").write_text(text.replace("id: price-objection", "id: our-price-talk", 1))
    monkeypatch.setenv(library.ENV_VAR, str(mine))
    lib = library.load()
    assert "our-price-talk" in lib.scenarios and "price-objection" in lib.scenarios
    user = library.user_folder() / "scenarios"
    user.mkdir(parents=True)
    (user / "own.yaml").write_text(text.replace("id: price-objection", "id: my-own", 1))
    assert "my-own" in library.load().scenarios


def test_validate_resolves_references_of_a_single_file(tmp_path: Path) -> None:
    text = (ROOT / "scenarios/price-objection.yaml").read_text()
    path = tmp_path / "draft.yaml"
    path.write_text(text.replace("id: price-objection", "id: draft-one", 1))
    proc = run("validate", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "The file is valid" in proc.stderr


def test_shared_persona_reference_is_a_problem_of_the_scenario(tmp_path: Path) -> None:
    """A persona file names criteria; a scenario whose rubric lacks one of them is the broken file."""
    lib_root = tmp_path / "lib"
    (lib_root / "scenarios").mkdir(parents=True)
    (lib_root / "personas").mkdir()
    persona = (ROOT / "personas/priya-raman.yaml").read_text().replace("id: priya-raman", "id: priya-copy", 1)
    (lib_root / "personas/priya-copy.yaml").write_text(persona)
    scenario = (ROOT / "scenarios/economic-buyer.yaml").read_text()
    scenario = scenario.replace("id: economic-buyer", "id: eb-copy", 1)
    scenario = scenario.replace("persona: priya-raman", "persona: priya-copy")
    scenario = scenario.replace("rubric: next-step", "rubric: objection-handling")
    path = lib_root / "scenarios/eb-copy.yaml"
    path.write_text(scenario)
    proc = run("validate", str(path))  # the sibling personas/ folder is found on its own
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{path}:" in proc.stdout and "persona 'priya-copy' names criterion" in proc.stdout
    assert "no persona called" not in proc.stdout


def test_schema_output_into_a_closed_pipe_is_quiet() -> None:
    proc = subprocess.run(f"{sys.executable} -m roleplay schema scenario | head -1",
                          shell=True, capture_output=True, text=True, timeout=60)
    assert proc.stdout.startswith("{") and "Traceback" not in proc.stderr
