"""Safe YAML reading that remembers where every value came from.

Managers write these files by hand and colleagues pass them around, so the
text is untrusted: only plain data tags are accepted (no objects built from
tags), anchors and aliases are refused (which also rules out alias bombs),
and nesting and size are capped before the parser can be hurt by them.
Every value's line and column is kept, so a later error can point at it.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml is about ten times faster; the pure-Python parser is the fallback.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - wheels ship libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = 1_000_000
MAX_DEPTH = 40

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
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


@dataclass
class Located:
    """Plain data from a YAML file, with the position of every value and key."""

    data: Any
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """The position of `path`, or of the nearest enclosing value that exists."""
        if key and path in self.keys:
            return self.keys[path]
        p = tuple(path)
        while p:
            if p in self.values:
                return self.values[p]
            p = p[:-1]
        return self.values.get((), (1, 1))


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


def read_file(path: Path) -> Located:
    """Read and parse one file, raising YamlProblem with a position on failure."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise YamlProblem(
                1, 1, f"the file is too large ({size / 1e6:.1f} MB); "
                f"the limit is {MAX_BYTES / 1e6:.0f} MB"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlProblem(1, 1, f"cannot read the file: {exc.strerror or exc}") from None
    return parse(decode(raw))


def parse(text: str) -> Located:
    """Parse YAML text into plain data with positions."""
    if len(text) > MAX_BYTES:
        raise YamlProblem(1, 1, f"the text is too large; the limit is {MAX_BYTES / 1e6:.0f} MB")
    if _may_nest_deeply(text):
        _check_depth(text)
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or "the YAML is not valid"
        if exc.context:
            what = f"{exc.context}, {what}"
        raise YamlProblem(line, col, f"YAML syntax error: {what}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, 1, f"YAML syntax error: {exc}") from None
    located = Located(data=None)
    if node is None:
        raise YamlProblem(1, 1, "the file is empty")
    located.data = _Builder(located).build(node, (), 0)
    return located


def _short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _may_nest_deeply(text: str) -> bool:
    # libyaml's composer recurses in C and crashes the process on deep nesting,
    # so anything that could nest deeply is measured first. Depth is bounded
    # by the bracket count plus the widest indentation, both cheap to find.
    if text.count("[") + text.count("{") >= MAX_DEPTH // 2:
        return True
    widest = max((len(ln) - len(ln.lstrip(" -\t")) for ln in text.splitlines()), default=0)
    return widest >= MAX_DEPTH


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
    except yaml.MarkedYAMLError:
        return  # the real parse reports the syntax error with its position


class _Builder:
    def __init__(self, located: Located):
        self.located = located
        self.seen: set[int] = set()
        self.scalars = _Loader("")

    def build(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        mark = node.start_mark
        pos = (mark.line + 1, mark.column + 1)
        if id(node) in self.seen:
            raise YamlProblem(*pos, "anchors and aliases (& and *) are not supported; "
                              "write the value out in full", path)
        self.seen.add(id(node))
        if depth > MAX_DEPTH:
            raise YamlProblem(*pos, f"the data is nested more than {MAX_DEPTH} levels deep", path)
        self.located.values[path] = pos
        if isinstance(node, yaml.MappingNode):
            self._expect(node, _MAP, pos, path)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    km = key_node.start_mark
                    raise YamlProblem(km.line + 1, km.column + 1,
                                      "a key must be a plain word, not a list or mapping", path)
                key = self._scalar(key_node, path)
                if key == "<<":
                    km = key_node.start_mark
                    raise YamlProblem(km.line + 1, km.column + 1,
                                      "merge keys (<<) are not supported; write the values out",
                                      path)
                km = key_node.start_mark
                if isinstance(key, (dict, list)) or key is None:
                    raise YamlProblem(km.line + 1, km.column + 1, "a key cannot be empty", path)
                if key in out:
                    first = self.located.keys[path + (key,)]
                    raise YamlProblem(km.line + 1, km.column + 1,
                                      f"'{key}' appears twice in the same block "
                                      f"(first on line {first[0]})", path + (key,))
                self.located.keys[path + (key,)] = (km.line + 1, km.column + 1)
                out[key] = self.build(value_node, path + (key,), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            self._expect(node, _SEQ, pos, path)
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _expect(self, node: yaml.Node, tag: str, pos: tuple[int, int], path: Path_) -> None:
        if node.tag != tag:
            raise YamlProblem(*pos, f"the tag {_short_tag(node.tag)} is not allowed; only plain text, numbers, lists and blocks are", path)

    def _scalar(self, node: yaml.Node, path: Path_) -> Any:
        if node.tag not in _PLAIN_TAGS:
            m = node.start_mark
            raise YamlProblem(m.line + 1, m.column + 1,
                              f"the tag {_short_tag(node.tag)} is not allowed; only plain text, numbers, lists and blocks are", path)
        value = self.scalars.construct_object(node)
        if isinstance(value, (_dt.date, _dt.datetime)):
            return node.value  # a date in a text field is meant as text
        return value
