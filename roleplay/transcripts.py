"""Reading a transcript to grade (`roleplay grade TRANSCRIPT`): a real call, pasted.

Three forms are accepted (README.md, "Grading a real call"):

* YAML: ``turns: [{speaker: rep|buyer, text: ...}, ...]``, or a bare list of turns.
* JSON: the same shapes. JSON is read as YAML first, so every problem is
  located; JSON that YAML refuses (tabs as indentation, for one) is read with
  `json.loads` instead, and located as well as the text allows.
* Plain text (also Markdown): one turn a line or a paragraph, each starting
  with a speaker prefix::

      [00:00:03] Rep: Thanks for making time, Dana.
      **Buyer:** Look, the price is the problem.

  Prefixes are case-insensitive and may be indented, set in Markdown bold or
  italics, and preceded (or followed, before the colon) by a timestamp such as
  ``[00:01:23]``, ``(01:23)`` or ``00:01``, which is dropped. Besides ``Rep:``
  and ``Buyer:``, the rep may be ``Me``, ``Seller``, ``Sales``, ``AE`` or ``SDR``
  and the buyer ``Prospect``, ``Customer`` or ``Client``.
  A line with no prefix continues the turn above it: lines of one paragraph are
  joined with a space (hard-wrapped text reads as one line again) and
  paragraphs of one turn with a single newline, which is what YAML's folded
  style (``text: >``) makes of the same text. A line holding only a timestamp
  is skipped.

Which form a file is in is decided by its suffix (``.json``; ``.yaml``/``.yml``)
and, for any other suffix (``.txt``, ``.md``, none), by its first line of
content (blank lines, ``#`` comments and ``---`` skipped): ``{``, ``[{``, ``[]``,
``turns:``, ``- speaker:``, ``- text:`` or ``- {`` mean YAML/JSON, anything else
plain text (``[00:01:23] Rep:`` is plain text). One exception to the suffix: a
``.json`` or ``.yaml`` file whose first line of content is a ``Rep:``/``Buyer:``
turn is plain text misnamed (no YAML or JSON transcript can start that way) and
is read as plain text.

Consecutive turns by the same speaker stay separate turns. Every problem is a
located `Problem` ("FILE:LINE:COL: field.path: message"), raised together in
one `TranscriptError`; nothing here ends in a traceback.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from .engine.records import TranscriptIn, TranscriptTurn
from .problems import problems_from
from .yamlsource import (
    MAX_BYTES,
    MAX_DEPTH,
    Located,
    Path_,
    Problem,
    YamlProblem,
    decode,
    format_path,
    parse,
    read_bytes,
)

__all__ = ["TranscriptError", "read_transcript", "parse_transcript", "SPEAKER_ALIASES"]

#: Every accepted speaker label (lower case) and who it means.
SPEAKER_ALIASES: dict[str, str] = {
    "rep": "rep", "me": "rep", "seller": "rep", "sales": "rep", "ae": "rep", "sdr": "rep",
    "buyer": "buyer", "prospect": "buyer", "customer": "buyer", "client": "buyer",
}

NO_PREFIX = "each turn needs a 'Rep:' or 'Buyer:' prefix"
NO_REP = "nothing to grade: the transcript has no rep turns"
NO_TURNS = "nothing to grade: the transcript has no turns"
EMPTY = "the file is empty"
SHAPE = ("a transcript should be a 'turns:' list of {{speaker, text}} entries, "
         "or a bare list of them, not {what}")


class TranscriptError(Exception):
    """A transcript could not be read. `problems` holds each located problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def read_transcript(path: Path) -> list[TranscriptTurn]:
    """The turns of the transcript file at `path`, or TranscriptError."""
    path = Path(path)
    name = str(path)
    try:
        # Only a regular file, read up to the size cap: a FIFO or /dev/zero is refused, not waited on.
        text = decode(read_bytes(path))
    except YamlProblem as exc:
        raise TranscriptError([_from_yaml(name, exc)]) from None
    return parse_transcript(text, name)


def parse_transcript(text: str, name: str = "<text>") -> list[TranscriptTurn]:
    """The turns of a transcript given as text; `name` is its file name, used for
    its suffix and in problems."""
    text = text.removeprefix("\ufeff")
    if len(text) > MAX_BYTES:
        raise TranscriptError([Problem(name, 1, 1, "", f"the text is too large; "
                                                       f"the limit is {MAX_BYTES / 1e6:.0f} MB")])
    if not text.strip():
        raise TranscriptError([Problem(name, 1, 1, "", EMPTY)])
    suffix = Path(name).suffix.lower()
    if suffix in (".json", ".yaml", ".yml") and _starts_with_speaker(text):
        suffix = ".txt"  # no YAML or JSON transcript can start 'Rep:'; it is plain text misnamed
    if suffix == ".json":
        return _validate(_load_json(text, name), None, name)
    if suffix in (".yaml", ".yml") or _looks_structured(text):
        return _validate(_load_yaml(text, name), text, name)
    return _parse_plain(text, name)


