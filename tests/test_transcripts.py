"""Reading transcripts for `roleplay grade`: YAML, JSON and plain text, and located errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from roleplay.engine.records import TranscriptTurn
from roleplay.transcripts import (
    NO_PREFIX,
    NO_REP,
    TranscriptError,
    parse_transcript,
    read_transcript,
)
from roleplay.yamlsource import MAX_BYTES

from .conftest import ROOT

EXAMPLES = ROOT / "examples"


def turns(*pairs: tuple[str, str]) -> list[TranscriptTurn]:
    return [TranscriptTurn(speaker=s, text=t) for s, t in pairs]  # type: ignore[arg-type]


def problems(text: str, name: str = "<text>") -> list[str]:
    with pytest.raises(TranscriptError) as info:
        parse_transcript(text, name)
    return [str(p) for p in info.value.problems]


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


SHORT = turns(("buyer", "The price is way out of line."),
              ("rep", "Fair. What are you comparing it to?"))


# --- YAML and JSON --------------------------------------------------------------

def test_yaml_block_form(tmp_path: Path) -> None:
    path = write(tmp_path, "call.yaml", """\
turns:
  - speaker: buyer
    text: The price is way out of line.
  - speaker: rep
    text: Fair. What are you comparing it to?
""")
    assert read_transcript(path) == SHORT


def test_yaml_flow_form_from_design_doc() -> None:
    text = """\
turns:
  - {speaker: buyer, text: "I got your proposal. The price is way out of line."}
  - {speaker: rep,   text: "Fair. What are you comparing it to?"}
"""
    got = parse_transcript(text, "call.yml")
    assert [t.speaker for t in got] == ["buyer", "rep"]
    assert got[1].text == "Fair. What are you comparing it to?"


def test_yaml_bare_list() -> None:
    text = """\
- speaker: buyer
  text: The price is way out of line.
- speaker: rep
  text: Fair. What are you comparing it to?
"""
    assert parse_transcript(text, "call.yaml") == SHORT


def test_json_object_and_bare_list(tmp_path: Path) -> None:
    data = [{"speaker": t.speaker, "text": t.text} for t in SHORT]
    assert read_transcript(write(tmp_path, "a.json", json.dumps({"turns": data}, indent=2))) == SHORT
    assert read_transcript(write(tmp_path, "b.json", json.dumps(data))) == SHORT


def test_json_indented_with_tabs_still_reads(tmp_path: Path) -> None:
    data = {"turns": [{"speaker": t.speaker, "text": t.text} for t in SHORT]}
    text = json.dumps(data, indent="\t")
    assert "\t" in text
    assert read_transcript(write(tmp_path, "tabs.json", text)) == SHORT


def test_json_with_tabs_errors_are_still_located() -> None:
    text = '{\n\t"turns": [\n\t\t{"speaker": "rep", "text": "Hi"},\n\t\t{"speaker": "buyr", "text": "Hello"}\n\t]\n}\n'
    assert problems(text, "tabs.json") == [
        "tabs.json:4:15: turns[1].speaker: 'buyr' is not allowed; use one of 'rep' or 'buyer'; "
        "did you mean 'buyer'?"
    ]


def test_json_syntax_error_is_located() -> None:
    text = '{\n  "turns": [\n    {"speaker": "rep" "text": "Hi"}\n  ]\n}\n'
    [problem] = problems(text, "bad.json")
    assert problem.startswith("bad.json:3:23: (file): JSON syntax error: Expecting ',' delimiter")


def test_json_duplicate_key_is_refused_even_with_tabs() -> None:
    text = '{\n\t"turns": [{"speaker": "rep", "text": "Hi", "text": "Bye"}]\n}\n'
    [problem] = problems(text, "dup.json")
    assert "'text' appears twice" in problem


def test_structured_content_is_detected_without_a_suffix() -> None:
    as_json = json.dumps({"turns": [{"speaker": t.speaker, "text": t.text} for t in SHORT]})
    assert parse_transcript(as_json, "call.txt") == SHORT
    assert parse_transcript(as_json) == SHORT
    as_yaml = "# pasted\nturns:\n  - {speaker: buyer, text: The price is way out of line.}\n" \
              "  - {speaker: rep, text: Fair. What are you comparing it to?}\n"
    assert parse_transcript(as_yaml, "call.md") == SHORT
    bare = "- speaker: buyer\n  text: The price is way out of line.\n" \
           "- speaker: rep\n  text: Fair. What are you comparing it to?\n"
    assert parse_transcript(bare) == SHORT


def test_yaml_is_forgiving_about_speaker_case_aliases_whitespace_and_yes_no() -> None:
    text = """\
