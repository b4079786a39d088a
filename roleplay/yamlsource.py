"""Safe YAML reading that remembers where every value came from.

Managers write these files by hand and colleagues pass them around, so the
text is untrusted: only plain data tags are accepted (no objects built from
tags), anchors and aliases are refused (which also rules out alias bombs),
and nesting and size are capped before the parser can be hurt by them.
Every value's line and column is kept, so a later error can point at it.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml is about ten times faster; the pure-Python parser is the fallback.
    from yaml import CSafeLoader as _Loader
    from yaml._yaml import CParser as _EventParser
except ImportError:  # pragma: no cover - wheels ship libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]
    _EventParser = None

MAX_BYTES = 1_000_000
MAX_DEPTH = 40
MAX_NUMBER_CHARS = 100
"""Longer numbers are refused: Python will not even read an integer past 4,300 digits."""

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_STR = "tag:yaml.org,2002:str"
_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in one file, located for a person to find and fix."""

    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.path or '(file)'}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "col": self.col,
                "field": self.path, "message": self.message}


class YamlProblem(Exception):
    """The file could not be read as plain YAML data."""

    def __init__(self, line: int, col: int, message: str, path: Path_ = ()):
        super().__init__(message)
        self.line, self.col, self.message, self.path = line, col, message, path


class Located:
    """Plain data from a YAML file, and the position of every value and key in it.

    Positions are worked out from the parsed tree only when first asked for,
    which is only when something is wrong: valid files never pay for them.
    """

    def __init__(self, data: Any, text: str = "", root: yaml.Node | None = None):
        self.data = data
        self._text = text  # the text, not the tree, is kept: a tree per file costs memory and time
        self._root = root
        self._values: dict[Path_, tuple[int, int]] | None = None
        self._keys: dict[Path_, tuple[int, int]] = {}

    def _index(self) -> dict[Path_, tuple[int, int]]:
        if self._values is None:
            self._values = {}
            if self._root is None and self._text:
                self._root = _compose(self._text)
            if self._root is not None:
                self._walk(self._root, ())
        return self._values

    def _walk(self, node: yaml.Node, path: Path_, seen: set[int] | None = None) -> None:
        assert self._values is not None
        seen = set() if seen is None else seen
        if id(node) in seen:  # an alias: walking it again could take exponential time
            return
        seen.add(id(node))
        mark = node.start_mark
        pos = (mark.line + 1, mark.column + 1)
        if path in self._keys and isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            pos = self._keys[path]  # a block starts on the line after its key
        self._values[path] = pos
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                here = path + (key_node.value if isinstance(key_node, yaml.ScalarNode) else "(key)",)
                key_node_mark = key_node.start_mark
                self._keys[here] = (key_node_mark.line + 1, key_node_mark.column + 1)
                self._walk(value_node, here, seen)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, path + (i,), seen)

    def where(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """The position of `path`, or of the nearest enclosing value that exists."""
        values = self._index()
        if key and path in self._keys:
            return self._keys[path]
        p = tuple(path)
        while p:
            if p in values:
                return values[p]
            p = p[:-1]
        return values.get((), (1, 1))

    def path_to(self, target: yaml.Node) -> Path_:
        """The data path of a node of this file's tree (for problems found while building)."""
        seen: set[int] = set()

        def find(node: yaml.Node, path: Path_) -> Path_ | None:
            if node is target:
                return path
            if id(node) in seen:
                return None
            seen.add(id(node))
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "(key)"
                    if key_node is target:
                        return path + (key,)
                    found = find(value_node, path + (key,))
                    if found is not None:
                        return found
            elif isinstance(node, yaml.SequenceNode):
                for i, item in enumerate(node.value):
                    found = find(item, path + (i,))
                    if found is not None:
                        return found
            return None

        return find(self._root, ()) or () if self._root is not None else ()


def format_path(path: Path_) -> str:
    """`('criteria', 2, 'weight')` -> `criteria[2].weight`, the way it is shown."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def decode(raw: bytes) -> str:
    """UTF-8 text, or a YamlProblem pointing at the first byte that is not."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise YamlProblem(
            line, col,
            f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
            "save it as UTF-8 in your editor",
        ) from None


_KIND_OF_NON_FILE = [
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
]


def _outside(path: Path, within: Path) -> Path | None:
    """Where `path` really is, when that is outside the folder `within` (a link that leaves it)."""
    real = Path(os.path.realpath(path))
    base = Path(os.path.realpath(within))
    if real == base or base in real.parents:
        return None
    return real


