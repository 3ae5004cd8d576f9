"""Text tables and JSON documents for `ls`, `services`, `ps`, `rm` and `logs` output.

Tables are laid out as the docker CLI lays them out (Go tabwriter, minimum width 10, padding 3; the
last column is not padded) so that scripts reading `docker stack ...` columns read ours. The JSON
documents are described in docs/ops-json.md; change them only by adding keys.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from composeswarm.ops.rows import Port, ServiceRow, StackSummary, TaskRow, display_image

if TYPE_CHECKING:
    from composeswarm.ops.logs import LogLine
    from composeswarm.ops.remove import RemoveEvent

JSON_VERSION = 1
MAX_ERROR = 30  # docker truncates a task's error to 30 characters in `stack ps`

# ANSI colours per service in `logs`, in the order compose uses them
COLOURS = ("36", "33", "32", "35", "34", "96", "93", "92", "95", "94")


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns as Go's tabwriter (minwidth 10, padding 3) writes them; every line ends with a newline."""
    lines = [list(header), *[list(r) for r in rows]]
    widths = [0] * len(header)
    for line in lines:
        for i, cell in enumerate(line[:-1]):
            widths[i] = max(widths[i], 10, len(cell) + 3)
    out = []
    for line in lines:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(line[:-1])]
        out.append("".join(cells) + line[-1] + "\n")
    return "".join(out)


# --- ls ---------------------------------------------------------------------------------------


def render_stacks(stacks: list[StackSummary], output: str) -> str:
    """`ls` as text (NAME SERVICES) or as a JSON document."""
    if output == "json":
        doc = {"version": JSON_VERSION, "stacks": [{"name": s.name, "services": s.services} for s in stacks]}
        return _json(doc)
    return table(("NAME", "SERVICES"), [(s.name, str(s.services)) for s in stacks])


# --- services ---------------------------------------------------------------------------------


def replicas_text(row: ServiceRow) -> str:
    """`2/4`, `1/2 (max 1 per node)`, or for jobs `0/2 (2/2 completed)`, as docker prints them."""
    if row.total_completions is not None:
        return f"{row.running}/{row.desired} ({row.completed}/{row.total_completions} completed)"
    if row.max_per_node > 0:
        return f"{row.running}/{row.desired} (max {row.max_per_node} per node)"
    return f"{row.running}/{row.desired}"


def ports_text(ports: Sequence[Port]) -> str:
    """Ingress ports as docker shows them (`*:8080->80/tcp`, ranges folded), then host-mode ports."""
    ingress = sorted((p for p in ports if p.mode == "ingress"), key=lambda p: (p.protocol, p.published))
    out: list[str] = []
    # a run: [pub_start, pub_end, tgt_start, tgt_end, protocol]; docker/cli's folding rules, where
    # a negative difference counts as a gap (Go subtracts unsigned ints there)
    run: list[Any] | None = None
    for p in ingress:
        if run is not None:
            pub_gap = p.published - run[1]
            tgt_gap = p.target - run[3]
            is_range = run[3] != run[2]
            if not (
                p.protocol != run[4]
                or pub_gap > 1
                or pub_gap < 0
                or tgt_gap > 1
                or tgt_gap < 0
                or (is_range and p.target <= run[3])
            ):
                run[1], run[3] = p.published, p.target
                continue
            if run[0] > 0:
                out.append(_run_text(run))
        run = [p.published, p.published, p.target, p.target, p.protocol]
    if run is not None and run[0] > 0:
        out.append(_run_text(run))
    for p in ports:
        if p.mode == "host":
            out.append(f"*:{p.published}->{p.target}/{p.protocol} (host)")
    return ", ".join(out)


def _run_text(run: list[Any]) -> str:
    pub = f"{run[0]}-{run[1]}" if run[1] > run[0] else str(run[0])
    tgt = f"{run[2]}-{run[3]}" if run[3] > run[2] else str(run[2])
    return f"*:{pub}->{tgt}/{run[4]}"


def render_services(stack: str, rows: list[ServiceRow], output: str) -> str:
    """`services` as docker's table (ID NAME MODE REPLICAS IMAGE PORTS) or a JSON document."""
    if output == "json":
        return _json(
            {
                "version": JSON_VERSION,
                "stack": stack,
                "services": [
                    {
                        "id": r.id,
                        "name": r.name,
                        "mode": r.mode,
                        "replicas": replicas_text(r),
                        "running": r.running,
                        "desired": r.desired,
                        "completed": r.completed,
                        "total_completions": r.total_completions,
                        "max_per_node": r.max_per_node,
                        "image": r.image,
                        "ports": [_port_doc(p) for p in r.ports],
                    }
                    for r in rows
                ],
            }
        )
    return table(
        ("ID", "NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"),
        [(r.id[:12], r.name, r.mode, replicas_text(r), display_image(r.image), ports_text(r.ports)) for r in rows],
    )


# --- ps ---------------------------------------------------------------------------------------