# --- YAML and JSON ------------------------------------------------------------

def _from_yaml(name: str, exc: YamlProblem) -> Problem:
    return Problem(name, exc.line, exc.col, format_path(exc.path), exc.message)


_STRUCTURED_START = re.compile(r"(\{|\[\s*(\{|\]|$)|turns\s*:|-\s*(\{|speaker\s*:|text\s*:))")


def _first_content_line(text: str) -> str:
    for line in text.splitlines():
        s = line.strip()
        if s and not s.startswith("#") and s != "---" and not s.startswith("%YAML"):
            return s
    return ""


def _looks_structured(text: str) -> bool:
    """The first line of content starts a YAML/JSON transcript, not a plain-text one."""
    return _STRUCTURED_START.match(_first_content_line(text)) is not None


def _starts_with_speaker(text: str) -> bool:
    """The first line of content is a plain-text turn ('Rep: ...', '**Buyer:** ...')."""
    first = _first_content_line(text)
    return _PREFIX.fullmatch(first) is not None and not _looks_structured(text)


def _load_yaml(text: str, name: str) -> Located:
    try:
        return parse(text)
    except YamlProblem as exc:
        raise TranscriptError([_from_yaml(name, exc)]) from None


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _load_json(text: str, name: str) -> Located:
    try:
        return parse(text)
    except YamlProblem as yaml_problem:
        first = yaml_problem
    # Valid JSON that YAML refuses: tabs as indentation, some control characters.
    # JSON decides whether the file is valid; YAML, if it can, says where things are.
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise TranscriptError([Problem(name, exc.lineno, exc.colno, "",
                                       f"JSON syntax error: {exc.msg}")]) from None
    except (_DuplicateKey, RecursionError, ValueError):
        # ValueError: a number Python will not read (over 4,300 digits); YAML has said where.
        raise TranscriptError([_from_yaml(name, first)]) from None
    if _depth(data) > MAX_DEPTH:
        raise TranscriptError([Problem(name, 1, 1, "",
                                       f"the data is nested more than {MAX_DEPTH} levels deep")])
    try:
        # A tab outside a JSON string is only whitespace (inside one it must be
        # escaped), so swapping each for a space keeps the meaning and the columns.
        located = parse(text.replace("\t", " "))
    except YamlProblem:
        located = Located(None)  # no positions: problems point at 1:1
    located.data = data
    return located


def _depth(data: Any) -> int:
    deepest, stack = 0, [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth + 1)
            stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return deepest


class _Source:
    """The raw text of YAML scalars, composed only when needed."""

    def __init__(self, text: str | None):
        self.text = text
        self._root: yaml.Node | None = None

    def raw(self, path: Path_) -> str | None:
        if self.text is None:  # JSON: a true or a 12 there was meant as one
            return None
        if self._root is None:
            try:
                self._root = yaml.compose(self.text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            except yaml.YAMLError:  # pragma: no cover - parse() has read this text already
                return None
        node = self._root
        for part in path:
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if k.value == part), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
            else:
                return None
            if node is None:
                return None
        return node.value if isinstance(node, yaml.ScalarNode) else None


def _tidy(turns: list[Any], base: Path_, source: _Source) -> None:
    """Forgive what a person writing the file by hand would not think of as wrong:
    `Rep` or `Customer` as the speaker, whitespace around the text, and a reply of
    `No` or `Yes`, which YAML reads as true/false, or `12`, which it reads as a number."""
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict):
            continue
        speaker = turn.get("speaker")
        if isinstance(speaker, str):
            turn["speaker"] = SPEAKER_ALIASES.get(speaker.strip().lower(), speaker)
        text = turn.get("text")
        if isinstance(text, (bool, int, float)):
            raw = source.raw(base + (i, "text"))
            text = raw if raw is not None else text
        elif text is None and "text" in turn:
            text = ""
        if isinstance(text, str):
            turn["text"] = text.strip()


_TURN_LIST = TypeAdapter(list[TranscriptTurn])