def read_bytes(path: Path, within: Path | None = None) -> bytes:
    """The bytes of one regular file, at most MAX_BYTES of them, or YamlProblem.

    The file is untrusted: a named pipe, a device (a link to /dev/zero), a folder
    or a socket is refused before a byte is read, so nothing blocks or reads without
    end; the size is measured while reading (never from `stat`, which a device or
    a growing file can fool); and with `within`, a file whose real place (after
    following links) is outside that folder is refused, so a library folder
    cannot make roleplay read, and echo, /etc/passwd.
    """
    if within is not None and (real := _outside(path, within)) is not None:
        raise YamlProblem(1, 1, f"the file is a link to {real}, outside the library folder "
                                f"{within}; links may only point inside it (copy the file in instead)")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except IsADirectoryError:
        raise YamlProblem(1, 1, "cannot read the file: it is a folder, not a regular file") from None
    except OSError as exc:
        raise YamlProblem(1, 1, f"cannot read the file: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = next((name for test, name in _KIND_OF_NON_FILE if test(mode)), "something else")
            raise YamlProblem(1, 1, f"cannot read the file: it is {what}, not a regular file")
        chunks, size = [], 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, MAX_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise YamlProblem(1, 1, f"cannot read the file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if size > MAX_BYTES:
        raise YamlProblem(1, 1, f"the file is too large (more than {MAX_BYTES / 1e6:.0f} MB); "
                                f"the limit is {MAX_BYTES / 1e6:.0f} MB")
    return b"".join(chunks)


def read_file(path: Path, within: Path | None = None) -> Located:
    """Read and parse one file, raising YamlProblem with a position on failure.

    `within`: the library folder the file was found in (links out of it are refused).
    """
    return parse(decode(read_bytes(path, within)))


def parse(text: str, *, fast: bool = True) -> Located:
    """Parse YAML text into plain data with positions.

    `fast=False` skips the fast route (tests check that both give the same data).
    """
    if len(text) > MAX_BYTES:
        raise YamlProblem(1, 1, f"the text is too large; the limit is {MAX_BYTES / 1e6:.0f} MB")
    if _has_odd_characters(text):
        _check_characters(text)
    if _may_nest_deeply(text):
        _check_depth(text)
    if fast and _EventParser is not None:
        try:
            return Located(_fast_build(text), text)
        except _Unusual:
            pass  # the full route below finds what is unusual and says where
        except yaml.MarkedYAMLError as exc:
            raise _syntax_problem(text, exc) from None
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_problem(text, exc) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, 1, f"YAML syntax error: {exc}") from None
    if node is None:
        raise YamlProblem(1, 1, "the file is empty")
    located = Located(None, root=node)
    try:
        located.data = _Builder().build(node, 0)
    except _Fault as fault:
        mark = fault.node.start_mark
        line, col = mark.line + 1, mark.column + 1
        if fault.alias:
            # The composer has already put the anchor's node in the alias's place,
            # so the alias's own position is lost; its parent's is the closest.
            path = located.path_to(fault.parent) if fault.parent is not None else ()
            line, col = located.where(path)
        else:
            path = located.path_to(fault.node)
        raise YamlProblem(line, col, fault.message, path) from None
    return Located(located.data, text)


# Characters that look like a space or nothing in an editor but that YAML does not
# take as one, and the control characters YAML refuses outright.
_SPACES = "\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000"
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_ODD_CHAR = re.compile(f"[{_CONTROLS}{_SPACES}]")
_CONTROL = re.compile(f"[{_CONTROLS}]")
_ODD_SPACE = re.compile(f"[{_SPACES}]")
# Where a line's structure is: its indentation, a '- ', and a 'key:' with the space after it.
_STRUCTURE = re.compile(f"[ \\t{_SPACES}-]*(?:[^:#'\"{{}}\\[\\],]*?:(?:[ \\t{_SPACES}]|$))?")
_CHAR_NAMES = {
    0x00: "a NUL byte", 0x08: "a backspace character", 0x0B: "a vertical tab",
    0x0C: "a form feed", 0x1B: "an ESC control character", 0x7F: "a DEL control character",
    0x85: "a NEL control character", 0xA0: "a non-breaking space", 0x200B: "a zero-width space",
    0x202F: "a narrow non-breaking space", 0x3000: "an ideographic space",
}


_ASCII_PRINTABLE = bytes([9, 10, 13, *range(32, 127)])


def _has_odd_characters(text: str) -> bool:
    if text.isascii():  # most files: deleting the printable bytes leaves nothing
        return bool(text.encode("ascii").translate(None, _ASCII_PRINTABLE))
    return _ODD_CHAR.search(text) is not None


def char_name(ch: str) -> str:
    """'a non-breaking space (U+00A0)': what an invisible or control character is."""
    cp = ord(ch)
    default = "a control character" if _CONTROL.match(ch) else "an unusual space"
    return f"{_CHAR_NAMES.get(cp, default)} (U+{cp:04X})"


def _position(text: str, index: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def _check_characters(text: str) -> None:
    """Refuse control characters anywhere, and odd spaces where YAML needs a real one.

    An odd space inside a text value is harmless and kept; in the indentation or
    around a key's ':' it silently changes the structure, so it is named and located.
    """
    control = _CONTROL.search(text)
    if control is not None:
        line, col = _position(text, control.start())
        raise YamlProblem(line, col, f"{char_name(control.group())} is not allowed in the file; "
                                     "delete it (it is invisible in most editors)")
    for match in _ODD_SPACE.finditer(text):
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.start())
        structure = _STRUCTURE.match(text, start, len(text) if end < 0 else end)
        if structure is not None and match.start() < structure.end():
            line, col = _position(text, match.start())
            raise YamlProblem(line, col, f"{char_name(match.group())} where YAML needs a plain "
                                         "space; replace it with an ordinary space (word processors "
                                         "and web pages paste these)")


def _syntax_problem(text: str, exc: yaml.MarkedYAMLError) -> YamlProblem:
    """The parser's error, placed where the mistake is, in plain words."""
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    lines = text.split("\n")
    # A tab in the indentation of the line, or of the line above, is the usual cause.
    for n in (line, line - 1):
        if 1 <= n <= len(lines):
            indent = lines[n - 1][: len(lines[n - 1]) - len(lines[n - 1].lstrip(" \t-"))]
            if "\t" in indent:
                return YamlProblem(n, indent.index("\t") + 1,
                                   "a tab in the indentation: use spaces, not tabs, to indent")
    context = str(exc.context or "")
    if "quoted scalar" in context and exc.context_mark is not None:
        m = exc.context_mark
        return YamlProblem(m.line + 1, m.column + 1,
                           "the quote that opens here is never closed; close it on the same line")
    runaway = _runaway_quote(text, line)
    if runaway is not None:
        start, end = runaway
        return YamlProblem(start[0], start[1],
                           f"the quote that opens here is not closed on its line, so it runs on "
                           f"to line {end}; close it on the same line (or use '|' for text on "
                           "several lines)")
    return YamlProblem(line, col, f"YAML syntax error: {_plain_syntax(exc)}")


_KEY_LINE = re.compile(r"\n[ \t]*-?[ \t]*[\w-]+:(?:[ \t]|\n|$)")


def _runaway_quote(text: str, error_line: int) -> tuple[tuple[int, int], int] | None:
    """A quoted text that swallowed the lines up to the error (its closing quote is missing)."""
    try:
        for token in yaml.scan(text, Loader=_Loader):
            if token.start_mark.line + 1 > error_line:
                break
            if (isinstance(token, yaml.ScalarToken) and token.style in ('"', "'")
                    and token.start_mark.line != token.end_mark.line
                    and token.end_mark.line + 1 >= error_line - 1):
                raw = text[token.start_mark.index:token.end_mark.index]
                if _KEY_LINE.search(raw):
                    start = token.start_mark
                    return (start.line + 1, start.column + 1), token.end_mark.line + 1
    except yaml.YAMLError:
        return None
    return None


_SYNTAX_HINTS = [
    ("mapping values are not allowed", "a ':' where none can be; check the indentation, "
     "or put text that contains ': ' in quotes"),
    ("did not find expected '-' indicator", "expected another '- ' entry at the same indentation "
     "as the ones above"),
    ("did not find expected key", "this line is not indented like the lines of its block"),
    ("could not find expected ':'", "expected 'name: value'; a ':' is missing or a quote is not closed"),
    ("that cannot start any token", "this character cannot start a value here "
     "(a tab? indent with spaces; a '@' or '`'? put the text in quotes)"),
    ("found unexpected end of stream", "the file ends inside a quote or bracket that was never closed"),
    ("did not find expected ',' or ']'", "a list in [ ] is not closed, or an entry lacks its ','"),
    ("did not find expected ',' or '}'", "a block in { } is not closed, or an entry lacks its ','"),
    ("found undefined alias", "anchors and aliases (& and *) are not supported"),
    ("expected a single document", "the file holds more than one document ('---'); "
     "keep one scenario, rubric or persona per file"),
]


def _plain_syntax(exc: yaml.MarkedYAMLError) -> str:
    raw = " ".join(x for x in (exc.context, exc.problem) if x) or "the YAML is not valid"
    for needle, plain in _SYNTAX_HINTS:
        if needle in raw:
            return f"{plain} (the parser says: {raw})"
    return raw


def _compose(text: str) -> yaml.Node | None:
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()



def _short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


_DEEP_LINE = "\n" + " " * MAX_DEPTH


def _may_nest_deeply(text: str) -> bool:
    # libyaml's composer recurses in C and crashes the process on deep nesting,
    # so anything that could nest deeply is measured first. Depth is bounded
    # by the bracket count plus the widest indentation, both cheap to find.
    if text.count("[") + text.count("{") >= MAX_DEPTH // 2:
        return True
    # A line indented MAX_DEPTH characters (spaces, tabs or '-'): plain substring
    # searches, ten times cheaper than a regular expression over every line.
    flat = "\n" + text.replace("\t", " ").replace("-", " ")
    return _DEEP_LINE in flat


def _check_depth(text: str) -> None:
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    m = event.start_mark
                    raise YamlProblem(
                        m.line + 1, m.column + 1,
                        f"the data is nested more than {MAX_DEPTH} levels deep",
                    )
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        # PyYAML 6.0.3+ caps nesting itself; say it in our words, at its position.
        if "nesting depth" in str(exc.problem or ""):
            m = exc.problem_mark or exc.context_mark
            raise YamlProblem(
                (m.line + 1) if m else 1, (m.column + 1) if m else 1,
                f"the data is nested more than {MAX_DEPTH} levels deep",
            ) from None
        return  # the real parse reports the syntax error with its position


class _Fault(Exception):
    def __init__(self, node: yaml.Node, message: str, *, parent: yaml.Node | None = None,
                 alias: bool = False):
        super().__init__(message)
        self.node, self.message, self.parent, self.alias = node, message, parent, alias


class _Builder:
    """Nodes to plain data, refusing anything that is not plain data. Kept lean: it runs on every file."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.scalars = _Loader("")

    def build(self, node: yaml.Node, depth: int, parent: yaml.Node | None = None) -> Any:
        if id(node) in self.seen:
            raise _Fault(node, "anchors and aliases (& and *) are not supported; "
                         "write the value out in full", parent=parent, alias=True)
        self.seen.add(id(node))
        cls = node.__class__
        if cls is yaml.ScalarNode:
            return node.value if node.tag == _STR else self._scalar(node)
        if depth >= MAX_DEPTH:
            raise _Fault(node, f"the data is nested more than {MAX_DEPTH} levels deep")
        if cls is yaml.MappingNode:
            if node.tag != _MAP:
                raise _Fault(node, _bad_tag(node.tag))
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.__class__ is not yaml.ScalarNode:
                    raise _Fault(key_node, "a key must be a plain word, not a list or block")
                if key_node.tag.endswith(":merge"):
                    raise _Fault(key_node, "merge keys (<<) are not supported; write the values out")
                key = key_node.value if key_node.tag == _STR else self._scalar(key_node)
                if key is None or key == "":
                    raise _Fault(key_node, "a key cannot be empty")
                if key in out:
                    first = next(k for k, _ in node.value if k.value == key_node.value)
                    raise _Fault(key_node, f"'{key}' appears twice in the same block "
                                 f"(first on line {first.start_mark.line + 1})")
                out[key] = self.build(value_node, depth + 1, node)
            return out
        if node.tag != _SEQ:
            raise _Fault(node, _bad_tag(node.tag))
        return [self.build(item, depth + 1, node) for item in node.value]

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag not in _PLAIN_TAGS:
            raise _Fault(node, _bad_tag(node.tag))
        if node.tag in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_CHARS:
            raise _Fault(node, f"number too long ({len(node.value):,} characters; at most "
                         f"{MAX_NUMBER_CHARS}); put it in quotes if it is meant as text")
        try:
            value = self.scalars.construct_object(node)
        except (ValueError, OverflowError):
            raise _Fault(node, "not a number roleplay can read; put it in quotes "
                         "if it is meant as text") from None
        if isinstance(value, (_dt.date, _dt.datetime)):
            return node.value  # a date in a text field is meant as text
        return value


def _bad_tag(tag: str) -> str:
    return (f"the tag {_short_tag(tag)} is not allowed; "
            "only plain text, numbers, lists and blocks are")


# --- The fast route: plain data straight from libyaml's events ------------------------------
#
# Most files are ordinary: no tags, anchors, odd keys or huge numbers. For them the data
# is built straight from the parser's events, without a tree of nodes and without
# resolving every quoted text (the slow part of yaml.compose). Anything unusual stops it
# (_Unusual) and the file goes the full route above, which says what and where.

class _Unusual(Exception):
    pass


_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers
_NO_RESOLVERS: list[Any] = []
_SCALAR_EVENT = yaml.ScalarEvent
_MAP_START, _MAP_END = yaml.MappingStartEvent, yaml.MappingEndEvent
_SEQ_START, _SEQ_END = yaml.SequenceStartEvent, yaml.SequenceEndEvent
_CONSTRUCTOR = yaml.SafeLoader("")


def _fast_build(text: str) -> Any:
    parser = _EventParser(text)
    get = parser.get_event
    get()  # stream start
    event = get()
    if event.__class__ is yaml.StreamEndEvent:
        raise _Unusual  # an empty file: the full route words it
    data = _fast_value(get, get(), 0)
    get()  # document end
    if get().__class__ is not yaml.StreamEndEvent:
        raise _Unusual  # a second document
    return data


_PLAIN: dict[str, Any] = {}
"""Plain (unquoted) scalars already resolved: keys and small values repeat across files.
Only immutable results are kept (text, numbers, true/false/null)."""
_PLAIN_MAX = 20_000


def _fast_scalar(event: Any) -> Any:
    if event.anchor is not None or event.tag is not None:
        raise _Unusual
    value = event.value
    if not event.implicit[0]:
        return value  # quoted or a block: text
    try:
        return _PLAIN[value]
    except KeyError:
        pass
    result = _resolve_plain(value)
    if len(value) <= 64 and len(_PLAIN) < _PLAIN_MAX:
        _PLAIN[value] = result
    return result


def _resolve_plain(value: str) -> Any:
    for tag, regexp in _RESOLVERS.get(value[0] if value else "", _NO_RESOLVERS):
        if regexp.match(value):
            break
    else:
        return value
    if tag in _NUMBER_TAGS and len(value) > MAX_NUMBER_CHARS:
        raise _Unusual
    if tag.endswith((":timestamp", ":str")):
        return value  # a date in a text field is meant as text
    if tag not in _PLAIN_TAGS:
        raise _Unusual  # a merge key, say
    try:
        # The tag's own constructor, not construct_object: that one keeps every node it saw.
        return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, yaml.ScalarNode(tag, value))
    except (ValueError, OverflowError):
        raise _Unusual from None


def _fast_value(get: Any, event: Any, depth: int) -> Any:
    # Hot loop (every event of every file): quoted text, the common case, is inlined.
    cls = event.__class__
    if cls is _SCALAR_EVENT:
        if event.implicit[0] or event.anchor is not None or event.tag is not None:
            return _fast_scalar(event)
        return event.value
    if depth >= MAX_DEPTH or event.anchor is not None or event.tag is not None:
        raise _Unusual
    depth += 1
    if cls is _MAP_START:
        out: dict[Any, Any] = {}
        while True:
            event = get()
            cls = event.__class__
            if cls is _MAP_END:
                return out
            if cls is not _SCALAR_EVENT:
                raise _Unusual  # a list or block as a key
            key = _fast_scalar(event)
            if key is None or key == "" or key in out:
                raise _Unusual
            event = get()
            if event.__class__ is _SCALAR_EVENT and not event.implicit[0] \
                    and event.anchor is None and event.tag is None:
                out[key] = event.value
            else:
                out[key] = _fast_value(get, event, depth)
    if cls is _SEQ_START:
        items = []
        append = items.append
        while True:
            event = get()
            cls = event.__class__
            if cls is _SEQ_END:
                return items
            if cls is _SCALAR_EVENT and not event.implicit[0] \
                    and event.anchor is None and event.tag is None:
                append(event.value)
            else:
                append(_fast_value(get, event, depth))
    raise _Unusual  # an alias
