"""Read YAML as docker CLI 28 does (yaml.v3, YAML 1.2 core) and remember where every value was.

libyaml (through PyYAML's C composer) builds the node graph with marks; the values are built here
with YAML 1.2 resolution, because PyYAML's own constructor follows YAML 1.1 (`yes` -> True,
`0o440` -> "0o440"). Aliases are expanded while building, so their total size is counted and a
document that blows up ("billion laughs") is refused before it eats the machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from composeswarm.errors import InputError, Issue, Path
from composeswarm.load.aliases import MAX_ALIAS_NODES, Recursive, TooBig, refuse_bombs
from composeswarm.load.model import Position

# Upper bound on nesting (libyaml stops at 1000, yaml.v3 at 10000). Every later stage walks the tree
# recursively, a few Python frames per level; real stack files stay under 10 levels.
MAX_DEPTH = 100
# Upper bound on keys and list items built (aliases expanded): the time and memory of every later
# stage grow with it (config prints 100 000 items in 3 s). The 500-service benchmark
# file has 20 500; the largest corpus file 500.
MAX_ITEMS = 100_000

_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


class _Loader(yaml.CSafeLoader):
    """libyaml parser + composer, with YAML 1.2 core implicit tags (as yaml.v3 resolves them)."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        """Resolver.resolve without path resolvers (unused here): called for every node, so kept lean."""
        if kind is ScalarNode:
            if implicit[0] and value is not None:
                for tag, regexp in _IMPLICIT.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return _STR
        return _SEQ if kind is SequenceNode else _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """Path resolvers are not used; skip PyYAML's per-node bookkeeping."""

    def ascend_resolver(self) -> None:
        """Path resolvers are not used."""


