"""Text for the loading stage: issue lines, the validate OK line, and the resolved config."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from composeswarm.errors import Issue
    from composeswarm.model import Project


def issue_line(issue: Issue) -> str:
    """`error: FILE:LINE:COL: path: message` (or `warning: ...`)."""
    return f"{issue.severity}: {issue}"


def print_warnings(issues: Iterable[Issue], stream: Any = None) -> None:
    """Each warning on its own line on stderr."""
    out = stream if stream is not None else sys.stderr
    for issue in issues:
        out.write(issue_line(issue) + "\n")


def _shown(file: str) -> str:
    """A file as the user would name it: <stdin>, or relative to the current folder when inside it."""
    import os

    if file == "-":
        return "<stdin>"
    rel = os.path.relpath(file)
    return file if rel.startswith("..") else rel


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def ok_line(project: Project, warnings: int) -> str:
    """The one-line summary `validate` prints when the files are valid."""
    files = ", ".join(_shown(f) for f in project.files)
    parts = [_count(len(project.services), "service")]
    for name in ("networks", "volumes", "secrets", "configs"):
        n = len(getattr(project, name))
        if n:
            parts.append(_count(n, name[:-1]))
    tail = f", {_count(warnings, 'warning')}" if warnings else ""
    return f"ok: {files} (compose {project.version}): {', '.join(parts)}{tail}"


def render_config(project: Project, fmt: str) -> str:
    """The resolved project as `docker stack config` prints it (yaml) or as JSON."""
    data = project.to_dict()
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    import yaml

    class _Dumper(yaml.SafeDumper):
        # docker (yaml.v3) indents list items under their key; PyYAML does not by default
        def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
            super().increase_indent(flow, False)

    text: str = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1 << 30
    )
    return text