turns:
  - speaker: Rep
    text: "  Can we get thirty minutes with Mark next week?  "
  - speaker: Customer
    text: No
  - speaker: REP
    text: |
      Understood.
"""
    assert parse_transcript(text, "call.yaml") == turns(
        ("rep", "Can we get thirty minutes with Mark next week?"),
        ("buyer", "No"),
        ("rep", "Understood."),
    )


def test_consecutive_turns_by_one_speaker_stay_separate_in_yaml() -> None:
    text = "- {speaker: rep, text: Hello?}\n- {speaker: rep, text: 'Dana, are you there?'}\n"
    assert len(parse_transcript(text, "x.yaml")) == 2


def test_yaml_validation_errors_are_located() -> None:
    text = """\
turns:
  - speaker: buyer
    text: The price is way out of line.
  - speaker: buyr
    text: Fair.
  - speaker: rep
    txt: What are you comparing it to?
"""
    assert problems(text, "call.yaml") == [
        "call.yaml:4:14: turns[1].speaker: 'buyr' is not allowed; use one of 'rep' or 'buyer'; "
        "did you mean 'buyer'?",
        "call.yaml:6:5: turns[2].text: is required but missing",
        "call.yaml:7:5: turns[2].txt: unknown field 'txt'; did you mean 'text'?",
    ]


def test_bare_list_validation_errors_are_located_without_a_turns_key() -> None:
    text = "- speaker: rep\n  text: Hi\n- speaker: seller-bot\n  text: Hello\n"
    assert problems(text, "call.yaml") == [
        "call.yaml:3:12: [1].speaker: 'seller-bot' is not allowed; use one of 'rep' or 'buyer'",
    ]


def test_empty_text_in_yaml_is_located() -> None:
    text = "turns:\n  - speaker: rep\n    text: Hi\n  - speaker: buyer\n    text: '   '\n"
    assert problems(text, "call.yaml") == ["call.yaml:5:11: turns[1].text: cannot be empty"]


def test_yaml_syntax_error_is_located() -> None:
    text = "turns:\n  - speaker: rep\n    text: Look: the price\n"
    [problem] = problems(text, "call.yaml")
    assert problem.startswith("call.yaml:3:15: (file): YAML syntax error: a ':' where none can be")


def test_yaml_shape_errors() -> None:
    assert problems("turns: []\n", "call.yaml") == [
        "call.yaml:1:1: turns: nothing to grade: the transcript has no turns"]
    assert problems("[]", "call.json") == [
        "call.json:1:1: (file): nothing to grade: the transcript has no turns"]
    [problem] = problems("just some words\n", "call.yaml")
    assert problem.startswith("call.yaml:1:1: (file): a transcript should be a 'turns:' list")
    assert problems("title: x\n", "call.yaml") == [
        "call.yaml:1:1: title: unknown field 'title'; the fields here are: turns",
        "call.yaml:1:1: turns: is required but missing",
    ]


def test_yaml_without_rep_turns() -> None:
    text = "# header\nturns:\n  - {speaker: buyer, text: Hello?}\n"
    assert problems(text, "call.yaml") == [f"call.yaml:2:1: turns: {NO_REP}"]


def test_yaml_refuses_tags_and_aliases() -> None:
    text = "turns:\n  - &a {speaker: rep, text: Hi}\n  - *a\n"
    [problem] = problems(text, "call.yaml")
    assert "anchors and aliases" in problem
    [problem] = problems("turns:\n  - !!python/object:os.system {}\n", "call.yaml")
    assert "call.yaml:2:5:" in problem and "not allowed" in problem


# --- Plain text -------------------------------------------------------------------

def test_plain_text_one_turn_a_line() -> None:
    text = "Buyer: The price is way out of line.\nRep: Fair. What are you comparing it to?\n"
    assert parse_transcript(text) == SHORT
    assert parse_transcript(text, "call.txt") == SHORT


@pytest.mark.parametrize("label", ["Rep", "rep", "REP", "Me", "Seller", "Sales", "AE", "sdr"])
def test_rep_aliases(label: str) -> None:
    got = parse_transcript(f"Prospect: Hi.\n{label}: Hello.\n")
    assert got == turns(("buyer", "Hi."), ("rep", "Hello."))


@pytest.mark.parametrize("label", ["Buyer", "BUYER", "Prospect", "Customer", "client"])
def test_buyer_aliases(label: str) -> None:
    got = parse_transcript(f"Rep: Hi.\n{label}: Hello.\n")
    assert got == turns(("rep", "Hi."), ("buyer", "Hello."))


@pytest.mark.parametrize("line", [
    "[00:01:23] Rep: Hello.",
    "00:01 Rep: Hello.",
    "0:01:23 Rep: Hello.",
    "(01:23) Rep: Hello.",
    "[00:01:23.450] Rep: Hello.",
    "00:01:23 - Rep: Hello.",
    "Rep [00:01:23]: Hello.",
    "   Rep: Hello.",
    "\tRep:Hello.",
    "Rep : Hello.",
    "**Rep:** Hello.",
    "**Rep**: Hello.",
    "__Rep:__ Hello.",
    "*Rep:* Hello.",
    "[00:01:23] **Rep:** Hello.",
    "**[00:01:23] Rep:** Hello.",
])
def test_prefix_forms(line: str) -> None:
    assert parse_transcript(line) == turns(("rep", "Hello."))


def test_words_that_only_start_like_a_label_are_not_prefixes() -> None:
    text = "Rep: We talked about it.\nRepeat: that is not a speaker.\nSalesforce: neither is this.\n"
    assert parse_transcript(text) == turns(
        ("rep", "We talked about it. Repeat: that is not a speaker. Salesforce: neither is this."))


def test_continuation_lines_join_with_a_space_and_paragraphs_with_a_newline() -> None:
    text = """\