_Loader.add_implicit_resolver(_NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
# Go's strconv.ParseInt(s, 0, 64): 0x hex, 0o / leading-0 octal, 0b binary, `_` between digits.
_Loader.add_implicit_resolver(
    _INT,
    re.compile(
        r"^[-+]?(?:0[xX]_?[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*|0[oO]_?[0-7]+(?:_[0-7]+)*"
        r"|0[bB]_?[01]+(?:_[01]+)*|0_?[0-7]+(?:_[0-7]+)*|0|[1-9][0-9]*(?:_[0-9]+)*)$"
    ),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)
_Loader.add_implicit_resolver(_MERGE, re.compile(r"^<<$"), ["<"])

# tag, pattern, first characters: what yaml.v3 reads as something other than a string (for writers
# that must quote such strings, e.g. `config`'s YAML output)
YAML12_IMPLICIT = [
    (tag, regexp, [first for first, pairs in _Loader.yaml_implicit_resolvers.items() if (tag, regexp) in pairs])
    for tag, regexp in {pair for pairs in _Loader.yaml_implicit_resolvers.values() for pair in pairs}
    if tag != _MERGE
]

_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_IMPLICIT = {first: list(pairs) for first, pairs in _Loader.yaml_implicit_resolvers.items()}




@dataclass(frozen=True, slots=True)
class Document:
    """One parsed file: its values and the position of every key path in it."""

    file: str
    data: Any
    positions: dict[Path, Position]
    warnings: list[Issue] = field(default_factory=list)


def _to_int(text: str) -> int:
    """Go base-0 integer syntax to int (`0440` is octal, as in yaml.v3)."""
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-").replace("_", "")
    if len(body) > 1 and body[0] == "0" and body[1] in "01234567":
        return sign * int(body[1:], 8)
    return sign * int(body, 0)


def _to_float(text: str) -> float:
    """YAML 1.2 float text to float."""
    low = text.lower()
    if low.endswith("inf"):
        return float("-inf") if low.startswith("-") else float("inf")
    if low == ".nan":
        return float("nan")
    return float(text)


# A Position made without its named tuple's Python-level __new__: the builder makes one per node.
_position = tuple.__new__


class _Builder:
    """Turns a node graph into Python values while recording positions."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.positions: dict[Path, Position] = {}
        self.issues: list[Issue] = []
        self.seen: set[int] = set()
        self.sizes: dict[int, int] = {}
        self.alias_nodes = 0
        self.in_alias = False
        self.items = 0

    def issue(self, node: Node, path: Path, message: str) -> None:
        mark = node.start_mark
        self.issues.append(Issue(self.file, mark.line + 1, mark.column + 1, path, message))

    def build(self, node: Node, path: Path) -> Any:
        cls = node.__class__
        if cls is ScalarNode:
            # plain strings are most nodes: return them without a call
            return node.value if node.tag == _STR else self.scalar(node, path)  # type: ignore[arg-type]
        if len(path) >= MAX_DEPTH:
            raise _TooLarge(node, path, f"nested more than {MAX_DEPTH} levels deep; refusing the document")
        key = id(node)
        if key in self.seen and not self.in_alias:
            # A second visit is an alias: charge its whole expansion (nested aliases included)
            # against the bound before building any of it.
            # (refuse_bombs measured every node reached twice: a document with an alias has a `*`)
            self.alias_nodes += self.sizes[key]
            if self.alias_nodes > MAX_ALIAS_NODES:
                raise TooBig(node, path)
            self.in_alias = True
            try:
                return self.build(node, path)
            finally:
                self.in_alias = False
        self.seen.add(key)
        self.items += len(node.value)
        if self.items > MAX_ITEMS:
            raise _TooLarge(node, path, f"more than {MAX_ITEMS} keys and list items; refusing the document")
        if cls is SequenceNode:
            out: list[Any] = []
            positions, file, build = self.positions, self.file, self.build
            for i, child in enumerate(node.value):
                mark = child.start_mark
                sub = path + (i,)
                positions[sub] = _position(Position, (file, mark.line + 1, mark.column + 1))
                # a plain string (most items) is taken here, without a call
                out.append(child.value if child.__class__ is ScalarNode and child.tag == _STR else build(child, sub))
            return out
        assert isinstance(node, MappingNode)
        return self.mapping(node, path)

    def scalar(self, node: ScalarNode, path: Path) -> Any:
        tag, value = node.tag, node.value
        if tag == _STR or tag == _MERGE:
            return value
        try:
            if tag == _NULL:
                return None
            if tag == _BOOL:
                return value.lower() == "true"
            if tag == _INT:
                return _to_int(value)
            if tag == _FLOAT:
                return _to_float(value)
        except ValueError:
            self.issue(node, path, f"cannot read {value!r} as {tag.rsplit(':', 1)[-1]}")
            return value
        if tag.startswith("tag:yaml.org,2002:"):
            return value  # other standard tags (timestamp, binary) stay strings, as in yaml.v3
        self.issue(node, path, f"unknown tag {tag!r}")
        return value

    def mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merges: list[Node] = []
        positions, file, build = self.positions, self.file, self.build
        for knode, vnode in node.value:
            if knode.__class__ is ScalarNode:
                if knode.tag == _MERGE:
                    merges.append(vnode)
                    continue
                name = str(knode.value)
            else:
                self.issue(knode, path, "mapping keys must be strings, not a mapping or list")
                continue
            sub = path + (name,)
            if name in out:
                line = _first_key(node, name).start_mark.line + 1
                self.issue(knode, sub, f"duplicate key {name!r} (first defined at line {line})")
                continue
            mark = knode.start_mark
            positions[sub] = _position(Position, (file, mark.line + 1, mark.column + 1))
            # a plain string (most values) is taken here, without a call
            out[name] = vnode.value if vnode.__class__ is ScalarNode and vnode.tag == _STR else build(vnode, sub)
        # `<<` merges: explicit keys win, then earlier merged mappings win over later ones.
        explicit = set(out) if merges else ()
        for merge in merges:
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            for src in sources:
                if not isinstance(src, MappingNode):
                    self.issue(src, path, "'<<' must merge a mapping or a list of mappings")
                    continue
                # Build the merged mapping with its own position table, then keep the entries
                # whose keys it contributes (rewritten under this mapping's path).
                outer, self.positions = self.positions, {}
                merged = self.build(src, path)
                inner, self.positions = self.positions, outer
                depth = len(path)
                for name, value in merged.items():
                    if name not in out:
                        out[name] = value
                for p, where in inner.items():
                    if p[depth] in merged and p[depth] not in explicit:
                        self.positions.setdefault(p, where)
        return out


def _first_key(node: MappingNode, name: str) -> Node:
    """The first key node of `node` spelled `name` (for a duplicate's message)."""
    return next(k for k, _ in node.value if k.__class__ is ScalarNode and str(k.value) == name)


class _TooLarge(Exception):
    """The document is too deep or too large to build; `message` says which."""

    def __init__(self, node: Node, path: Path, message: str) -> None:
        self.node = node
        self.path = path
        self.message = message


_SECTIONS = ("services", "networks", "volumes", "secrets", "configs")


def text_position(text: str, index: int) -> tuple[int, int]:
    """(line, column), both from 1, of the character at `index` in `text`."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _within(text: str, line: int, column: int) -> tuple[int, int]:
    """libyaml puts the end of a text without a final newline on a line after it: the last line's end."""
    count = text.count("\n") + 1
    if line <= count:
        return line, column
    return count, len(text) - (text.rfind("\n") + 1) + 1


def _reader_problem(text: str, file: str, exc: yaml.reader.ReaderError) -> Issue:
    """libyaml's "unacceptable character" (two lines, a byte offset) as one issue at LINE:COLUMN."""
    # libyaml counts bytes of the UTF-8 text
    index = len(text.encode("utf-8")[: exc.position].decode("utf-8", "ignore"))
    line, column = text_position(text, min(index, len(text)))
    return Issue(file, line, column, (), f"invalid YAML: control characters are not allowed (found U+{exc.character:04X})")


def _surrogate(text: str, file: str) -> Issue | None:
    """A lone surrogate (text decoded with surrogateescape) cannot be handed to libyaml."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        line, column = text_position(text, exc.start)
        code = ord(text[exc.start])
        # surrogateescape keeps an undecodable byte b as U+DC00+b
        byte = f" (byte 0x{code - 0xDC00:02x})" if 0xDC80 <= code <= 0xDCFF else ""
        return Issue(file, line, column, (), f"cannot read compose file: not UTF-8 text{byte}")
    return None


def read_yaml(text: str, file: str) -> Document:
    """Parse one YAML document; raise InputError with every problem found in it."""
    extra_documents = False
    bad = _surrogate(text, file)
    if bad is not None:
        raise InputError([bad])
    try:
        loader = _Loader(text)
        try:
            root = loader.get_node() if loader.check_node() else None
            # docker (yaml.v3 Unmarshal) reads the first document and ignores the rest
            extra_documents = loader.check_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = _within(text, mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.context_mark is not None and exc.problem:
            # "while parsing a flow sequence" -> "(in the flow sequence started at line 3, column 12)"
            what = exc.context.replace("while parsing ", "").replace("while scanning ", "")
            what = what.removeprefix("a ").removeprefix("an ")
            start = exc.context_mark
            problem += f" (in the {what} started at line {start.line + 1}, column {start.column + 1})"
        raise InputError([Issue(file, line, col, (), f"invalid YAML: {problem}")]) from None
    except yaml.reader.ReaderError as exc:
        raise InputError([_reader_problem(text, file, exc)]) from None
    except yaml.YAMLError as exc:
        raise InputError([Issue(file, None, None, (), f"invalid YAML: {exc}")]) from None
    if root is None:
        raise InputError([Issue(file, None, None, (), "empty compose file")])
    builder = _Builder(file)
    try:
        if "*" in text:  # no alias without a `*`: spare the extra pass
            refuse_bombs(root, builder.sizes)
        data = builder.build(root, ())
    except _TooLarge as exc:
        mark = exc.node.start_mark
        top = exc.path[:2] if exc.path and exc.path[0] in _SECTIONS else exc.path[:1]
        raise InputError([Issue(file, mark.line + 1, mark.column + 1, top, exc.message)]) from None
    except TooBig as exc:
        # An alias node is its anchor's node (same marks), so point at the top-level key being built.
        where = builder.positions.get(exc.path[:1])
        message = f"aliases expand to more than {MAX_ALIAS_NODES} nodes; refusing the document"
        if where is None:
            builder.issue(exc.node, (), message)
            raise InputError(builder.issues[-1:]) from None
        raise InputError([Issue(file, where.line, where.column, (), message)]) from None
    except Recursive as exc:
        builder.issue(exc.node, (), "recursive alias; a node cannot contain itself")
        raise InputError(builder.issues[-1:]) from None
    if builder.issues:
        raise InputError(sorted(builder.issues, key=_issue_key))
    if not isinstance(data, dict):
        raise InputError([Issue(file, 1, 1, (), "top-level object must be a mapping")])
    warnings = []
    if extra_documents:
        warnings.append(
            Issue(file, None, None, (), "only the first YAML document is used (docker ignores the others)", "warning")
        )
    return Document(file, data, builder.positions, warnings)


def _issue_key(issue: Issue) -> tuple[int, int]:
    return (issue.line or 0, issue.column or 0)
