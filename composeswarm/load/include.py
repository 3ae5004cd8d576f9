"""Top-level `include` (Compose Specification): other compose files loaded as their own project.

compose-go's rules (loader/include.go in docker compose 2.40): each entry is a path, or a mapping
with `path` (a file or a list: the first is the included project's main file, the others override
it), `project_directory` (default: the main file's folder) and `env_file` (default: the project
directory's `.env` when there is one). Paths are relative to the including project's folder. The
included project is read with its own folder (its relative paths resolve there) and its own
variables: its env files under the including project's variables, which win. Its services,
networks, volumes, secrets and configs join the including file's; a name both define is an error
unless both definitions are the same. Includes nest; a file that includes itself (directly or
not) is an error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from composeswarm.errors import Issue, Path
from composeswarm.load.envfiles import read_dotenv
from composeswarm.load.extends import Unit
from composeswarm.load.model import issue_at

SECTIONS = ("services", "networks", "volumes", "secrets", "configs")


@dataclass(frozen=True, slots=True)
class Request:
    """One `include` entry, its paths absolute."""

    at: Path
    paths: tuple[str, ...]
    project_directory: str
    env_files: tuple[str, ...] | None


# loads an included project: (request, its variables, the chain of including files) -> Unit or None
LoadProject = Callable[[Request, Mapping[str, str], tuple[str, ...]], "Unit | None"]


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def read_requests(unit: Unit, value: Any, working_dir: str, issues: list[Issue]) -> list[Request]:
    """The `include` entries as written, checked; problems go to `issues`."""

    def error(path: Path, message: str) -> None:
        issues.append(issue_at(unit.positions, path, message, unit.file))

    if not isinstance(value, list):
        error(("include",), "include must be a list of files or of mappings with path")
        return []
    requests: list[Request] = []
    for i, entry in enumerate(value):
        at: Path = ("include", i)
        entry = {"path": entry} if isinstance(entry, str) else entry
        if not isinstance(entry, dict):
            error(at, "an include entry must be a file name or a mapping with path")
            continue
        unknown = sorted(str(k) for k in entry if k not in ("path", "project_directory", "env_file"))
        if unknown:
            error(at + (unknown[0],), f"unknown key '{unknown[0]}' in include; use path, project_directory, env_file")
            continue
        paths = _strings(entry.get("path"))
        if not paths or not all(paths):
            error(at + ("path",) if "path" in entry else at, "include needs path (a file or a list of files)")
            continue
        absolute = tuple(os.path.normpath(os.path.join(working_dir, p)) for p in paths)
        directory = entry.get("project_directory")
        if directory is not None and not isinstance(directory, str):
            error(at + ("project_directory",), "project_directory must be a folder name")
            continue
        project = os.path.normpath(os.path.join(working_dir, directory)) if directory else os.path.dirname(absolute[0])
        env_files = None
        if "env_file" in entry:
            names = _strings(entry["env_file"])
            if names is None:
                error(at + ("env_file",), "env_file must be a file or a list of files")
                continue
            env_files = tuple(n if os.path.isabs(n) else os.path.normpath(os.path.join(working_dir, n)) for n in names)
        requests.append(Request(at, absolute, project, env_files))
    return requests


def project_env(request: Request, env: Mapping[str, str], issues: list[Issue], unit: Unit) -> dict[str, str]:
    """The included project's variables: its env files (or its .env), the including project's winning."""
    out: dict[str, str] = {}
    if request.env_files is None:
        out.update(read_dotenv(os.path.join(request.project_directory, ".env"), issues, required=False))
    else:
        for i, name in enumerate(request.env_files):
            if name == "/dev/null":
                continue
            if not os.path.isfile(name):
                path = request.at + ("env_file",) if len(request.env_files) == 1 else request.at + ("env_file", i)
                issues.append(issue_at(unit.positions, path, f"env file {name} not found", unit.file))
                continue
            out.update(read_dotenv(name, issues, required=True))
    out.update(env)
    return out


def apply_includes(
    unit: Unit, working_dir: str, env: Mapping[str, str], chain: tuple[str, ...], load: LoadProject,
    issues: list[Issue],
) -> None:
    """Load each project `unit` includes and add its resources to `unit` (conflicts are errors)."""
    for request in read_requests(unit, unit.found.include, working_dir, issues):
        main = request.paths[0]
        if main in chain or main == unit.path:
            shown = [_short(p, working_dir) for p in chain + (unit.path, main)]
            issues.append(issue_at(unit.positions, request.at, "include cycle: " + " -> ".join(dict.fromkeys(shown))
                                   + f" -> {shown[-1]}", unit.file))
            continue
        missing = [p for p in request.paths if not os.path.isfile(p)]
        if missing:
            where = request.at + ("path",) if isinstance(unit.found.include[request.at[1]], dict) else request.at
            issues.append(issue_at(unit.positions, where, f"included file {_short(missing[0], working_dir)} not found",
                                   unit.file))
            continue
        included = load(request, project_env(request, env, issues, unit), chain + (unit.path,))
        if included is None:
            continue
        _import(unit, included, request, issues)


def _short(path: str, working_dir: str) -> str:
    rel = os.path.relpath(path, working_dir)
    return path if rel.startswith("..") else rel


def _import(unit: Unit, included: Unit, request: Request, issues: list[Issue]) -> None:
    """compose-go's importResources: add what is new, accept what is the same, refuse what differs."""
    for section in SECTIONS:
        theirs = included.tree.get(section) or {}
        if not theirs:
            continue
        ours = dict(unit.tree.get(section) or {})
        for name, entry in theirs.items():
            if name in ours and ours[name] != entry:
                issues.append(issue_at(unit.positions, (section, name), f'{section[:-1]} "{name}" is also defined, '
                                       f"differently, in included file {included.file} (a resource an included "
                                       "project defines must be left out or defined the same)", unit.file))
                continue
            ours.setdefault(name, entry)
        unit.tree[section] = {k: ours[k] for k in sorted(ours)}
    for path, pos in included.positions.items():
        if path[:1] != ("include",):
            unit.positions.setdefault(path, pos)
    unit.origins.update(included.origins)
    for path, written in included.entries.items():
        unit.entries.setdefault(path, written)
    found = included.found
    unit.found.profiles.update({k: v for k, v in found.profiles.items() if k not in unit.found.profiles})
    unit.found.inline.update({k: v for k, v in found.inline.items() if k not in unit.found.inline})
    unit.found.optional |= found.optional
    unit.found.used.extend(found.used)
    unit.found.dirs |= found.dirs | {request.project_directory}
