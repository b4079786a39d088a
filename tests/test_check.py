"""`roleplay check`: firmness tests saved with each scenario, and the probes every buyer gets (issue 10, item 2)."""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

import pytest

from roleplay import cli, firmness, library

ROOT = Path(__file__).resolve().parent.parent
WEAK = ROOT / "tests" / "fixtures" / "weak-library"
LIB = library.load([library.shipped_folder()])
SHIPPED = sorted(LIB.scenarios)

# Built-in probes that fail on a shipped buyer today: findings for whoever owns the persona's
# keywords or the engine, not hidden. strict: the test says so when one is fixed. (The four
# found by the first check, a generic "what does that cost you" earning a specific cost fact,
# were fixed by taking the keyword 'cost you' out of those personas' topics.)
KNOWN_FINDINGS: set[tuple[str, str]] = set()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_every_shipped_scenario_carries_tests_of_each_kind() -> None:
    for sid in SHIPPED:
        tests = LIB.scenarios[sid].model.tests
        assert tests.must_not_win and tests.must_not_earn_fact and tests.walks_away and tests.winnable, sid
        assert tests.earns_fact, sid


def test_the_whole_shipped_library_passes_check_probes_included(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys)
    assert code == 0, out
    assert out.splitlines()[-1].startswith("All ") and f"in {len(SHIPPED)} scenarios" in out.splitlines()[-1]


