"""Rules `validate` knows are in the JSON Schema too, so an editor flags them while the author types."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest

from roleplay.schemas import schema_for

CRITERION = {"id": "c", "name": "n", "description": "d", "weight": 1, "applies": "every-rep-turn",
             "examples": {"pass": ["a"], "fail": ["b"]}, "tip": "t"}
LEVELS = {str(i): f"level {i}" for i in range(6)}


def errors(kind: str, data: dict) -> list[str]:
    schema = json.loads(json.dumps(schema_for(kind)))
    return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(data)]


@pytest.mark.parametrize(("method", "ok"), [
    ({"checks": ["Does the rep ask?"]}, True),
    ({"levels": LEVELS}, True),
    ({"checks": ["x"], "levels": LEVELS}, False),  # both
    ({}, False),  # neither
    ({"levels": {**{k: v for k, v in LEVELS.items() if k != "5"}, "7": "seven"}}, False),  # a level 7
    ({"levels": {k: v for k, v in LEVELS.items() if k != "5"}}, False),  # level 5 missing
])
def test_a_criterion_has_checks_or_levels_0_to_5(method: dict, ok: bool) -> None:
    rubric = {"id": "r", "title": "t", "passing_score": 70, "criteria": [{**CRITERION, **method}]}
    assert (errors("rubric", rubric) == []) is ok


def test_an_opening_is_a_line_or_silence_and_a_fact_says_what_earns_it() -> None:
    from roleplay import library

    lib = library.load([library.shipped_folder()])
    entry = lib.scenarios["price-objection"]
    data = json.loads(entry.model.model_dump_json(by_alias=True, exclude_none=True))
    assert errors("scenario", data) == []
    both = copy.deepcopy(data)
    both["opening"] = {"line": "Hello.", "silent_days": 4}
    assert errors("scenario", both)
    neither = copy.deepcopy(data)
    neither["opening"] = {}
    assert errors("scenario", neither)
    no_trigger = copy.deepcopy(data)
    no_trigger["persona"]["hidden_facts"][0]["reveal"] = {}
    assert errors("scenario", no_trigger)


def test_every_signal_is_described_where_the_editor_shows_it() -> None:
    import typing

    from roleplay.models.rubric import SIGNAL_HELP, SignalName

    assert set(SIGNAL_HELP) == set(typing.get_args(SignalName))
    described = json.dumps(schema_for("rubric"))
    for name in SIGNAL_HELP:
        assert f"{name}: " in described, name
