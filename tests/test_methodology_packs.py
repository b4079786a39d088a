"""Methodology packs (issue 10, item 6): SPIN questioning and MEDDIC qualification, each with a
scenario that trains it and passes its own firmness tests."""

from __future__ import annotations

import pytest

from roleplay import cli, library

LIB = library.load([library.shipped_folder()])

PACKS = {
    # rubric id: (the method's criteria, the scenario that trains it, the ids that carry a signal)
    "spin": ({"situation-questions", "problem-questions", "implication-questions", "need-payoff-questions"},
             "spin-questioning", {"problem-questions", "holds-the-solution", "gains-an-advance"}),
    "meddic": ({"metrics", "economic-buyer", "decision-criteria", "decision-process", "identify-pain", "champion"},
               "meddic-qualification", {"qualifies-by-asking", "next-step-in-their-process"}),
}


@pytest.mark.parametrize("rubric_id", sorted(PACKS))
def test_pack_loads_and_carries_the_methods_criteria(rubric_id: str) -> None:
    assert LIB.problems == [], "\n".join(map(str, LIB.problems))
    rubric = LIB.rubrics[rubric_id].model
    method, _, signalled = PACKS[rubric_id]
    ids = {c.id for c in rubric.criteria}
    assert method <= ids
    assert rubric.methodology == [rubric_id]
    # The method is credited by name.
    assert {"spin": "Rackham", "meddic": "Napoli"}[rubric_id] in rubric.description
    for c in rubric.criteria:
        assert len(c.examples.pass_) >= 2 and len(c.examples.fail) >= 2, c.id
        assert c.tip and c.description
    # Honest about what offline grading can see: a signal only where one detects the behaviour.
    assert {c.id for c in rubric.criteria if c.signal} == signalled


@pytest.mark.parametrize("rubric_id", sorted(PACKS))
def test_each_pack_has_a_scenario_that_trains_it(rubric_id: str) -> None:
    _, scenario_id, _ = PACKS[rubric_id]
    scenario = LIB.scenarios[scenario_id].model
    assert scenario.rubric == rubric_id
    tests = scenario.tests
    assert tests.must_not_win and tests.earns_fact and tests.must_not_earn_fact
    assert tests.walks_away and tests.winnable
    won_on = {d for w in tests.winnable for d in w.difficulties}
    assert won_on == {"easy", "medium", "hard"}
    persona = LIB.persona_of(scenario)
    levels = [scenario.difficulty.get(d) for d in ("easy", "medium", "hard")]
    assert levels[0].starting_trust > levels[1].starting_trust > levels[2].starting_trust
    assert levels[0].trust_to_agree < levels[1].trust_to_agree < levels[2].trust_to_agree
    assert len(persona.hidden_facts) >= 5


def test_pack_scenarios_pass_check_probes_included(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["check", *(s for _, s, _ in PACKS.values())])
    out, err = capsys.readouterr()
    assert code == 0, out
    assert "FAILED" not in out and err == ""
    assert out.splitlines()[-1].startswith("All ") and "in 2 scenarios" in out.splitlines()[-1]


def test_pack_files_validate_without_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    root = library.shipped_folder()
    files = [str(root / p) for p in ("rubrics/spin.yaml", "rubrics/meddic.yaml",
                                     "scenarios/spin-questioning.yaml", "scenarios/meddic-qualification.yaml")]
    code = cli.main(["validate", "--strict", *files])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "warning" not in (out + err)
