"""Find and read compose files and turn them into one validated `Project` (docker CLI 28 loading).

Per file: read YAML with positions, check the version, refuse forbidden keys, interpolate, validate
against the version's schema, normalise to `docker stack config` shape. Then merge the files and
run the checks that need the whole project. Every error is collected; InputError carries them all.
"""

from __future__ import annotations

import gc
import os
import sys
from dataclasses import replace
from collections.abc import Mapping
from typing import Any

from composeswarm.load import checks, specfile
from composeswarm.errors import InputError, Issue, Path
from composeswarm.load.envfiles import read_dotenv
from composeswarm.load.fileload import Loader, version_of
from composeswarm.load.merge import merge_files
from composeswarm.load.model import Entries, Position, Project
from composeswarm.load.reading import MAX_COMPOSE_FILE, NotUTF8, TooLarge, decode_utf8, read_bounded, read_stream
from composeswarm.load.yamltree import Document, read_yaml

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
STDIN_NAME = "<stdin>"


def find_files(files: list[str] | None, cwd: str) -> list[str]:
    """The -f files as given (docker also splits `a.yml,b.yml`), or the first default file in `cwd`."""
    if files:
        names = [part for name in files for part in name.split(",") if part]
        if not names:
            raise InputError([Issue("", None, None, (), "empty compose file name; specify a compose file with -f FILE")])
        return names
    for name in DEFAULT_FILES:
        if os.path.isfile(os.path.join(cwd, name)):
            return [name]
    raise InputError(
        [Issue("", None, None, (), f"no compose file found in {cwd}: looked for {', '.join(DEFAULT_FILES)} (use -f FILE)")]
    )


def working_dir_for(files: list[str], cwd: str) -> str:
    """docker: the folder of the first file; the current folder when reading stdin."""
    first = files[0]
    if first == "-":
        return cwd
    return os.path.dirname(os.path.join(cwd, os.path.normpath(first)) if not os.path.isabs(first) else first)


def interpolation_env(
    env_files: list[str] | None, working_dir: str, environ: Mapping[str, str], cwd: str, issues: list[Issue]
) -> dict[str, str]:
    """--env-file files (or .env beside the first compose file), then the process environment wins."""
    env: dict[str, str] = {}
    if env_files:
        for f in env_files:
            env.update(read_dotenv(os.path.join(cwd, f), issues, required=True))
    else:
        env.update(read_dotenv(os.path.join(working_dir, ".env"), issues, required=False))
    env.update(environ)
    return env


def _read_text(name: str, cwd: str, stdin_text: str | bytes | None) -> str:
    """The text of one compose file (`-` is standard input), read as bytes and decoded here."""
    if name == "-":
        if stdin_text is None:
            # bytes, not sys.stdin's text: its decoding lets bytes that are not UTF-8 through as surrogates
            stream = getattr(sys.stdin, "buffer", None)
            if stream is None:  # a text stream with no bytes under it (a test's stand-in)
                stdin_text = sys.stdin.read(MAX_COMPOSE_FILE + 1)
            else:
                stdin_text = read_stream(stream, MAX_COMPOSE_FILE)
        if len(stdin_text) > MAX_COMPOSE_FILE:
            raise TooLarge(MAX_COMPOSE_FILE)
        return stdin_text if isinstance(stdin_text, str) else decode_utf8(stdin_text)
    return decode_utf8(read_bounded(os.path.join(cwd, name), MAX_COMPOSE_FILE))


def _sort_key(order: dict[str, int]) -> Any:
    def key(issue: Issue) -> tuple[int, int, int, str]:
        return (order.get(issue.file, len(order)), issue.line or 0, issue.column or 0, repr(issue.path))

    return key