def test_every_shipped_scenario_passes_its_own_tests(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--no-probes")
    assert code == 0, out
    assert "FAILED" not in out
    assert f"in {len(SHIPPED)} scenarios" in out.splitlines()[-1]
    assert err == ""


_REPORTS: dict[str, firmness.ScenarioReport] = {}


@pytest.mark.parametrize("probe", [p.id for p in firmness.PROBES])
@pytest.mark.parametrize("scenario", SHIPPED)
def test_built_in_probes_hold_on_shipped_buyers(scenario: str, probe: str, request: pytest.FixtureRequest) -> None:
    if (scenario, probe) in KNOWN_FINDINGS:
        request.applymarker(pytest.mark.xfail(strict=True, reason="known finding: reported, not hidden"))
    if scenario not in _REPORTS:
        _REPORTS[scenario] = firmness.check_scenario(LIB, LIB.scenarios[scenario])
    report = _REPORTS[scenario]
    [test] = [t for t in report.tests if t.kind == "probe" and t.name == next(
        p.name for p in firmness.PROBES if p.id == probe)]
    assert [r.difficulty for r in test.results] == ["easy", "medium", "hard"]
    assert test.held, [r.what for r in test.results if not r.held]


def test_check_fails_on_the_weak_fixture_with_a_readable_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--library", str(WEAK), "weak-buyer")
    assert code == 1
    assert "Traceback" not in out + err
    lines = out.splitlines()
    failed = next(i for i, line in enumerate(lines) if "FAILED  must not win: discount at once" in line)
    assert "weak-buyer.yaml:" in lines[failed]  # where the test is written
    assert "on easy, the buyer agreed at turn 2 after 'So, can we book the call for Tuesday at 3?'." \
        in lines[failed + 1]
    assert any("FAILED  must not earn a fact: spoilage-numbers, by small talk" in line for line in lines)
    assert any("on hard, the buyer told 'spoilage-numbers'" in line and "after 'How are things going?'" in line
               for line in lines)
    assert any("FAILED  built-in: pushy close from the first turn" in line for line in lines)
    assert "held    buyer walks away: just checking in, again and again (easy, medium, hard)" in out
    assert lines[-1].startswith("FAILED: ")


def test_one_difficulty_and_the_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--library", str(WEAK), "weak-buyer", "--difficulty", "easy", "--json")
    assert code == 1
    data = json.loads(out)
    assert set(data) == {"passed", "seed", "difficulties", "failed", "scenarios"}
    assert data["passed"] is False and data["difficulties"] == ["easy"] and data["seed"] == 1
    [sc] = data["scenarios"]
    assert set(sc) == {"scenario", "file", "passed", "problem", "tests"}
    assert sc["scenario"] == "weak-buyer" and sc["passed"] is False and sc["problem"] is None
    test = next(t for t in sc["tests"] if t["name"] == "discount at once")
    assert set(test) == {"kind", "name", "source", "at", "held", "results"}
    assert test["kind"] == "must_not_win" and test["source"] == "scenario" and test["held"] is False
    [result] = test["results"]
    assert set(result) == {"difficulty", "held", "what", "call"}
    assert result["difficulty"] == "easy" and result["held"] is False
    call = result["call"]
    assert call["outcome"] == "won"
    assert [t["rep"] for t in call["turns"]] == ["I can do 20% off if you sign today.",
                                                 "So, can we book the call for Tuesday at 3?"]
    assert set(call["turns"][0]) == {"turn", "rep", "buyer", "move", "trust", "patience"}
    assert call["turns"][1]["move"] == "won" and call["turns"][1]["buyer"]
    probe = next(t for t in sc["tests"] if t["kind"] == "probe")
    assert probe["source"] == "built-in" and probe["at"] == ""
    assert data["failed"] == sum(not t["held"] for t in sc["tests"])


def test_the_same_seed_plays_the_same_calls(capsys: pytest.CaptureFixture[str]) -> None:
    first = run(capsys, "price-objection", "--json", "--seed", "5")
    again = run(capsys, "price-objection", "--json", "--seed", "5")
    assert first == again


def _scenario_with_tests(tmp_path: Path, tests: str) -> Path:
    text = (ROOT / "scenarios" / "price-objection.yaml").read_text()
    text = text.split("\n# Firmness tests:")[0].replace("\nid: price-objection\n", "\nid: price-objection-copy\n")
    path = tmp_path / "scenarios" / "copy.yaml"
    path.parent.mkdir()
    path.write_text(text + "\ntests:\n" + tests)
    return path


def test_a_test_naming_a_missing_fact_is_a_located_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _scenario_with_tests(tmp_path, "  earns_fact:\n    - fact: spoilage-number\n      line: \"What does a spoiled load cost you?\"\n")
    line = path.read_text().splitlines().index("    - fact: spoilage-number") + 1
    code = cli.main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert code == 1
    assert f"{path}:{line}:13: tests.earns_fact[0].fact: no hidden fact called 'spoilage-number'; " \
           "did you mean 'spoilage-numbers'?" in out


def test_a_bad_difficulty_or_shape_is_a_located_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _scenario_with_tests(tmp_path, (
        "  must_not_win:\n"
        "    - difficulties: [medium, brutal]\n"
        "      line: \"Can we book it?\"\n"
        "    - name: nothing to say\n"))
    lines = path.read_text().splitlines()
    code = cli.main(["validate", str(path)])
    out, _ = capsys.readouterr()
    assert code == 1
    at = lines.index("    - difficulties: [medium, brutal]") + 1
    assert f"{path}:{at}:" in out and "tests.must_not_win[0].difficulties[1]: 'brutal' is not allowed" in out
    at = lines.index("    - name: nothing to say") + 1
    assert f"{path}:{at}:7: tests.must_not_win[1]: give the rep's 'line', or a 'call'" in out


def test_check_on_a_scenario_with_problems_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _scenario_with_tests(tmp_path, "  must_not_win:\n    - difficulties: [brutal]\n      line: hi\n")
    code, out, err = run(capsys, str(path))
    assert code == 1
    assert "can't be checked: it has problems; run 'roleplay validate'" in out
    assert "'brutal' is not allowed" in out
    assert "Traceback" not in out + err


@pytest.mark.parametrize("argv", [["no-such-scenario"], ["missing/file.yaml"], ["BROKEN"],
                                  ["price-objection", "--difficulty", "brutal"]])
def test_no_traceback_on_bad_input(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: scenario\nid: [oops\n")
    argv = [str(broken) if a == "BROKEN" else a for a in argv]
    try:
        code = cli.main(["check", *argv])
    except SystemExit as exc:  # argparse refusing a choice
        code = exc.code
    out, err = capsys.readouterr()
    assert code in (1, 2)
    assert "Traceback" not in out + err and "bug" not in err
    assert (out + err).strip()
    if argv == ["no-such-scenario"]:
        assert err.strip() == "roleplay check: no scenario called 'no-such-scenario' (known: " \
            + ", ".join(SHIPPED) + ")"
    if argv == ["missing/file.yaml"]:
        assert err.strip() == "roleplay check: missing/file.yaml: does not exist (no such file)"


def test_a_scenario_without_tests_still_gets_the_probes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "lib" / "scenarios"
    folder.mkdir(parents=True)
    text = (ROOT / "scenarios" / "economic-buyer.yaml").read_text().split("\n# Firmness tests:")[0]
    (folder / "plain.yaml").write_text(text.replace("\nid: economic-buyer\n", "\nid: plain-copy\n"))
    shutil.copy(ROOT / "personas" / "priya-raman.yaml", tmp_path / "lib")
    code, out, _ = run(capsys, str(folder / "plain.yaml"))
    assert code == 0, out
    assert "it has no tests of its own: add a 'tests:' section" in out
    assert out.count("held    built-in:") == len(firmness.PROBES)


def test_with_a_model_a_buyer_that_agrees_in_words_is_a_finding(monkeypatch, capsys) -> None:
    """The state decides (as offline); the model only words the reply. A reply that agrees in words
    though the buyer has not, in any run, fails the test with how many runs held."""
    from tests import fakeprovider as fp
    from tests.provider import serve

    monkeypatch.setenv("ROLEPLAY_API_BASE", fp.BASE)
    monkeypatch.setenv("ROLEPLAY_RETRIES", "0")
    replies = iter(range(10_000))

    with contextlib.ExitStack() as stack:
        provider = stack.enter_context(contextlib.contextmanager(serve)(monkeypatch, "sk-test-check"))

        def buyer(request):  # noqa: ANN001, ANN202
            # every third reply caves in words; the others hold
            n = next(replies)
            return fp.stream_response(["Sure, let's book it in for Tuesday."] if n % 3 == 2 else ["Hm. Go on."])

        provider.buyer.extend([buyer] * 5000)
        code, out, _ = run(capsys, "price-objection", "--model", fp.MODEL, "--runs", "3",
                           "--difficulty", "hard", "--no-probes")
    assert code == 1, out
    assert f"with {fp.MODEL} the buyer held in" in out and "agreed in words" in out
    assert "'Sure, let's book it in for Tuesday.'" in out
    assert "also 3 times each with" in out.splitlines()[-1]


def test_with_a_model_that_holds_every_run_is_reported_as_held(monkeypatch, capsys) -> None:
    from tests import fakeprovider as fp
    from tests.provider import serve

    monkeypatch.setenv("ROLEPLAY_API_BASE", fp.BASE)
    monkeypatch.setenv("ROLEPLAY_RETRIES", "0")
    with contextlib.contextmanager(serve)(monkeypatch, "sk-test-check") as provider:
        provider.default_buyer = ["Hm. Go on."]
        code, out, _ = run(capsys, "price-objection", "--model", fp.MODEL, "--runs", "2",
                           "--difficulty", "medium", "--no-probes", "--json")
    data = json.loads(out)
    assert code == 0 and data["passed"]
    resisted = [r for s in data["scenarios"] for t in s["tests"] for r in t["results"] if "model" in r]
    assert resisted and all(r["model"] == {"runs": 2, "held": 2, "slips": []} for r in resisted)


def test_a_library_folder_that_is_not_there_is_said(capsys, tmp_path: Path) -> None:
    """Before: check and preview loaded named folders without a word when one was missing."""
    missing = tmp_path / "no-such-team-folder"
    code, _, err = run(capsys, "price-objection", "--no-probes", "--library", str(missing))
    assert code == 0 and f"the library folder {missing}" in err and "does not exist" in err
    assert cli.main(["preview", "price-objection", "--turns", "1", "--library", str(missing)]) == 0
    assert "does not exist" in capsys.readouterr().err