def _validate(located: Located, text: str | None, name: str) -> list[TranscriptTurn]:
    data = located.data
    if isinstance(data, dict):
        base: Path_ = ("turns",)
        turns = data.get("turns")
    elif isinstance(data, list):
        base, turns = (), data
    else:
        what = "empty" if data is None else f"'{data}'" if isinstance(data, str) else repr(data)
        raise TranscriptError([Problem(name, 1, 1, "", SHAPE.format(what=what))])
    if isinstance(turns, list):
        if not turns:
            line, col = located.where(base)
            raise TranscriptError([Problem(name, line, col, format_path(base), NO_TURNS)])
        _tidy(turns, base, _Source(text))
    try:
        if base:
            result = TranscriptIn.model_validate(data).turns
        else:
            result = _TURN_LIST.validate_python(data)
    except ValidationError as exc:
        model: Any = TranscriptIn if base else list[TranscriptTurn]
        found = problems_from(exc, model, located, name)  # one per error, in order
        # errors.py words `too_short` but not pydantic's `string_too_short` for text.
        found = [dataclasses.replace(p, message="cannot be empty")
                 if err["type"] == "string_too_short" else p
                 for err, p in zip(exc.errors(include_url=False), found)]
        raise TranscriptError(found) from None
    if not any(t.speaker == "rep" for t in result):
        line, col = located.where(base, key=True)
        raise TranscriptError([Problem(name, line, col, format_path(base), NO_REP)])
    return result


# --- Plain text ---------------------------------------------------------------

_TS = r"(?:[\[(]\s*\d{1,2}(?::\d{2}){1,2}(?:[.,]\d+)?\s*[\])]|\d{1,2}(?::\d{2}){1,2}(?:[.,]\d+)?)"
_MARK = r"(?:\*{1,2}|_{1,2})"  # Markdown bold or italics
# Matched against the stripped line. Every run of blanks follows a token that must
# be there, so a long line that is not a turn fails in linear time.
_PREFIX = re.compile(
    rf"(?:{_TS}[ \t]*(?:[-–—|][ \t]*)?)?(?:{_MARK}[ \t]*)?(?:{_TS}[ \t]*)?"
    rf"(?P<who>{'|'.join(sorted(SPEAKER_ALIASES, key=len, reverse=True))})"
    rf"[ \t]*(?:{_TS}[ \t]*)?(?:{_MARK}[ \t]*)?:[ \t]*(?:{_MARK}[ \t]*)?(?P<rest>.*)",
    re.IGNORECASE,
)
_TIMESTAMP_ONLY = re.compile(_TS)
_LINES = re.compile(r"\r\n|\r|\n")


@dataclass
class _Draft:
    speaker: str
    line: int
    col: int
    paragraphs: list[list[str]] = field(default_factory=lambda: [[]])

    def text(self) -> str:
        return "\n".join(" ".join(p) for p in self.paragraphs if p)


def _parse_plain(text: str, name: str) -> list[TranscriptTurn]:
    drafts: list[_Draft] = []
    problems: list[Problem] = []
    blank = False
    for lineno, line in enumerate(_LINES.split(text), 1):
        if not line.strip():
            blank = True
            continue
        if _TIMESTAMP_ONLY.fullmatch(line.strip()):
            continue
        col = len(line) - len(line.lstrip()) + 1
        match = _PREFIX.fullmatch(line.strip())
        if match:
            draft = _Draft(SPEAKER_ALIASES[match["who"].lower()], lineno, col)
            rest = match["rest"].strip()
            if rest:
                draft.paragraphs[-1].append(rest)
            drafts.append(draft)
        elif not drafts:
            if not problems:  # one is enough: the lines after it would say the same
                problems.append(Problem(name, lineno, col, "", NO_PREFIX))
        else:
            if blank:
                drafts[-1].paragraphs.append([])
            drafts[-1].paragraphs[-1].append(line.strip())
        blank = False
    turns = []
    for i, draft in enumerate(drafts):
        said = draft.text()
        if said:
            turns.append(TranscriptTurn(speaker=draft.speaker, text=said))  # type: ignore[arg-type]
        else:
            label = "Rep" if draft.speaker == "rep" else "Buyer"
            problems.append(Problem(name, draft.line, draft.col, f"turns[{i}]",
                                    f"this {label} turn has no text"))
    if not drafts and not problems:  # only timestamps
        problems.append(Problem(name, 1, 1, "", NO_TURNS))
    if drafts and not any(d.speaker == "rep" for d in drafts):
        problems.append(Problem(name, 1, 1, "", NO_REP))
    if problems:
        raise TranscriptError(problems)
    return turns
