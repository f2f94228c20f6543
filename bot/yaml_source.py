"""YAML to plain data that remembers where every value came from.

PyYAML's `safe_load` throws line numbers away and silently keeps the last of two duplicate keys.
Authors need both: an error must point at the line to fix, and a doubled key is a mistake.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

Path = tuple[object, ...]


@dataclass(frozen=True)
class Located:
    """Plain data plus the (line, column) of every path inside it, both 1-based."""

    data: object
    marks: dict[Path, tuple[int, int]]

    def where(self, path: Path) -> tuple[int, int]:
        """The position of `path`, or of its nearest ancestor that has one."""
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks.get(path, (1, 1))


class YamlProblem(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def parse(text: str) -> Located:
    """Parse one YAML document; raise YamlProblem for syntax errors and duplicate keys."""
    try:
        root = yaml.compose(text, Loader=FAST_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlProblem(f"YAML syntax: {exc.problem or exc.context}", line, column) from None
    except yaml.YAMLError as exc:  # pragma: no cover - composer errors are all marked
        raise YamlProblem(f"YAML syntax: {exc}", 1, 1) from None
    marks: dict[Path, tuple[int, int]] = {}
    data = _convert(root, (), marks) if root is not None else None
    return Located(data, marks)


_scalar_constructor = yaml.SafeLoader("")
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it


def _convert(node: yaml.Node, path: Path, marks: dict[Path, tuple[int, int]]) -> object:
    marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[object, object] = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, (*path, "<key>"), {})
            if not isinstance(key, (str, int, bool)) or key is None:
                raise YamlProblem("a mapping key must be a plain word", *_pos(key_node))
            if key in result:
                raise YamlProblem(f"duplicate key '{key}': remove one of the two", *_pos(key_node))
            marks[(*path, key, "<key>")] = _pos(key_node)
            result[key] = _convert(value_node, (*path, key), marks)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, index), marks) for index, item in enumerate(node.value)]
    return _scalar_constructor.construct_object(node, deep=True)


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1
