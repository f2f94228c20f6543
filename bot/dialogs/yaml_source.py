"""YAML to plain data that remembers where every value came from, read safely.

PyYAML's `safe_load` throws line numbers away and silently keeps the last of two duplicate keys.
Authors need both: an error must point at the line to fix, and a doubled key is a mistake.

A dialog file is also untrusted input (it may come from anyone's pull request), so this is the one
place a dialog's bytes become data, and it reads them under limits. Nothing a file says can hang
the reader, exhaust memory or end in a traceback: every refusal is a `YamlProblem` with a line and
column. The reader takes PyYAML's parser events (libyaml's when PyYAML has it) and builds the tree
itself, in one pass with an explicit stack, refusing as it goes:

- anchors and aliases (`&a`, `*a`): a dialog repeats text instead; this rules out "billion laughs"
  alias bombs and self-referencing trees outright, with no expansion to bound;
- tags (`!foo`, `!!python/name:...`), except `!!str`, and merge keys (`<<:`);
- more than one document; nesting deeper than `MAX_DEPTH`; more than `MAX_NODES` values;
  files larger than `MAX_BYTES`; numbers longer than `MAX_NUMBER_CHARS`;
- bytes that are not UTF-8, and characters YAML does not allow (NUL and other control
  characters), at their real position.

A dialog of ten thousand nodes has hundreds of thousands of values, yet only a few positions are
ever asked for (one per node, and one per problem). So positions are not copied out up front:
`Located` keeps the YAML tree and finds a position by walking it when asked. The tree lives only as
long as the `Located` (the loader drops it once the dialog is built).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

Path = tuple[object, ...]

KEY = "<key>"  # a path step meaning: the mapping key itself, not its value
# libyaml when PyYAML was built with it
FAST_LOADER: type[yaml.CSafeLoader] | type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Limits, each far above what a real dialog needs: the 10,000-node benchmark dialog
# (bench/dialog_gen.py) is 4.1 MB, about 390,000 values, and nests 9 levels deep.
MAX_BYTES = 8 * 1024 * 1024
MAX_NODES = 1_000_000
MAX_DEPTH = 64
MAX_NUMBER_CHARS = 32  # a score, a threshold, a length: never more than a few digits

_YAML = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _MERGE = _YAML + "str", _YAML + "int", _YAML + "float", _YAML + "merge"
_BUILD = SafeConstructor()  # its scalar constructors keep no state between calls
_SCALARS = {
    _INT: (_BUILD.construct_yaml_int, "a whole number"),
    _FLOAT: (_BUILD.construct_yaml_float, "a number"),
    _YAML + "bool": (_BUILD.construct_yaml_bool, "true or false"),
    _YAML + "null": (_BUILD.construct_yaml_null, "empty"),
    _YAML + "timestamp": (_BUILD.construct_yaml_timestamp, "a date"),
}
# The first characters a plain scalar needs to be anything but text (a bool, a number, null...)
_RESOLVABLE: frozenset[str] | None = (
    None if None in FAST_LOADER.yaml_implicit_resolvers else frozenset(FAST_LOADER.yaml_implicit_resolvers)
)
# What YAML 1.1 allows in a stream (its "printable" set); anything else is refused where it stands.
_NOT_ALLOWED = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


@dataclass(frozen=True)
class Located:
    """Plain data plus the (line, column) of every path inside it, both 1-based.

    `where` answers exactly as a table of every path's position would: a path that is not in the
    document falls back to its nearest ancestor that is.
    """

    data: object
    root: yaml.Node | None = None
    _keys: dict[int, dict[object, tuple[yaml.Node, yaml.Node]]] = field(default_factory=dict, repr=False, compare=False)

    def where(self, path: Path) -> tuple[int, int]:
        """The position of `path`, or of its nearest ancestor that has one."""
        if self.root is None:
            return (1, 1)
        node: yaml.Node = self.root
        index, length = 0, len(path)
        while index < length:
            step = path[index]
            if isinstance(node, MappingNode):
                entry = self._mapping(node).get(step)
                if entry is None:
                    break
                key_node, value_node = entry
                if index + 1 < length and path[index + 1] == KEY and not (
                    isinstance(value_node, MappingNode) and KEY in self._mapping(value_node)
                ):
                    # the key's own position; nothing lies below it (a mapping value that itself
                    # has a key spelled '<key>' is the one exception, and is walked into instead)
                    return _pos(key_node)
                node = value_node
            elif isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
                node = node.value[step]
            else:
                break
            index += 1
        return _pos(node)

    def _mapping(self, node: MappingNode) -> dict[object, tuple[yaml.Node, yaml.Node]]:
        """A mapping node's keys, as plain data, to its (key, value) nodes; built once, when first asked."""
        found = self._keys.get(id(node))
        if found is None:
            # every key was read once already, while parsing (which refused any that cannot be)
            found = self._keys[id(node)] = {_scalar(k): (k, v) for k, v in node.value}
        return found


