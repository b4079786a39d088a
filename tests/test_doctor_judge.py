"""`roleplay doctor --judge`: the configured judge grades every rubric's own pass and fail
examples, through a fake provider (respx), and says whether it can be trusted."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
import respx

from roleplay import library
from roleplay.cli import main
from roleplay.judge_check import TRUST_BAR, CriterionResult, ExampleResult, JudgeCheck, examples_of
from roleplay.llm.client import litellm

from . import fakeprovider as fp
from .provider import error, judge_request


@pytest.fixture(scope="module")
def rubrics():
    lib = library.load([library.shipped_folder()])
    return [e.model for e in sorted(lib.rubrics.values(), key=lambda e: e.model.id)]


@pytest.fixture(scope="module")
def labels(rubrics) -> dict[tuple[str, str, str], str]:
    """(rubric title, criterion id, line) -> the example's label."""
    return {(r.title, c.id, line): label for r, c, line, label in examples_of(rubrics)}


def graded_line(data: dict) -> str:
    return data.get("rep_turn_to_grade") or data["rep_turns"][0]


def answer(data: dict, verdict: str) -> httpx.Response:
    line = graded_line(data)
    ok = verdict == "pass"
    grades = [{"criterion": c["id"], "evidence": [line[:20]] if ok else [], "reasoning": "As labelled.",
               "checks": [ok] * len(c["checks"]) if "checks" in c else None,
               "level": (5 if ok else 0) if "levels" in c else None, "verdict": verdict}
              for c in data["criteria"]]
    return fp.json_response(json.dumps({"grades": grades}))


def judge_that(labels, decide: Callable[[str, str, str], str | None]):
    """A fake judge: `decide(criterion, line, label)` gives its verdict, or None for a broken answer."""
    def route(request: httpx.Request) -> httpx.Response:
        data = judge_request(request)
        c = data["criteria"][0]["id"]
        line = graded_line(data)
        verdict = decide(c, line, labels[(data["rubric"], c, line)])
        if verdict is None:
            return fp.json_response("I think it went rather well, all things considered.")
        return answer(data, verdict)
    return route


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch):
    """The judge model configured through the environment, answered by `provider.route`."""
    monkeypatch.setenv("ROLEPLAY_MODEL", fp.MODEL)
    monkeypatch.setenv("ROLEPLAY_API_BASE", fp.BASE)
    monkeypatch.setenv("ROLEPLAY_RETRIES", "1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-doctor")
    litellm().in_memory_llm_clients_cache.flush_cache()

    class Provider:
        route: Callable[[httpx.Request], httpx.Response] | None = None
        calls: list[httpx.Request] = []

    state = Provider()

    def serve(request: httpx.Request) -> httpx.Response:
        state.calls.append(request)
        assert not json.loads(request.content).get("stream"), "the judge check never streams"
        return state.route(request)

    with respx.mock(using="httpx", assert_all_called=False) as mock:
        mock.post(fp.URL).mock(side_effect=serve)
        yield state
    litellm().in_memory_llm_clients_cache.flush_cache()


def doctor(capsys) -> tuple[int, str]:
    code = main(["doctor", "--judge"])
    return code, capsys.readouterr().out


def test_a_judge_that_agrees_is_trusted(provider, labels, capsys) -> None:
    provider.route = judge_that(labels, lambda c, line, label: label)
    code, out = doctor(capsys)
    assert code == 0, out
    n = len(labels)
    assert len(provider.calls) == n  # one call per example line
    assert f"the {n} example lines of 7 rubrics" in out
    assert "objection-handling (Handling an objection)" in out
    ack = next(ln for ln in out.splitlines() if ln.strip().startswith("acknowledge "))
    assert ack.split()[1:] == ["4/4", "agree"]
    assert f"Overall: {n} of {n} agree (100%); the bar is 80%." in out
    assert "can be trusted" in out and "WARNING" not in out and "below" not in out


