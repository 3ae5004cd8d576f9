"""The `nodes` view: each node with the tasks on it, as JSON, as a list, or (on a terminal) as a grid.

The grid is what the Docker 1.13 walkthrough's visualizer drew: one column per node, headed by its
name, role, availability, state, engine version and labels, with its tasks beneath, coloured by
state (green running, yellow on the way, red failed or rejected, dim done). Columns that do not fit
the terminal's width go on to a second band. Off a terminal, one block per node (stable for scripts
and diffs); JSON is documented in docs/ops-json.md.
"""

from __future__ import annotations

import json
import shutil
import sys
from typing import TYPE_CHECKING, Any, Literal

from composeswarm.ops.rows import display_image

if TYPE_CHECKING:
    from composeswarm.engine.live import LiveNode
    from composeswarm.ops.nodes import NodeView
    from composeswarm.ops.rows import TaskRow

_MAX_COLUMN = 40  # a grid column's widest cell; longer ones end in an ellipsis
_GAP = "  "
_STATE_COLOURS = {"running": "32", "failed": "31", "rejected": "31", "orphaned": "31", "complete": "2",
                  "shutdown": "2", "remove": "2"}  # fmt: skip
_ON_THE_WAY = "33"  # new, pending, assigned, accepted, preparing, ready, starting
UNASSIGNED = "(no node)"


def print_nodes(view: NodeView, fmt: Literal["text", "json"]) -> None:
    """What `nodes` prints: JSON, the grid on a terminal, else the list."""
    from composeswarm.render import use_colour

    if fmt == "json":
        text = json.dumps(nodes_json(view), indent=2) + "\n"
    elif sys.stdout.isatty():
        text = nodes_grid(view, width=shutil.get_terminal_size().columns, colour=use_colour())
    else:
        text = nodes_text(view)
    sys.stdout.write(text)
    sys.stdout.flush()


def nodes_json(view: NodeView) -> dict[str, Any]:
    """`{"version": 1, "stack", "nodes": [{..., "tasks": [...]}], "unassigned": [...]}` (docs/ops-json.md)."""
    return {
        "version": 1,
        "stack": view.stack,
        "nodes": [
            {
                "id": n.node.id, "hostname": n.node.hostname, "role": n.node.role,
                "availability": n.node.availability, "state": n.node.state, "labels": dict(sorted(n.node.labels.items())),
                "engine_version": n.node.engine_version, "tasks": [_task_json(t) for t in n.tasks],
            }  # fmt: skip
            for n in view.nodes
        ],
        "unassigned": [_task_json(t) for t in view.unassigned],
    }


def nodes_text(view: NodeView) -> str:
    """One line per node (name, role, availability, state, engine, labels), its tasks indented beneath."""
    rows = [t for n in view.nodes for t in n.tasks] + view.unassigned
    name_w = max([len(t.name) for t in rows] + [0])
    state_w = max([len(t.state) for t in rows] + [0])
    lines: list[str] = []

    def tasks(of: list[TaskRow]) -> None:
        for t in of:
            lines.append(f"    {t.name:<{name_w}}  {t.state:<{state_w}}  {display_image(t.image)}".rstrip())
        if not of:
            lines.append("    (no tasks)")

    for entry in view.nodes:
        lines.append("  ".join(_node_words(entry.node)))
        tasks(entry.tasks)
    if view.unassigned:
        lines.append(UNASSIGNED)
        tasks(view.unassigned)
    if not view.nodes:
        lines.append("no nodes")
    return "\n".join(lines) + "\n"


def nodes_grid(view: NodeView, *, width: int = 80, colour: bool = False) -> str:
    """Node names as column heads, each node's tasks beneath; bands of columns that fit `width`."""
    columns: list[tuple[list[str], list[tuple[str, str]]]] = []  # (head lines, [(cell, state)])
    prefix = f"{view.stack}_" if view.stack else ""
    for entry in view.nodes:
        node = entry.node
        words = _node_words(node)
        head = [words[0], " ".join(words[1:4]), words[4], words[5]]
        columns.append((head, [(_cell(t, prefix, colour), t.state) for t in entry.tasks]))
    if view.unassigned:
        columns.append(([UNASSIGNED, "", "", ""], [(_cell(t, prefix, colour), t.state) for t in view.unassigned]))
    if not columns:
        return "no nodes\n"
    widths = [min(_MAX_COLUMN, max(len(s) for s in head + [c for c, _ in cells] + ["-"])) for head, cells in columns]
    bands: list[list[int]] = [[]]
    used = 0
    for i, w in enumerate(widths):
        if bands[-1] and used + len(_GAP) + w > width:
            bands.append([])
            used = 0
        used += (len(_GAP) if bands[-1] else 0) + w
        bands[-1].append(i)
    out: list[str] = []
    for band in bands:
        if out:
            out.append("")
        depth = max(len(columns[i][1]) for i in band)
        for row in range(4):
            out.append(_join([(_fit(columns[i][0][row], widths[i]), "1" if row == 0 else "", widths[i]) for i in band], colour))
        out.append(_join([("─" * widths[i], "", widths[i]) for i in band], colour))
        for row in range(depth):
            cells = []
            for i in band:
                tasks = columns[i][1]
                text, state = tasks[row] if row < len(tasks) else ("", "")
                code = _STATE_COLOURS.get(state, _ON_THE_WAY) if state else ""
                cells.append((_fit(text, widths[i]), code, widths[i]))
            out.append(_join(cells, colour))
    return "\n".join(line.rstrip() for line in out) + "\n"


def _node_words(node: LiveNode) -> list[str]:
    labels = ",".join(f"{k}={v}" for k, v in sorted(node.labels.items())) or "-"
    return [node.name or node.hostname or node.id, node.role, node.availability, node.state,
            node.engine_version or "-", labels]


def _task_json(t: TaskRow) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "service": t.service, "slot": t.slot, "state": t.state,
            "desired_state": t.desired_state, "image": t.image}


def _cell(t: TaskRow, prefix: str, colour: bool) -> str:
    """`web.1 busybox:1`: the task without its stack's prefix, its image tag, and without colour its state."""
    name = t.service if t.slot == 0 and t.node_id else t.name  # a global task's name ends in the node's ID
    name = name[len(prefix):] if prefix and name.startswith(prefix) else name
    image = display_image(t.image).rsplit("/", 1)[-1]
    return f"{name} {image}" if colour or t.state == "running" else f"{name} {image} ({t.state})"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _join(cells: list[tuple[str, str, int]], colour: bool) -> str:
    """Cells (text, colour code, column width) side by side; the padding stays outside the colour."""
    parts = []
    for text, code, width in cells:
        shown = f"\x1b[{code}m{text}\x1b[0m" if colour and code and text else text
        parts.append(shown + " " * (width - len(text)))
    return _GAP.join(parts)
