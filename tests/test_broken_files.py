"""A corpus of broken files: each gets its own located, plain-word error; none crashes or hangs.

Most cases are one small edit to a valid scenario or rubric (tests/fixtures/library),
so the expected line can be computed from where the edit landed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from roleplay import library, yamlsource
from roleplay.transcripts import TranscriptError, read_transcript
from roleplay.yamlsource import MAX_BYTES, parse

from .conftest import FIXTURES

BASE_SCENARIO = (FIXTURES / "library/scenarios/price-objection.yaml").read_text()
BASE_RUBRIC = (FIXTURES / "library/rubrics/objection-handling.yaml").read_text()


def line_of(text: str, needle: str) -> int:
    idx = text.index(needle)
    return text.count("\n", 0, idx) + 1


def sub(old: str, new: str, count: int = 1) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, f"fixture changed: {old!r} not found"
        return text.replace(old, new, count)
    return edit


def drop_line(start: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        lines = text.splitlines(keepends=True)
        hits = [i for i, ln in enumerate(lines) if ln.lstrip().startswith(start)]
        assert hits, f"fixture changed: no line starting {start!r}"
        del lines[hits[0]]
        return "".join(lines)
    return edit


@dataclass
class Case:
    name: str
    kind: str  # which base file is edited: scenario or rubric
    edit: Callable[[str], str]
    field: str
    message: str
    at: str | None = None  # text whose line the error must point at

    def write(self, root: Path) -> Path:
        base = BASE_SCENARIO if self.kind == "scenario" else BASE_RUBRIC
        folder = root / ("scenarios" if self.kind == "scenario" else "rubrics")
        folder.mkdir(parents=True, exist_ok=True)
        text = self.edit(base)
        path = folder / f"{self.name}.yaml"
        path.write_text(text, encoding="utf-8")
        self.text = text
        return path


EDIT_CASES = [
    Case("unclosed-bracket", "scenario",
         sub("skills: [objection-handling, price, value-selling]",
             "skills: [objection-handling, price, value-selling"),
         "(file)", "YAML syntax error"),
    Case("bad-indent", "scenario", sub("  name: Dana Whitfield", "   name: Dana Whitfield"),
         "(file)", "YAML syntax error", at="   name: Dana Whitfield"),
    Case("tab-indent", "scenario", sub("  name: Dana Whitfield", "\tname: Dana Whitfield"),
         "(file)", "use spaces, not tabs", at="\tname: Dana Whitfield"),
    Case("wrong-type-number", "scenario", sub("starting_trust: 35", "starting_trust: lots"),
         "difficulty.medium.starting_trust", "should be a whole number, not 'lots'",
         at="starting_trust: lots"),
    Case("wrong-type-list", "scenario",
         sub("skills: [objection-handling, price, value-selling]", "skills: objection-handling"),
         "skills", "should be a list", at="skills: objection-handling"),
    Case("wrong-type-block", "scenario",
         sub("opening:\n  line: ", "opening: "),
         "opening", "should be a block of 'name: value' lines", at="opening: "),
    Case("typo-nested-key", "scenario", sub("  role: Director", "  rolee: Director"),
         "persona.rolee", "unknown field 'rolee'; did you mean 'role'?", at="rolee:"),
    Case("typo-top-key", "scenario", sub("title:", "titel:"),
         "titel", "did you mean 'title'?", at="titel:"),
    Case("missing-field", "scenario", drop_line("title:"), "title", "is required but missing"),
    Case("missing-nested-field", "scenario", drop_line("milestone:"),
         "objective.milestone", "is required but missing", at="objective:"),
    Case("bad-choice", "scenario", sub("setting: follow-up-call", "setting: folow-up-call"),
         "setting", "did you mean 'follow-up-call'?", at="setting:"),
    Case("bad-id", "scenario", sub("id: price-objection", "id: Price Objection"),
         "id", "not a usable id", at="id: Price Objection"),
    Case("out-of-range", "scenario", sub("starting_trust: 35", "starting_trust: 150"),
         "difficulty.medium.starting_trust", "less than or equal to 100",
         at="starting_trust: 150"),
    Case("too-few-variants", "scenario",
         sub('    - "Whoa. We\'re nowhere near booking anything. I still don\'t see why this is worth double."\n', ""),
         "offline_script.pushy_close", "needs at least 2 entries, found 1", at="pushy_close:"),
    Case("duplicate-key", "scenario", sub("setting: follow-up-call", "setting: follow-up-call\nsetting: cold-call"),
         "setting", "appears twice", at="setting: cold-call"),
    Case("dangling-rubric", "scenario", sub("rubric: objection-handling", "rubric: objection-handlin"),
         "rubric", "no rubric called 'objection-handlin'; did you mean 'objection-handling'?",
         at="rubric: objection-handlin"),
    Case("dangling-topic", "scenario",
         sub("reveal: {topic: spoilage-cost, min_trust: 35}", "reveal: {topic: spoilage, min_trust: 35}"),
         "persona.hidden_facts[0].reveal.topic", "no topic called 'spoilage'",
         at="reveal: {topic: spoilage,"),
    Case("dangling-criterion", "scenario",
         sub("resolved_when: [acknowledge, clarify]", "resolved_when: [acknowledge, clarfy]"),
         "persona.objections[0].resolved_when[1]", "did you mean 'clarify'?",
         at="resolved_when: [acknowledge, clarfy]"),
    Case("fact-without-lines", "scenario", sub("    cfo-decides:\n", "    cfo-decide:\n"),
         "offline_script.fact_revealed.cfo-decide", "no hidden fact called 'cfo-decide'",
         at="    cfo-decide:"),
    Case("duplicate-fact-id", "scenario", sub("- id: medco-at-risk", "- id: spoilage-numbers"),
         "persona.hidden_facts[1].id", "used twice", at="- id: spoilage-numbers\n      fact: \"MedCo"),
    Case("silence-without-lines", "scenario",
         sub('  line: "I got your quote.', '  silent_days: 9\n  old_line: "I got your quote.'),
         "opening.old_line", "unknown field 'old_line'", at="old_line:"),
    Case("opening-empty", "scenario",
         sub('  line: "I got your quote.', '  lines: "I got your quote.'),
         "opening.lines", "did you mean 'line'?", at="  lines:"),
    Case("too-many-objections", "scenario", sub("objections: 3\n", "objections: 5\n"),
         "difficulty.hard.objections", "the persona has only 3", at="objections: 5"),
    Case("unreachable-objective", "scenario", sub("trust_gain_good: 8", "trust_gain_good: 2"),
         "difficulty.hard", "the objective can never be reached", at="  hard:"),
    Case("colon-in-text", "scenario", sub("  price: $48,000 a year", "  price: Note: $48,000 a year"),
         "(file)", "put text that contains ': ' in quotes", at="  price: Note:"),
    Case("top-level-list", "scenario", lambda t: "- " + t.replace("\n", "\n  "),
         "(file)", "should be a block of 'name: value' lines"),
    Case("levels-incomplete", "rubric", drop_line("5: Uses the buyer"),
         "criteria[2].levels", "must describe each of 0, 1, 2, 3, 4 and 5", at="levels:"),
    Case("checks-and-levels", "rubric",
         sub("    levels:\n", "    checks: [Is the price held?]\n    levels:\n"),
         "criteria[2]", "either 'checks'", at="- id: value-not-discount"),
    Case("unknown-signal", "rubric", sub("signal: open-question", "signal: open-questions"),
         "criteria[1].signal", "did you mean 'open-question'?", at="signal: open-questions"),
    Case("negative-weight", "rubric", sub("weight: 3", "weight: -3"),
         "criteria[1].weight", "greater than 0", at="weight: -3"),
    Case("duplicate-criterion", "rubric", sub("- id: confirm", "- id: clarify"),
         "criteria[3].id", "used twice", at="- id: clarify\n    name: Checks"),
    Case("python-tag", "rubric", sub("title: Handling an objection",
                                     "title: !!python/object/apply:os.system ['echo hi']"),
         "title", "the tag !!python/object/apply:os.system is not allowed", at="title: !!python"),
]


@pytest.mark.parametrize("case", EDIT_CASES, ids=lambda c: c.name)
def test_edited_file_gets_located_error(case: Case, tmp_path: Path) -> None:
    root = tmp_path / "lib"
    if case.kind == "scenario":  # scenarios need their rubric to resolve
        (root / "rubrics").mkdir(parents=True)
        (root / "rubrics/objection-handling.yaml").write_text(BASE_RUBRIC)
    path = case.write(root)
    lib = library.load([root])
    mine = [p for p in lib.problems if p.file == str(path)]
    assert mine, f"no problem reported for {case.name}"
    shown = "\n".join(str(p) for p in mine)
    match = [p for p in mine if p.path == (case.field if case.field != "(file)" else "")
             and case.message in p.message]
    assert match, f"expected {case.field}: ...{case.message}... in\n{shown}"
    if case.at is not None:
        assert match[0].line == line_of(case.text, case.at), shown
    assert str(match[0]).startswith(f"{path}:{match[0].line}:{match[0].col}: ")
    # the other files of the library still load
    assert str(path) in lib.broken
    if case.kind == "scenario":
        assert "objection-handling" in lib.rubrics


RAW_CASES: list[tuple[str, Callable[[], bytes], int, str]] = [
    ("empty", lambda: b"", 1, "the file is empty"),
    ("only-comments", lambda: b"# nothing yet\n# TODO\n", 1, "the file is empty"),
    ("not-utf8", lambda: "kind: rubric\nid: caf\u00e9\n".encode("latin-1"), 2, "not UTF-8"),
    ("binary", lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), 1, "not UTF-8"),
    ("billion-laughs", lambda: (
        b'kind: rubric\na: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        + b"".join(f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n".encode()
                   for p, c in zip("abcdefgh", "bcdefghi"))
    ), 3, "anchors and aliases"),
    ("huge", lambda: b"kind: rubric\ndescription: " + b"x" * (MAX_BYTES + 10) + b"\n", 1, "too large"),
    ("deep-flow-nesting", lambda: b"kind: rubric\nid: " + b"[" * 200_000 + b"]" * 200_000, 2,
     "nested more than"),
    ("deep-block-nesting", lambda: b"kind: rubric\n" + b"".join(
        b" " * i + b"k:\n" for i in range(0, 400, 2)), 42, "nested more than"),
    ("plain-scalar", lambda: b"just a sentence\n", 1, "cannot tell whether this is a scenario"),
    ("unknown-kind", lambda: b"kind: buyer\nname: Dana\n", 1, "cannot tell whether"),
    ("merge-key", lambda: b"kind: rubric\nbase: &b {x: 1}\nother:\n  <<: *b\n", 4, "merge keys"),
    ("set-tag", lambda: b"kind: rubric\nid: !!set {a, b}\n", 2, "tag !!set is not allowed"),
    ("key-is-list", lambda: b"kind: rubric\n[a, b]: c\n", 2, "a key must be a plain word"),
]


@pytest.mark.parametrize("name,make,line,message", RAW_CASES, ids=[c[0] for c in RAW_CASES])
def test_raw_file_gets_located_error(name: str, make: Callable[[], bytes], line: int,
                                     message: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(make())
    lib = library.load([path])
    shown = "\n".join(map(str, lib.problems))
    assert any(message in p.message for p in lib.problems), shown
    hit = next(p for p in lib.problems if message in p.message)
    assert hit.line == line, shown
    assert hit.file == str(path)


def test_duplicate_ids_name_both_files(tmp_path: Path) -> None:
    (tmp_path / "rubrics").mkdir()
    (tmp_path / "rubrics/a.yaml").write_text(BASE_RUBRIC)
    (tmp_path / "rubrics/b.yaml").write_text(BASE_RUBRIC)
    lib = library.load([tmp_path])
    a, b = str(tmp_path / "rubrics/a.yaml"), str(tmp_path / "rubrics/b.yaml")
    by_file = {p.file: p for p in lib.problems}
    assert set(by_file) == {a, b}
    assert b in by_file[a].message and a in by_file[b].message
    assert by_file[a].path == "id" and by_file[a].line == line_of(BASE_RUBRIC, "id: objection-handling")


def test_one_broken_file_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "rubrics").mkdir()
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "rubrics/objection-handling.yaml").write_text(BASE_RUBRIC)
    (tmp_path / "scenarios/good.yaml").write_text(BASE_SCENARIO)
    (tmp_path / "scenarios/bad.yaml").write_text("id: [\n")
    lib = library.load([tmp_path])
    assert list(lib.scenarios) == ["price-objection"]
    assert list(lib.broken) == [str(tmp_path / "scenarios/bad.yaml")]
    assert [e.model.id for e in lib.usable_scenarios()] == ["price-objection"]


def test_whole_corpus_through_the_command_line(tmp_path: Path) -> None:
    """The real command, in its own process: no crash, no hang, every file reported."""
    root = tmp_path / "lib"
    for case in EDIT_CASES:
        case.write(root)
    (root / "rubrics/objection-handling.yaml").write_text(BASE_RUBRIC)
    for name, make, _, _ in RAW_CASES:
        (root / "scenarios" / f"{name}.yaml").write_bytes(make())
    proc = subprocess.run(
        [sys.executable, "-m", "roleplay", "validate", str(root)],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    reported = {line.split(":", 1)[0] for line in proc.stdout.splitlines()}
    expected = {str(root / "scenarios" / f"{n}.yaml") for n, *_ in RAW_CASES}
    expected |= {str(root / ("scenarios" if c.kind == "scenario" else "rubrics") / f"{c.name}.yaml")
                 for c in EDIT_CASES}
    assert expected <= reported, sorted(expected - reported)
    assert "Traceback" not in proc.stderr


# --- Issue 8: every case with its exact line and column ---------------------------------

BIG = "9" * 5000


def _edit_scenario(old: str, new: str) -> Callable[[], bytes]:
    def make() -> bytes:
        assert old in BASE_SCENARIO, f"fixture changed: {old!r} not found"
        return BASE_SCENARIO.replace(old, new, 1).encode()
    return make


OPENING = 'line: "I got your quote. I\'ll be honest, forty-eight thousand is more than double what we pay Fleetwise. That\'s not going to fly here."'

# (name, bytes, line, column, message); the messages are roleplay's own, never PyYAML's.
LOCATED_CASES: list[tuple[str, Callable[[], bytes], int, int, str]] = [
    ("big-integer", lambda: f"kind: rubric\nid: x\npassing_score: {BIG}\n".encode(), 3, 16,
     "number too long"),
    ("big-negative-integer", lambda: f"kind: rubric\nid: x\npassing_score: -{BIG}\n".encode(), 3, 16,
     "number too long"),
    ("big-float", lambda: f"kind: rubric\nid: x\npassing_score: 1.{BIG}\n".encode(), 3, 16,
     "number too long"),
    ("big-number-in-list", lambda: f"kind: rubric\nid: x\ncriteria:\n  - {BIG}\n".encode(), 4, 5,
     "number too long"),
    ("big-number-as-key", lambda: f"kind: rubric\nid: x\n{BIG[:500]}: 1\n".encode(), 3, 1,
     "number too long"),
    ("big-number-in-scenario", _edit_scenario("starting_trust: 35", f"starting_trust: {BIG}"),
     line_of(BASE_SCENARIO, "starting_trust: 35"), 21, "number too long"),
    ("unclosed-quote-at-end", lambda: b'kind: rubric\nid: x\ntitle: "Handling\ndescription: a\n'
     + b"other: b\n" * 20, 3, 8, "quote that opens here is never closed"),
    ("unclosed-quote-mid-file", _edit_scenario(OPENING, 'line: "I got your quote. I\'ll be honest'),
     line_of(BASE_SCENARIO, OPENING), 9, "quote that opens here is not closed on its line"),
    ("unclosed-quote-title", _edit_scenario('title: "\\"That\'s more than double what we pay now\\""',
                                            'title: "\\"That\'s more than double what we pay now\\"'),
     line_of(BASE_SCENARIO, "title:"), 8, "quote that opens here is not closed on its line"),
    ("unclosed-single-quote", _edit_scenario("skills: [objection-handling, price, value-selling]",
                                             "skills: 'objection-handling, price, value-selling]"),
     line_of(BASE_SCENARIO, "skills:"), 9, "quote that opens here is not closed on its line"),
    ("nbsp-after-colon", lambda: "kind: rubric\nid: x\ntitle:\u00a0Handling\n".encode(), 3, 7,
     "a non-breaking space (U+00A0)"),
    ("nbsp-indent", lambda: "kind: rubric\nid: x\ncriteria:\n  - id: a\n  \u00a0 name: A\n".encode(),
     5, 3, "a non-breaking space (U+00A0)"),
    ("nbsp-before-key", lambda: "kind: rubric\nid: x\n\u00a0title: Hello\n".encode(), 3, 1,
     "a non-breaking space (U+00A0)"),
    ("nbsp-in-scenario", _edit_scenario("  name: Dana Whitfield", " \u00a0name: Dana Whitfield"),
     line_of(BASE_SCENARIO, "  name: Dana Whitfield"), 2, "a non-breaking space (U+00A0)"),
    ("zero-width-space", lambda: "kind: rubric\nid\u200b: x\n".encode(), 2, 3,
     "a zero-width space (U+200B)"),
    ("nul-byte", lambda: b"kind: rubric\nid: x\ntitle: Hand\x00ling\n", 3, 12, "a NUL byte (U+0000)"),
    ("esc-byte", lambda: b"kind: rubric\nid: x\ntitle: \x1b[31mHandling\n", 3, 8,
     "an ESC control character (U+001B)"),
    ("control-in-scenario", _edit_scenario("  name: Dana Whitfield", "  name: Dana\x07 Whitfield"),
     line_of(BASE_SCENARIO, "  name: Dana Whitfield"), 13, "a control character (U+0007)"),
    ("tab-indent-block", lambda: b"kind: rubric\nid: x\ncriteria:\n\t- id: a\n", 4, 1,
     "use spaces, not tabs"),
    ("tab-after-spaces", lambda: b"kind: rubric\nid: x\ncriteria:\n  - id: a\n  \tname: A\n", 5, 3,
     "use spaces, not tabs"),
    ("tab-in-scenario", _edit_scenario("  role: Director", "\trole: Director"),
     line_of(BASE_SCENARIO, "  role: Director"), 1, "use spaces, not tabs"),
]


@pytest.mark.parametrize("name,make,line,col,message", LOCATED_CASES, ids=[c[0] for c in LOCATED_CASES])
def test_problem_is_located_at_its_line_and_column(name: str, make: Callable[[], bytes], line: int,
                                                   col: int, message: str, tmp_path: Path) -> None:
    (tmp_path / "rubrics").mkdir()
    (tmp_path / "rubrics/objection-handling.yaml").write_text(BASE_RUBRIC)
    path = tmp_path / "scenarios" / f"{name}.yaml"
    path.parent.mkdir()
    path.write_bytes(make())
    lib = library.load([tmp_path])
    mine = [p for p in lib.problems if p.file == str(path)]
    shown = "\n".join(map(str, mine))
    hit = [p for p in mine if message in p.message]
    assert hit, shown
    assert (hit[0].line, hit[0].col) == (line, col), shown
    assert BIG not in shown  # the offending value is named, never echoed whole


def test_odd_spaces_inside_text_are_kept() -> None:
    located = parse("kind: rubric\ntitle: Handling\u00a0an objection\ntip: \"48\u00a0000 a year\"\n")
    assert located.data["title"] == "Handling\u00a0an objection"
    assert located.data["tip"] == "48\u00a0000 a year"


def test_transcript_with_a_huge_number_gets_a_located_problem(tmp_path: Path) -> None:
    path = tmp_path / "call.json"
    path.write_text('{"turns": [{"speaker": "rep", "text": "hi", "n": ' + BIG + "}]}")
    with pytest.raises(TranscriptError) as info:
        read_transcript(path)
    assert "number too long" in str(info.value) and ":1:" in str(info.value)


# --- What is read at all: regular files only, and links that stay in their folder ---------

def _library_with(tmp_path: Path) -> Path:
    root = tmp_path / "lib"
    (root / "rubrics").mkdir(parents=True)
    (root / "rubrics/objection-handling.yaml").write_text(BASE_RUBRIC)
    (root / "scenarios").mkdir()
    return root


def _load_within(seconds: int, paths: list[Path]) -> library.Library:
    """library.load, failing the test (not hanging it) if it blocks."""
    def timeout(*_: object) -> None:
        raise AssertionError(f"library.load blocked for {seconds}s")
    old = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(seconds)
    try:
        return library.load(paths)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _problem_of(lib: library.Library, path: Path) -> str:
    mine = [str(p) for p in lib.problems if p.file == str(path)]
    assert len(mine) == 1, mine
    return mine[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_named_yaml_is_refused_not_waited_on(tmp_path: Path) -> None:
    root = _library_with(tmp_path)
    fifo = root / "scenarios/pipe.yaml"
    os.mkfifo(fifo)
    lib = _load_within(10, [root])
    assert _problem_of(lib, fifo) == f"{fifo}:1:1: (file): cannot read the file: it is a named pipe (FIFO), not a regular file"
    assert "objection-handling" in lib.rubrics


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_link_to_a_device_is_refused_not_read_without_end(tmp_path: Path) -> None:
    root = _library_with(tmp_path)
    # A link into /dev leaves the folder too; named directly it is refused for being a device.
    link = root / "scenarios/zero.yaml"
    link.symlink_to("/dev/zero")
    lib = _load_within(10, [root])
    assert "outside its library folder" in _problem_of(lib, link)
    lib = _load_within(10, [link])
    assert _problem_of(lib, link).endswith("cannot read the file: it is a device, not a regular file")


def test_folder_named_yaml_is_a_located_problem(tmp_path: Path) -> None:
    root = _library_with(tmp_path)
    (root / "scenarios/odd.yaml").mkdir()
    lib = _load_within(10, [root])
    assert "it is a folder, not a regular file" in _problem_of(lib, root / "scenarios/odd.yaml")


def test_link_inside_the_folder_is_followed(tmp_path: Path) -> None:
    root = _library_with(tmp_path)
    (root / "scenarios/real.yaml").write_text(BASE_SCENARIO)
    (root / "scenarios/alias.yaml").symlink_to(root / "scenarios/real.yaml")
    lib = _load_within(10, [root])
    assert lib.problems == [] and "price-objection" in lib.scenarios


def test_link_out_of_the_folder_is_refused_and_never_echoed(tmp_path: Path) -> None:
    root = _library_with(tmp_path)
    secret = tmp_path / "elsewhere/secret.yaml"
    secret.parent.mkdir()
    secret.write_text("kind: rubric\nid: TOP-SECRET-VALUE\ntitle: hunter2\n")
    link = root / "rubrics/secret.yaml"
    link.symlink_to(secret)
    passwd = root / "scenarios/passwd.yaml"
    passwd.symlink_to("/etc/passwd")
    lib = _load_within(10, [root])
    shown = "\n".join(map(str, lib.problems))
    assert _problem_of(lib, link).startswith(f"{link}:1:1: (file): the file is a link to {secret}, "
                                             "outside its library folder")
    assert "outside its library folder" in _problem_of(lib, passwd)
    assert "TOP-SECRET" not in shown and "hunter2" not in shown and "root:" not in shown


def test_linked_sub_folder_out_of_the_library_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    root.mkdir()
    outside = tmp_path / "elsewhere/rubrics"
    outside.mkdir(parents=True)
    (outside / "objection-handling.yaml").write_text(BASE_RUBRIC)
    (root / "rubrics").symlink_to(outside)
    lib = _load_within(10, [root])
    assert "outside its library folder" in _problem_of(lib, root / "rubrics/objection-handling.yaml")
    assert lib.rubrics == {}


def test_size_cap_is_applied_while_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At most cap + 1 bytes are read, whatever the file system says the size is."""
    path = tmp_path / "big.yaml"
    path.write_bytes(b"kind: rubric\n" + b"#" * 5000)
    monkeypatch.setattr(yamlsource, "MAX_BYTES", 1000)
    read = []
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        chunk = real_read(fd, n)
        read.append(len(chunk))
        return chunk

    monkeypatch.setattr(os, "read", counting_read)
    monkeypatch.setattr(Path, "stat", lambda *a, **k: pytest.fail("the size must not come from stat"))
    with pytest.raises(yamlsource.YamlProblem, match="too large"):
        yamlsource.read_bytes(path)
    assert sum(read) == 1001


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_validate_and_grade_refuse_devices_and_fifos(tmp_path: Path) -> None:
    fifo = tmp_path / "call.yaml"
    os.mkfifo(fifo)
    for args in (["validate", str(fifo)], ["grade", str(fifo), "--rubric", "objection-handling", "--offline"],
                 ["grade", "/dev/zero", "--rubric", "objection-handling", "--offline"]):
        proc = subprocess.run([sys.executable, "-m", "roleplay", *args],
                              capture_output=True, text=True, timeout=60)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 1, out
        assert "Traceback" not in out
        assert "not a regular file" in out, out
        assert "All 0 files are valid" not in out


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_read_transcript_refuses_a_device(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match="it is a device, not a regular file"):
        read_transcript(Path("/dev/zero"))