def test_a_judge_that_disagrees_is_too_weak_to_trust(provider, labels, capsys) -> None:
    provider.route = judge_that(labels, lambda c, line, label: "fail" if label == "pass" else "pass")
    code, out = doctor(capsys)
    assert code == 1
    assert "WARNING: this model is too weak to trust for grading" in out
    assert "only 0% of the time (the bar is 80%)" in out
    assert "judge_model" in out and "roleplay doctor --judge" in out
    ack = next(ln for ln in out.splitlines() if ln.strip().startswith("acknowledge "))
    assert "0/4 agree" in ack and "below 80%" in ack
    # each disagreement names the line, what it should have been and what the judge said
    assert 'a pass example, the judge said fail: "That\'s fair. Double the current spend' in out


def test_ungraded_answers_count_against_and_are_reported_apart(provider, labels, capsys) -> None:
    provider.route = judge_that(labels, lambda c, line, label: None if c == "clarify" else label)
    code, out = doctor(capsys)
    n = len(labels)
    clarify = next(ln for ln in out.splitlines() if ln.strip().startswith("clarify "))
    assert "0/4 agree, 4 ungraded" in clarify and "below 80%" in clarify
    assert "the judge gave no valid answer" in out
    assert f"Overall: {n - 4} of {n} agree" in out and "4 ungraded" in out
    # still above the bar overall: trusted, with that criterion flagged
    assert code == 0 and "On 1 criterion it disagrees more often" in out
    assert len(provider.calls) == n + 4  # each broken answer was asked again once


def test_a_judge_that_cannot_be_reached_stops_the_check(provider, capsys) -> None:
    provider.route = lambda request: error(500)
    code, out = doctor(capsys)
    assert code == 1
    assert "The judge model could not be reached: The model provider had a server error." in out
    assert "Overall" not in out and "trusted" not in out
    assert len(provider.calls) == 2  # the first line, tried again once: then it stops


def test_the_judge_does_not_see_the_line_it_grades_among_the_examples(provider, labels, capsys) -> None:
    provider.route = judge_that(labels, lambda c, line, label: label)
    assert doctor(capsys)[0] == 0
    seen = {"after-objection": 0, "end-of-call": 0}
    for request in provider.calls:
        data = judge_request(request)
        c = data["criteria"][0]
        line = graded_line(data)
        assert line not in c["pass_examples"] + c["fail_examples"]
        assert data["earlier_in_call"]["situation"].startswith("One example line")
        if data.get("recent_turns"):
            assert data["recent_turns"] == [{"speaker": "buyer",
                                             "text": "(The buyer has just pushed back with an objection.)"}]
            seen["after-objection"] += 1
        if "rep_turns" in data:
            seen["end-of-call"] += 1
    assert seen["after-objection"] and seen["end-of-call"]


def test_without_a_model_there_is_nothing_to_check(capsys) -> None:
    code = main(["doctor", "--judge"])
    out = capsys.readouterr().out
    assert code == 0
    assert "no model judge to check" in out and "ROLEPLAY_MODEL" in out and "--model" in out


def test_the_bar_is_80_percent() -> None:
    def check(agree: int, total: int) -> JudgeCheck:
        rows = [ExampleResult("r", "c", f"line {i}", "pass", "pass" if i < agree else "fail")
                for i in range(total)]
        return JudgeCheck([CriterionResult("r", "c", "C", rows)])

    assert TRUST_BAR == 0.8
    assert check(8, 10).trusted and not check(7, 10).trusted
    assert not JudgeCheck([], unreachable="down").trusted


def test_a_judge_that_never_answers_stops_the_check_at_the_turn_deadline(provider, labels, capsys,
                                                                         monkeypatch) -> None:
    """Before: the check waited first_token_timeout x (retries + 1) per line, with no end in view."""
    import asyncio
    import time

    monkeypatch.setenv("ROLEPLAY_TURN_DEADLINE", "0.5")
    monkeypatch.setenv("ROLEPLAY_FIRST_TOKEN_TIMEOUT", "30")

    async def forever(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    provider.route = forever
    started = time.monotonic()
    code, out = doctor(capsys)
    assert time.monotonic() - started < 5
    assert code == 1
    assert "could not be reached" in out and "did not answer within 0.5 seconds (turn_deadline)" in out