class YamlProblem(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def decode(data: bytes) -> str:
    """A file's bytes as text: UTF-8 (a UTF-8 byte order mark is dropped), at most `MAX_BYTES`."""
    if len(data) > MAX_BYTES:
        raise YamlProblem(too_big(len(data)), 1, 1)
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise YamlProblem(f"the file is {name}; save it as UTF-8", 1, 1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[start : exc.start].decode("utf-8", errors="replace")) + 1
        raise YamlProblem(f"not UTF-8: byte 0x{data[exc.start]:02x} cannot be read; save the file as UTF-8", line, column) from None
    return text[1:] if text.startswith("\ufeff") else text


def parse(text: str) -> Located:
    """Parse one YAML document; raise YamlProblem for syntax errors, duplicate keys and broken limits."""
    if len(text) > MAX_BYTES:
        raise YamlProblem(too_big(len(text.encode("utf-8", errors="replace"))), 1, 1)
    bad = _NOT_ALLOWED.search(text)
    if bad is not None:
        char = bad.group()
        hint = " (is the file UTF-16? save it as UTF-8)" if char == "\0" else ""
        raise YamlProblem(
            f"character U+{ord(char):04X} is not allowed in a YAML file: delete it{hint}", *_text_position(text, bad.start())
        )
    loader = FAST_LOADER(text)
    try:
        root, data = _compose(loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlProblem(f"YAML syntax: {exc.problem or exc.context}", line, column) from None
    except yaml.reader.ReaderError as exc:  # the characters were checked above; kept as a backstop
        raise YamlProblem(f"YAML: {exc.reason}", 1, 1) from None
    except yaml.YAMLError as exc:  # pragma: no cover - parser errors are all marked
        raise YamlProblem(f"YAML syntax: {exc}", 1, 1) from None
    finally:
        dispose = getattr(loader, "dispose", None)
        if dispose is not None:
            dispose()
    return Located(data, root)


class _Events(Protocol):
    """What `_compose` needs of a loader: PyYAML's `SafeLoader` and libyaml's `CSafeLoader` both have it."""

    def get_event(self) -> yaml.Event | None: ...

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str: ...


def _compose(loader: _Events) -> tuple[yaml.Node | None, object]:
    """The document's tree and its plain data, built together from the parser's events.

    Iterative (a stack of open collections, never recursion), so nesting can only meet the depth
    limit, never Python's recursion limit or the C stack.
    """
    get_event = loader.get_event
    resolve = loader.resolve
    # an open collection: [node, data, is_mapping, pending key node, pending key]
    stack: list[list[Any]] = []
    root: yaml.Node | None = None
    data: object = None
    documents = 0
    count = 0
    node: yaml.Node
    value: object
    while True:
        event = get_event()
        if isinstance(event, ScalarEvent):
            count += 1
            if event.anchor is not None:
                _refuse_anchor(event)
            tag, text = event.tag, event.value
            if tag is None:
                # most values are text that no implicit type could match: skip the resolver for them
                if event.implicit[0] and (_RESOLVABLE is None or text[:1] in _RESOLVABLE):
                    tag = resolve(ScalarNode, text, event.implicit)
                else:
                    tag = _STR
            elif tag != _STR:
                _refuse_tag(tag, event)
            # The three `type: ignore[arg-type]` here and below: types-PyYAML lets a Node hold only
            # yaml.error.Mark positions, but libyaml's parser (CSafeLoader) marks its events, and so
            # the nodes built from them, with yaml._yaml.Mark (the same line and column fields).
            node = ScalarNode(tag, text, event.start_mark, event.end_mark, event.style)  # type: ignore[arg-type]
            value = _scalar(node) if tag != _STR else text
        elif isinstance(event, (MappingStartEvent, SequenceStartEvent)):
            count += 1
            if event.anchor is not None:
                _refuse_anchor(event)
            if event.tag is not None:
                _refuse_tag(event.tag, event)
            if len(stack) >= MAX_DEPTH:
                raise YamlProblem(f"nested more than {MAX_DEPTH} levels deep; a dialog never needs that many", *_pos(event))
            if count > MAX_NODES:
                raise YamlProblem(_too_many(), *_pos(event))
            if isinstance(event, MappingStartEvent):
                stack.append([MappingNode(_YAML + "map", [], event.start_mark, None, event.flow_style), {}, True, None, None])  # type: ignore[arg-type]
            else:
                stack.append([SequenceNode(_YAML + "seq", [], event.start_mark, None, event.flow_style), [], False, None, None])  # type: ignore[arg-type]
            continue
        elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            node, value = stack.pop()[:2]
            node.end_mark = event.end_mark
        elif isinstance(event, AliasEvent):
            raise YamlProblem(
                f"alias '*{event.anchor}' is not allowed: anchors and aliases are not used in dialog files; repeat the text",
                *_pos(event),
            )
        elif isinstance(event, DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise YamlProblem("a second YAML document: a dialog file holds one; remove this '---' and what follows", *_pos(event))
            continue
        elif isinstance(event, StreamEndEvent):
            return root, data
        else:  # the stream's start and a document's end carry nothing
            continue
        if count > MAX_NODES:
            raise YamlProblem(_too_many(), *_pos(node))
        if not stack:
            root, data = node, value
            continue
        top = stack[-1]
        if not top[2]:
            top[0].value.append(node)
            top[1].append(value)
        elif top[3] is None:  # a mapping's key
            if node.tag == _MERGE and type(node) is ScalarNode:
                raise YamlProblem("merge keys ('<<:') are not allowed in dialog files; write the keys out", *_pos(node))
            if not isinstance(value, (str, int, bool)) or value is None:
                raise YamlProblem("a mapping key must be a plain word", *_pos(node))
            if value in top[1]:
                raise YamlProblem(f"duplicate key '{value}': remove one of the two", *_pos(node))
            top[3], top[4] = node, value
        else:  # a mapping's value
            top[0].value.append((top[3], node))
            top[1][top[4]] = value
            top[3] = top[4] = None


def _scalar(node: ScalarNode) -> object:
    """A scalar's plain value; any value that cannot be read is a problem at its position."""
    tag = node.tag
    if tag == _STR:
        return node.value
    found = _SCALARS.get(tag)
    if found is None:
        return node.value  # the other implicit tags ('<<' outside a key, '='): plain text
    construct, what = found
    if (tag == _INT or tag == _FLOAT) and len(node.value) > MAX_NUMBER_CHARS:
        raise YamlProblem(
            f"a number of {len(node.value):,} characters; numbers in a dialog have at most {MAX_NUMBER_CHARS}"
            " (quote it if it is text)",
            *_pos(node),
        )
    try:
        return construct(node)
    except (ValueError, OverflowError, ArithmeticError, yaml.YAMLError) as exc:
        raise YamlProblem(f"cannot read '{_short(node.value)}' as {what} ({exc}); quote it if it is text", *_pos(node)) from None


def _refuse_anchor(event: NodeEvent) -> None:
    raise YamlProblem(
        f"anchor '&{event.anchor}' is not allowed: anchors and aliases are not used in dialog files; repeat the text",
        *_pos(event),
    )


def _refuse_tag(tag: str, event: yaml.Event) -> None:
    shown = "!!" + tag[len(_YAML) :] if tag.startswith(_YAML) else tag
    raise YamlProblem(f"tag '{_short(shown)}' is not allowed in dialog files; write plain text (quote it if needed)", *_pos(event))


def too_big(size: int) -> str:
    return f"the file is {size:,} bytes; a dialog file may be at most {MAX_BYTES:,} (8 MiB): split it into several dialogs"


def _too_many() -> str:
    return f"more than {MAX_NODES:,} values in one file: split it into several dialogs"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _text_position(text: str, index: int) -> tuple[int, int]:
    return text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)


def _pos(item: yaml.Node | yaml.Event) -> tuple[int, int]:
    mark = item.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