def load_project(
    files: list[str] | None,
    env_files: list[str] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: str | None = None,
    stdin_text: str | bytes | None = None,
    strict: bool = True,
    profiles: list[str] | None = None,
    spec: bool = True,
) -> tuple[Project, list[Issue]]:
    """Load, validate and merge compose files; return the Project and its warnings.

    `stdin_text` is what `-` reads instead of standard input (bytes are decoded as a file's are).

    Raises InputError with every error found (sorted by file, then position). With
    strict=False the whole-project checks (references, images, files: what docker only finds at
    deploy time) are returned as warnings, as `docker stack config` does not check them.
    `profiles` are the active profiles (None: COMPOSE_PROFILES); spec=False reads every file as
    docker stack deploy does, refusing the Compose Specification's keys (`validate --strict`).
    """
    # Loading allocates one object per YAML node and frees nothing until the end: the cyclic
    # garbage collector would walk them again and again (3x slower on a 500-service file).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load(files, env_files, environ, cwd, stdin_text, strict, profiles, spec)
    finally:
        if enabled:
            gc.enable()


def project_name(
    files: list[str] | None, env_files: list[str] | None = None, environ: Mapping[str, str] | None = None,
    cwd: str | None = None, profiles: list[str] | None = None,
) -> str:
    """The stack name when STACK is left out: the files' top-level `name` (Compose Specification)."""
    if any(part == "-" for name in files or () for part in name.split(",")):
        raise InputError([Issue("", None, None, (), "give the STACK name when the compose file is standard input")])
    project, _ = load_project(files, env_files, environ, cwd, profiles=profiles)
    if not project.name:
        raise InputError([Issue("", None, None, (), "no STACK given and the compose files have no top-level name; "
                                "give the stack name")])
    return project.name


def _load(
    files: list[str] | None,
    env_files: list[str] | None,
    environ: Mapping[str, str] | None,
    cwd: str | None,
    stdin_text: str | bytes | None,
    strict: bool,
    profiles: list[str] | None = None,
    spec: bool = True,
) -> tuple[Project, list[Issue]]:
    cwd = cwd or os.getcwd()
    environ = dict(os.environ) if environ is None else dict(environ)
    names = find_files(files, cwd)
    working_dir = working_dir_for(names, cwd)
    issues: list[Issue] = []
    env = interpolation_env(env_files, working_dir, environ, cwd, issues)

    docs, shown = _read_documents(names, cwd, stdin_text, issues)
    version: str | None = None
    normalised: list[dict[str, Any]] = []
    positions: dict[Path, Position] = {}
    origins: dict[int, tuple[Position, dict[str, Position]]] = {}
    entries: Entries = {}
    found = specfile.Lowered()
    for doc in docs:
        file_version = version_of(doc, issues)
        if file_version is None:
            continue
        if version is None:
            version = file_version
        elif file_version != version:
            pos = doc.positions.get(("version",))
            issues.append(
                Issue(doc.file, pos.line if pos else None, pos.column if pos else None, ("version",),
                      f"version mismatched between compose files: {version} and {file_version}")
            )
            continue
        shaper = _load_document(doc, file_version, env, working_dir, environ, issues, found if spec else None, cwd)
        if shaper is not None:
            normalised.append(shaper[0])
            origins.update(shaper[1])
            positions.update(doc.positions)
            entries.update(shaper[2])

    order = {name: i for i, name in enumerate(shown)}
    errors = [i for i in issues if i.severity == "error"]
    if errors or version is None or not normalised:
        # warnings go along: "variable X is not set" often explains the error next to it
        raise InputError(sorted(issues, key=_sort_key(order)))

    merged = merge_files(normalised)
    left_out = specfile.apply_profiles(merged, found, specfile.active_profiles(profiles, env), positions,
                                       shown[0], issues)
    inline = _inline(merged, found, working_dir)
    _follow_entries(merged, origins, positions)
    # a network or dependency named in a list is positioned at its item (`- backend`), also by name
    positions.update({path: pos for path, (_, pos) in entries.items()})
    first = shown[0]
    late = checks.check_project(merged, working_dir, positions, first, entries)
    if not strict:
        late = [replace(i, severity="warning") for i in late]
    issues.extend(late)
    if any(i.severity == "error" for i in issues):
        raise InputError(sorted(issues, key=_sort_key(order)))
    extras = {k: v for k, v in merged.items() if k.startswith("x-")}
    project = Project(
        version=version,
        services=merged["services"],
        networks=merged.get("networks", {}),
        volumes=merged.get("volumes", {}),
        secrets=merged.get("secrets", {}),
        configs=merged.get("configs", {}),
        working_dir=working_dir,
        files=tuple(_absolute(n, cwd) for n in names),
        positions=positions,
        extras=extras,
        entries=entries,
        name=found.name,
        inline=inline,
        left_out=tuple(left_out),
        spec_keys=tuple(found.used),
        spec=spec and all(specfile.is_spec(doc.data) for doc in docs),
    )
    warnings = sorted((i for i in issues if i.severity == "warning"), key=_sort_key(order))
    return project, warnings