TRICKY_YAML = [
    "a: 1\nb: [x, 2.5, true, null, ~, 2024-01-01, 0x1f, 1_000, '3', .inf, yes, on, -0, +7, 1e3]\n",
    "1: one\ntrue: yes\n'quoted key': \"text\"\nempty:\nblock: |\n  line one\n  line two\nfolded: >\n  a\n  b\n",
    "- a\n- - b\n  - {c: d, e: [f]}\n- ''\n- \"\"\n",
    "date: 2024-01-01 10:00:00\ntime: 12:30\nver: 1.2.3\nneg: -12\noct: 0o17\n",
    "just text\n",
    "%YAML 1.1\n---\nx: 1\n...\n",
    "x: !!str 12\ny: ! 12\n",
    "a: &x 1\nb: *x\n",
    "a: 1\na: 2\n",
    "~: 1\n",
    "[a]: 1\n",
    "<<: {a: 1}\n",
    "x: 1\n---\ny: 2\n",
]


@pytest.mark.parametrize("text", TRICKY_YAML)
def test_fast_route_gives_what_the_full_route_gives(text: str) -> None:
    def outcome(fast: bool) -> object:
        try:
            return parse(text, fast=fast).data
        except yamlsource.YamlProblem as exc:
            return (exc.line, exc.col, exc.message, exc.path)
    assert outcome(True) == outcome(False)


