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


# --- Issue 8: missing paths and folders, one rule for a reused id, difficulties in list ----

def test_validate_a_missing_file_says_so_and_fails() -> None:
    proc = run("validate", "nope.yaml")
    assert proc.returncode == 1
    assert "nope.yaml: does not exist" in proc.stderr
    assert "valid" not in proc.stderr and "Traceback" not in proc.stderr


def test_validate_a_missing_file_beside_a_valid_one(tmp_path: Path) -> None:
    good = tmp_path / "draft.yaml"
    good.write_text((ROOT / "rubrics/objection-handling.yaml").read_text()
                    .replace("id: objection-handling", "id: draft-rubric", 1))
    proc = run("validate", str(good), str(tmp_path / "nope.yaml"))
    assert proc.returncode == 1
    assert f"{tmp_path / 'nope.yaml'}: does not exist" in proc.stderr
    assert "The file is valid; 1 path not found." in proc.stderr


@pytest.mark.parametrize("command", ["validate", "list"])
def test_missing_library_folder_is_named(command: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(library.ENV_VAR, str(tmp_path / "team-typo"))
    proc = subprocess.run([sys.executable, "-m", "roleplay", command], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert (f"warning: the library folder {tmp_path / 'team-typo'} (in ROLEPLAY_LIBRARY) does not exist"
            in proc.stderr)
    assert library.load().warnings  # the app gets the same sentence


def _team_copy(tmp_path: Path) -> Path:
    team = tmp_path / "team"
    (team / "scenarios").mkdir(parents=True)
    text = (ROOT / "scenarios/price-objection.yaml").read_text()
    title = next(ln for ln in text.splitlines() if ln.startswith("title:"))
    path = team / "scenarios/our-price-objection.yaml"
    path.write_text(text.replace(title, 'title: "Our own price talk"', 1))
    return path


def test_team_file_with_a_shipped_id_overrides_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _team_copy(tmp_path)
    monkeypatch.setenv(library.ENV_VAR, str(path.parent.parent))
    lib = library.load()
    assert lib.problems == [], "\n".join(map(str, lib.problems))
    entry = lib.scenarios["price-objection"]
    assert entry.path == path and entry.model.title == "Our own price talk"
    assert entry in lib.usable_scenarios()
    shipped = library.shipped_folder() / "scenarios/price-objection.yaml"
    assert [str(o) for o in lib.overrides] == [
        f"note: {path}: scenario 'price-objection' overrides the one in {shipped}"]
    proc = run("validate")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"note: {path}: scenario 'price-objection' overrides the one in {shipped}" in proc.stderr
    listed = run("list")
    row = next(ln for ln in listed.stdout.splitlines() if ln.startswith("price-objection "))
    assert "Our own price talk" in row and f"overriding {shipped}" in row
    data = json.loads(run("list", "--json").stdout)
    row = next(r for r in data["scenarios"] if r["id"] == "price-objection")
    assert row["usable"] and row["overrides"] == str(shipped) and row["path"] == str(path)


def test_same_id_twice_in_one_folder_is_still_a_problem(tmp_path: Path) -> None:
    path = _team_copy(tmp_path)
    (path.parent / "again.yaml").write_text(path.read_text())
    lib = library.load([library.shipped_folder(), path.parent.parent])
    assert {p.file for p in lib.problems} == {str(path), str(path.parent / "again.yaml")}


def test_list_shows_the_difficulties() -> None:
    proc = run("list")
    row = next(ln for ln in proc.stdout.splitlines() if ln.startswith("price-objection "))
    assert row.endswith("easy/medium/hard")


def test_objective_must_be_reachable_before_the_asking_turn() -> None:
    """The buyer agrees only to an ask made once trust is earned: patience - 1 turns can earn it."""
    from pydantic import ValidationError

    from roleplay.models.scenario import Difficulty

    numbers = dict(starting_trust=10, patience_turns=4, trust_gain_good=25, trust_loss_weak=5,
                   objections=0)
    Difficulty(**numbers, trust_to_agree=85)  # 10 + 3 x 25 = 85: reached exactly
    with pytest.raises(ValidationError, match="the objective can never be reached"):
        Difficulty(**numbers, trust_to_agree=86)  # 85 of 86


def test_validate_spares_the_final_collection(capsys: pytest.CaptureFixture[str]) -> None:
    """The loaded library is frozen out of the cyclic collector before the command ends
    (the interpreter's last collection walked it all: a quarter of validating 1,000 files)."""
    import gc

    gc.unfreeze()
    try:
        assert cli.main(["validate"]) == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_an_overridden_file_named_by_its_path_is_still_found(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = _team_copy(tmp_path)
    monkeypatch.setenv(library.ENV_VAR, str(path.parent.parent))
    lib = library.load()
    shipped = library.shipped_folder() / "scenarios/price-objection.yaml"
    assert lib.find("scenario", "price-objection").path == path
    entry = lib.find("scenario", str(shipped))
    assert entry.path == shipped and entry.model.title != "Our own price talk"