Buyer: Look, the price
is the problem.
Rep: Understood.

   Can I ask what you compare it to?
And over what period?

Buyer: Fleetwise.
"""
    assert parse_transcript(text) == turns(
        ("buyer", "Look, the price is the problem."),
        ("rep", "Understood.\nCan I ask what you compare it to? And over what period?"),
        ("buyer", "Fleetwise."),
    )


def test_blank_lines_between_turns_and_speaker_on_its_own_line() -> None:
    text = "\n\nBuyer:\nThe price is way out of line.\n\n\nRep:\n\nFair. What are you comparing it to?\n\n"
    assert parse_transcript(text) == SHORT


def test_timestamp_only_lines_are_skipped() -> None:
    text = "00:00:01\nBuyer: The price is way out of line.\n[00:00:05]\nRep: Fair.\n"
    assert parse_transcript(text) == turns(("buyer", "The price is way out of line."), ("rep", "Fair."))


def test_a_timestamp_inside_a_continuation_line_is_kept() -> None:
    text = "Buyer: Can we talk at\n10:30 tomorrow?\nRep: Yes.\n"
    assert parse_transcript(text)[0].text == "Can we talk at 10:30 tomorrow?"


def test_consecutive_turns_by_one_speaker_stay_separate() -> None:
    text = "Rep: Hello?\nRep: Dana, are you there?\nBuyer: Sorry, yes.\n"
    assert parse_transcript(text) == turns(
        ("rep", "Hello?"), ("rep", "Dana, are you there?"), ("buyer", "Sorry, yes."))


def test_markdown_transcript(tmp_path: Path) -> None:
    text = "**Buyer:** The price is way out of line.\n\n**Rep:** Fair. What are you comparing it to?\n"
    assert read_transcript(write(tmp_path, "call.md", text)) == SHORT


def test_crlf_and_bom(tmp_path: Path) -> None:
    raw = "\ufeffBuyer: The price is way out of line.\r\nRep: Fair. What are you comparing it to?\r\n"
    assert read_transcript(write(tmp_path, "call.txt", raw.encode("utf-8"))) == SHORT


def test_plain_text_in_a_file_without_suffix(tmp_path: Path) -> None:
    text = "Buyer: The price is way out of line.\nRep: Fair. What are you comparing it to?\n"
    assert read_transcript(write(tmp_path, "call", text)) == SHORT


@pytest.mark.parametrize("name", ["call.yaml", "call.yml", "call.json"])
def test_plain_text_misnamed_as_yaml_or_json_is_read_as_plain_text(name: str) -> None:
    text = "**Buyer:** The price is way out of line.\nRep: Fair. What are you comparing it to?\n"
    assert parse_transcript(text, name) == SHORT


def test_only_timestamps_is_nothing_to_grade() -> None:
    assert problems("[00:00:01]\n\n00:00:05\n", "call.txt") == [
        "call.txt:1:1: (file): nothing to grade: the transcript has no turns"]


def test_a_timestamped_line_is_not_taken_for_json() -> None:
    text = "[00:00:01] Buyer: The price is way out of line.\n[00:00:04] Rep: Fair. What are you comparing it to?\n"
    assert parse_transcript(text, "call.txt") == SHORT


# --- Plain text errors --------------------------------------------------------------

def test_line_before_the_first_prefix_is_located() -> None:
    text = "\nCall with Dana, 3 May\nSecond header line\nRep: Hi.\n"
    assert problems(text, "call.txt") == [f"call.txt:2:1: (file): {NO_PREFIX}"]


def test_unprefixed_text_is_located_at_its_first_character() -> None:
    assert problems("   hello there\n", "call.txt") == [f"call.txt:1:4: (file): {NO_PREFIX}"]


def test_no_rep_turns_in_plain_text() -> None:
    assert problems("Buyer: Hello?\nCustomer: Anyone there?\n", "call.txt") == [
        f"call.txt:1:1: (file): {NO_REP}"]


def test_a_turn_with_no_text_is_located() -> None:
    text = "Buyer: Hello?\n\n**Rep:**\nBuyer: Hello??\nRep: Sorry, yes.\n"
    assert problems(text, "call.txt") == ["call.txt:3:1: turns[1]: this Rep turn has no text"]


def test_every_problem_is_reported_together() -> None:
    text = "Preamble\nBuyer:\nBuyer: Hi?\n"
    assert problems(text, "call.txt") == [
        f"call.txt:1:1: (file): {NO_PREFIX}",
        f"call.txt:1:1: (file): {NO_REP}",
        "call.txt:2:1: turns[0]: this Buyer turn has no text",
    ]


# --- File errors --------------------------------------------------------------------

@pytest.mark.parametrize("name", ["call.txt", "call.yaml", "call.json", "call"])
@pytest.mark.parametrize("content", ["", "  \n\n\t\n"])
def test_empty_file(tmp_path: Path, name: str, content: str) -> None:
    with pytest.raises(TranscriptError) as info:
        read_transcript(write(tmp_path, name, content))
    assert str(info.value) == f"{tmp_path / name}:1:1: (file): the file is empty"


def test_yaml_with_only_comments_is_empty() -> None:
    assert problems("# nothing yet\n", "call.yaml") == ["call.yaml:1:1: (file): the file is empty"]


def test_not_utf8_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "call.txt", b"Buyer: Hi.\nRep: caf\xe9 later?\n")
    with pytest.raises(TranscriptError) as info:
        read_transcript(path)
    [problem] = info.value.problems
    assert (problem.line, problem.col) == (2, 9)
    assert "not UTF-8" in problem.message and "0xe9" in problem.message


def test_too_large(tmp_path: Path) -> None:
    path = write(tmp_path, "call.txt", "Rep: " + "blah " * (MAX_BYTES // 5 + 1))
    with pytest.raises(TranscriptError) as info:
        read_transcript(path)
    assert "too large" in str(info.value)
    with pytest.raises(TranscriptError, match="too large"):
        parse_transcript("Rep: " + "x" * MAX_BYTES)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError) as info:
        read_transcript(tmp_path / "nope.txt")
    assert str(info.value) == f"{tmp_path / 'nope.txt'}:1:1: (file): cannot read the file: No such file or directory"
    with pytest.raises(TranscriptError, match="cannot read the file"):
        read_transcript(tmp_path)


@pytest.mark.parametrize("line", [" " * 200_000 + "x", "Rep" + " " * 200_000 + "x",
                                  "**" + "\t" * 200_000 + "x", "00:01 " + " " * 200_000 + "x"])
def test_long_lines_that_are_not_turns_fail_fast(line: str) -> None:
    start = time.perf_counter()
    assert problems(line, "call.txt") == [f"call.txt:1:{len(line) - len(line.lstrip()) + 1}: (file): {NO_PREFIX}"]
    assert time.perf_counter() - start < 2  # a backtracking prefix pattern takes minutes


def test_error_carries_problems_and_prints_one_a_line() -> None:
    with pytest.raises(TranscriptError) as info:
        parse_transcript("hello\n", "a.txt")
    err = info.value
    assert len(err.problems) == 1 and err.problems[0].line == 1
    assert str(err) == f"a.txt:1:1: (file): {NO_PREFIX}"


@pytest.mark.parametrize("text", [
    "{", "[", "]", "- ", ":", "turns:", "turns: 5", "turns: [1, 2]", "- [rep, hi]", "{turns: {}}",
    "[" * 200, "\x00", "\ud7ff", "Rep:", "**", "[00:01]", "00:01:02\n", "- speaker: rep\n  text: [a, b]\n",
    "turns:\n  - speaker: 3\n    text: 4\n", '{"turns": [{"speaker": "rep", "text": null}]}',
])
@pytest.mark.parametrize("name", ["x.txt", "x.yaml", "x.json"])
def test_odd_inputs_give_problems_not_tracebacks(text: str, name: str) -> None:
    try:
        parse_transcript(text, name)
    except TranscriptError as exc:
        assert exc.problems and all(p.line >= 1 and p.col >= 1 for p in exc.problems)


# --- The examples -------------------------------------------------------------------

def test_examples_hold_the_same_conversation() -> None:
    as_text = read_transcript(EXAMPLES / "price-objection-call.txt")
    as_yaml = read_transcript(EXAMPLES / "price-objection-call.yaml")
    assert as_text == as_yaml
    assert 10 <= len(as_text) <= 14
    assert as_text[0].speaker == "buyer" and "more than double" in as_text[0].text
    rep = [t.text for t in as_text if t.speaker == "rep"]
    assert any("what are you comparing" in t for t in rep)        # clarifies the comparison
    assert sum("percent off" in t for t in rep) == 1               # one discount offer
    assert max(len(t) for t in rep) > 3 * sorted(len(t) for t in rep)[len(rep) // 2]  # one ramble


def test_example_text_uses_timestamps_and_continuation_lines() -> None:
    raw = (EXAMPLES / "price-objection-call.txt").read_text()
    lines = raw.splitlines()
    assert all(line.startswith("[00:") for line in lines[:4])
    assert any(not line.startswith("[") for line in lines)  # the ramble is wrapped
