"""YAML to plain data that remembers where every value came from.

PyYAML's `safe_load` throws line numbers away and silently keeps the last of two duplicate keys.
Authors need both: an error must point at the line to fix, and a doubled key is a mistake.

A dialog of ten thousand nodes has hundreds of thousands of values, yet only a few positions are
ever asked for (one per node, and one per problem). So positions are not copied out up front:
`Located` keeps the composed YAML tree and finds a position by walking it when asked. The tree
lives only as long as the `Located` (the loader drops it once the dialog is built).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, SequenceNode

Path = tuple[object, ...]

KEY = "<key>"  # a path step meaning: the mapping key itself, not its value
_STR_TAG = "tag:yaml.org,2002:str"
FAST_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it


@dataclass(frozen=True)
class Located:
    """Plain data plus the (line, column) of every path inside it, both 1-based.

    `where` answers exactly as a table of every path's position would: a path that is not in the
    document falls back to its nearest ancestor that is.
    """

    data: object
    root: yaml.Node | None = None
    _scalars: yaml.SafeLoader = field(default_factory=lambda: yaml.SafeLoader(""), repr=False, compare=False)
    _keys: dict[int, dict[object, tuple[yaml.Node, yaml.Node]]] = field(default_factory=dict, repr=False, compare=False)

    def where(self, path: Path) -> tuple[int, int]:
        """The position of `path`, or of its nearest ancestor that has one."""
        node = self.root
        if node is None:
            return (1, 1)
        index, length = 0, len(path)
        while index < length:
            step = path[index]
            if isinstance(node, MappingNode):
                entry = self._mapping(node).get(step)  # type: ignore[arg-type]
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
            found = self._keys[id(node)] = {_convert(k, self._scalars): (k, v) for k, v in node.value}  # type: ignore[misc]
        return found


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
    # a constructor of its own per parse: PyYAML's remembers every node it ever built, so a
    # shared one would keep each file's whole YAML tree alive (and rescanned by the GC) for good
    scalars = yaml.SafeLoader("")
    data = _convert(root, scalars) if root is not None else None
    return Located(data, root, scalars)


def _convert(node: yaml.Node, scalars: yaml.SafeLoader) -> object:
    if isinstance(node, MappingNode):
        result: dict[object, object] = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, scalars)
            if not isinstance(key, (str, int, bool)) or key is None:
                raise YamlProblem("a mapping key must be a plain word", *_pos(key_node))
            if key in result:
                raise YamlProblem(f"duplicate key '{key}': remove one of the two", *_pos(key_node))
            result[key] = _convert(value_node, scalars)
        return result
    if isinstance(node, SequenceNode):
        return [_convert(item, scalars) for item in node.value]
    if node.tag == _STR_TAG:
        return node.value  # what PyYAML's str constructor returns, without its bookkeeping
    try:
        return scalars.construct_object(node, deep=True)
    finally:
        scalars.constructed_objects.clear()  # it would otherwise keep every node it built alive


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1
