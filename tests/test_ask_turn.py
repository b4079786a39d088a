"""The turn that asks for the meeting is not marked down for a closed question."""

from __future__ import annotations

from roleplay.engine.grading import analyse, signal_grades


def grade(lib, rubric_id: str, text: str, buyer_last: str = "We lose about two days a month to it.") -> dict:
    rubric = lib.rubrics[rubric_id].model
    signals = analyse(text, buyer_last, [])
    return {g.criterion: g for g in signal_grades(rubric, signals, after_objection=False)}


def test_the_ask_is_not_a_missed_open_question(lib) -> None:
    rubric = lib.rubrics["discovery"].model
    open_ids = [c.id for c in rubric.criteria if c.signal == "open-question" and c.applies == "every-rep-turn"]
    assert open_ids
    ask = grade(lib, "discovery", "Could we get 30 minutes with you and Paul on Thursday at 10 to go through it?")
    assert all(ask[i].verdict == "n/a" and "asks for a next step" in ask[i].reason for i in open_ids)
    closed = grade(lib, "discovery", "Is that a big problem for you?")
    assert all(closed[i].verdict == "fail" for i in open_ids)  # a closed question that asks for nothing
    open_one = grade(lib, "discovery", "What does that cost you each month?")
    assert all(open_one[i].verdict == "pass" for i in open_ids)


def test_an_ask_that_steps_round_an_objection_still_misses_the_open_question(lib) -> None:
    rubric = lib.rubrics["objection-handling"].model
    clarify = next(c for c in rubric.criteria if c.signal == "open-question")
    signals = analyse("Could we get 30 minutes with you and Mark on Thursday at 10?",
                      "That's more than double what we pay now.", [])
    grades = {g.criterion: g for g in signal_grades(rubric, signals, after_objection=True)}
    assert grades[clarify.id].verdict == "fail"