def human_duration(seconds: float) -> str:
    """go-units HumanDuration, which docker uses for "Running 5 minutes ago"."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


def current_state_text(row: TaskRow, now_ns: int) -> str:
    """`Running 5 minutes ago`."""
    ago = human_duration(max(0, now_ns - row.state_time_ns) / 1e9).lower()
    return f"{row.state[:1].upper()}{row.state[1:]} {ago} ago"


def error_text(error: str, trunc: bool) -> str:
    """The task error quoted, cut to 30 characters with an ellipsis unless --no-trunc."""
    if trunc and len(error) > MAX_ERROR:
        error = error[: MAX_ERROR - 1] + "…"
    return f'"{error}"' if error else ""


def render_tasks(stack: str, rows: list[TaskRow], output: str, now_ns: int, trunc: bool = True) -> str:
    """`ps` as docker's table (history indented `\\_`) or a JSON document."""
    if output == "json":
        return _json(
            {
                "version": JSON_VERSION,
                "stack": stack,
                "tasks": [
                    {
                        "id": r.id,
                        "name": r.name,
                        "service": r.service,
                        "slot": r.slot,
                        "image": r.image,
                        "node_id": r.node_id,
                        "node": r.node,
                        "desired_state": r.desired_state,
                        "state": r.state,
                        "state_since": _iso(r.state_time_ns),
                        "error": r.error or None,
                        "ports": [_port_doc(p) for p in r.ports],
                        "history": r.history,
                    }
                    for r in rows
                ],
            }
        )
    return table(
        ("ID", "NAME", "IMAGE", "NODE", "DESIRED STATE", "CURRENT STATE", "ERROR", "PORTS"),
        [
            (
                r.id[:12] if trunc else r.id,
                (" \\_ " if r.history else "") + r.name,
                display_image(r.image) if trunc else r.image,
                r.node,
                r.desired_state[:1].upper() + r.desired_state[1:],
                current_state_text(r, now_ns),
                error_text(r.error, trunc),
                ",".join(f"*:{p.published}->{p.target}/{p.protocol}" for p in r.ports),
            )
            for r in rows
        ],
    )


# --- rm ---------------------------------------------------------------------------------------


def rm_event_text(action: str, kind: str, name: str, detail: str = "") -> str:
    """One progress line of `rm`: `Removing service x_web` as docker prints it, plus the waits."""
    if action == "remove":
        return f"Removing {kind} {name}"
    if action == "wait":
        return f"Waiting for {name}: {detail}"
    if action == "gone":
        return f"Removed {kind} {name}"
    return f"{action} {kind} {name}: {detail}".rstrip(": ")


def print_rm_event(event: RemoveEvent) -> None:
    """`rm`'s `on_event`: its line on stdout, or on stderr when a removal failed."""
    line = rm_event_text(event.action, event.kind, event.name, event.detail)
    if event.action == "failed":
        sys.stderr.write(line + "\n")
    else:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


# --- logs -------------------------------------------------------------------------------------


class LogPrinter:
    """Writes log lines: optional timestamp, the task prefix (coloured per service), `    | `, the text."""

    def __init__(self, timestamps: bool, colour: bool, out: IO[str] | None = None, err: IO[str] | None = None):
        self.timestamps = timestamps
        self.colour = colour
        self.out = out
        self.err = err
        self._colours: dict[str, str] = {}

    def colour_for(self, service: str) -> str:
        """The ANSI colour of a service: assigned in the order services are first seen."""
        if service not in self._colours:
            self._colours[service] = COLOURS[len(self._colours) % len(COLOURS)]
        return self._colours[service]

    def line(self, service: str, prefix: str, timestamp: str, message: str) -> str:
        """The text of one log line, ending in a newline."""
        head = prefix + "    | "
        if self.colour:
            head = f"\x1b[{self.colour_for(service)}m{prefix}\x1b[0m    | "
        if self.timestamps:
            head = f"{timestamp} {head}"
        if not message.endswith("\n"):
            message += "\n"
        return head + message

    def take(self, line: LogLine) -> None:
        """The sink of ops.logs.stream_stack_logs: one line as it comes."""
        rec = line.record
        self.write(line.service, line.prefix, rec.timestamp, rec.text, stderr=rec.stderr)

    def write(self, service: str, prefix: str, timestamp: str, message: str, stderr: bool = False) -> None:
        """Print one line to stdout, or stderr for the task's stderr stream (as docker does)."""
        stream = (self.err or sys.stderr) if stderr else (self.out or sys.stdout)
        stream.write(self.line(service, prefix, timestamp, message))
        stream.flush()


# --- helpers ----------------------------------------------------------------------------------


def _port_doc(p: Port) -> dict[str, Any]:
    return {"published": p.published, "target": p.target, "protocol": p.protocol, "mode": p.mode}


def _iso(ns: int) -> str | None:
    if ns == 0:
        return None
    from datetime import datetime, timezone

    secs, frac = divmod(ns, 1_000_000_000)
    base = datetime.fromtimestamp(secs, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{frac:09d}Z"


def _json(doc: Any) -> str:
    return json.dumps(doc, indent=2) + "\n"