def test_fast_route_gives_the_same_data_for_every_shipped_file() -> None:
    folder = library.shipped_folder()
    files = sorted(p for sub in ("scenarios", "rubrics", "personas") for p in (folder / sub).glob("*.yaml"))
    files += sorted(FIXTURES.rglob("*.yaml"))
    assert len(files) >= 14
    for path in files:
        text = path.read_text()
        assert parse(text).data == parse(text, fast=False).data, path


def test_two_process_load_gives_what_one_process_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A big library is parsed half in a forked child: same entries, same located problems."""
    root = _library_with(tmp_path)
    for i in range(12):
        (root / f"scenarios/s{i:02d}.yaml").write_text(
            BASE_SCENARIO.replace("id: price-objection", f"id: price-objection-{i:02d}", 1))
    (root / "scenarios/s05.yaml").write_text("id: [\n")
    (root / "scenarios/s09.yaml").write_text(BASE_SCENARIO.replace("starting_trust: 35", "starting_trust: lots"))
    monkeypatch.setattr(library, "PARALLEL_FROM", 10**9)
    one = library.load([root])
    monkeypatch.setattr(library, "PARALLEL_FROM", 2)
    two = library.load([root])
    assert [str(p) for p in two.problems] == [str(p) for p in one.problems]
    assert len(one.problems) >= 2
    assert {k: e.model for k, e in two.scenarios.items()} == {k: e.model for k, e in one.scenarios.items()}
    assert two.problems[0].line >= 1 and two.files == one.files == 13
