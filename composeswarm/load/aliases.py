"""Alias bombs ("billion laughs") and recursive aliases, found in libyaml's node graph before any
value is built.

An alias makes the graph a DAG: `x-b: [*a, *a, *a]` costs three times the size of `a` once built.
`refuse_bombs` walks the graph once, measures each node met twice (iteratively: a graph may be 1000
levels deep) and charges each alias its whole expansion, in document order, so a document that would expand to more than
MAX_ALIAS_NODES nodes is refused at the top-level entry that goes over, before it eats the machine.
"""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from composeswarm.errors import Path

# Upper bound on nodes produced by alias expansion; real stack files stay far below it.
MAX_ALIAS_NODES = 100_000


class TooBig(Exception):
    """Aliases expand past MAX_ALIAS_NODES; `path` is the top-level entry that went over."""

    def __init__(self, node: Node, path: Path) -> None:
        self.node = node
        self.path = path


class Recursive(Exception):
    """A node contains itself (`&a [*a]`)."""

    def __init__(self, node: Node) -> None:
        self.node = node


def children(node: Node) -> list[Node]:
    """The nodes directly under `node` (keys and values of a mapping)."""
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def measure(root: Node, sizes: dict[int, int]) -> None:
    """Fill `sizes` (id of node -> nodes in its expanded subtree) for every node under `root`."""
    stack: list[tuple[Node, bool]] = [(root, False)]
    active: set[int] = set()  # the nodes being measured: the path from root to here
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in children(node))
            continue
        if key in sizes:
            continue
        if key in active:
            raise Recursive(node)
        active.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children(node) if id(child) not in sizes)


def refuse_bombs(root: Node, sizes: dict[int, int]) -> None:
    """TooBig when the graph's aliases expand past the bound; Recursive when a node contains itself.

    Only the nodes reached a second time (an alias of a mapping or a list) are measured into `sizes`,
    with what they contain: a stack file's aliases are a few `<<: *defaults`, and measuring the whole
    graph cost half of the YAML read of a 500-service file. Every node that the builder meets twice is
    one of them.
    """
    seen: set[int] = set()
    charged = 0
    entries = root.value if isinstance(root, MappingNode) else [(root, root)]
    for knode, vnode in entries:
        todo = [knode, vnode]
        while todo:
            node = todo.pop()
            if node.__class__ is ScalarNode:
                continue  # the builder returns scalars as they are: an alias of one costs nothing
            if id(node) in seen:
                if id(node) not in sizes:
                    measure(node, sizes)
                charged += sizes[id(node)]
                continue
            seen.add(id(node))
            todo.extend(children(node))
        if charged > MAX_ALIAS_NODES:
            top: Path = (str(knode.value),) if isinstance(knode, ScalarNode) and knode is not vnode else ()
            raise TooBig(knode, top)