def _read_documents(
    names: list[str], cwd: str, stdin_text: str | bytes | None, issues: list[Issue]
) -> tuple[list[Document], list[str]]:
    """Each file parsed (problems go to `issues`), and the names issues use for them."""
    docs: list[Document] = []
    shown: list[str] = []
    for name in names:
        display = STDIN_NAME if name == "-" else name
        shown.append(display)
        try:
            text = _read_text(name, cwd, stdin_text)
        except OSError as exc:
            issues.append(Issue(display, None, None, (), f"cannot read compose file: {exc.strerror}"))
            continue
        except TooLarge as exc:
            issues.append(Issue(display, None, None, (), f"cannot read compose file: {exc}"))
            continue
        except NotUTF8 as exc:
            issues.append(Issue(display, exc.line, exc.column, (), f"cannot read compose file: {exc}"))
            continue
        try:
            doc = read_yaml(text, display)
        except InputError as exc:
            issues.extend(exc.issues)
            continue
        docs.append(doc)
        issues.extend(doc.warnings)
    return docs, shown


def _load_document(
    doc: Document,
    version: str,
    env: Mapping[str, str],
    working_dir: str,
    environ: Mapping[str, str],
    issues: list[Issue],
    into: specfile.Lowered | None = None,
    cwd: str | None = None,
) -> tuple[dict[str, Any], dict[int, tuple[Position, dict[str, Position]]], Entries] | None:
    """One -f file through `_load_unit`; its spec findings (name, profiles, ...) go `into`.

    Returns the normalised tree, where its list entries came from and where its name-keyed entries
    (service networks, depends_on) were written; None when it has errors.
    """
    cwd = cwd or os.getcwd()
    path = os.path.join(cwd, doc.file) if doc.file == STDIN_NAME else _absolute(doc.file, cwd)
    loader = Loader(environ, cwd, issues, into is not None)
    unit = loader.unit(doc, version, env, working_dir, path, ())
    if unit is None:
        return None
    if into is not None:
        specfile.merge(into, unit.found)
    return unit.tree, unit.origins, unit.entries


_LISTS = ("ports", "volumes", "secrets", "configs")


def _follow_entries(
    merged: dict[str, Any], origins: dict[int, tuple[Position, dict[str, Position]]], positions: dict[Path, Position]
) -> None:
    """Point ports/volumes/secrets/configs entries at where they were written, at their final index."""
    services = merged.get("services", {})
    # (every position is looked at: a test without slicing its path)
    for stale in [p for p in positions if len(p) > 3 and p[2] in _LISTS and p[0] == "services" and p[1] in services]:
        del positions[stale]  # raw indices: expansion and merging moved the entries
    for name, svc in services.items():
        for key in _LISTS:
            for j, entry in enumerate(svc.get(key) or []):
                origin = origins.get(id(entry))
                if origin is None:
                    continue
                path: Path = ("services", name, key, j)
                positions[path] = origin[0]
                for sub, pos in origin[1].items():
                    positions[path + (sub,)] = pos


def _inline(merged: Mapping[str, Any], found: specfile.Lowered, working_dir: str) -> dict[tuple[str, str], bytes]:
    """The data of secrets/configs from `environment:` or `content:`; the entry keeps what was written."""
    data: dict[tuple[str, str], bytes] = {}
    for (kind, name), (key, written, value) in found.inline.items():
        entry = (merged.get(kind) or {}).get(name)
        # the normaliser gives an entry without `file` the working folder, as docker does
        folders = (None, "", working_dir, *found.dirs)
        if isinstance(entry, dict) and entry.get("file") in folders and not entry.get("external"):
            entry.pop("file", None)
            entry[key] = written
            data[(kind, name)] = value
    return data


def _absolute(name: str, cwd: str) -> str:
    return name if name == "-" else os.path.normpath(os.path.join(cwd, name))
