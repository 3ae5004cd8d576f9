"""Files read as units: a -f file, a base `extends` names, an included project (load/project.py runs them).

One file goes through forbidden keys, interpolation, the Compose Specification lowering, the schema
and normalisation (docker's order), then, a specification file, its `extends` and `include`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from composeswarm.errors import InputError, Issue, Path
from composeswarm.load import checks, refusals, schema, schemadocs, specfile
from composeswarm.load.extends import Resolver, Unit
from composeswarm.load.include import Request, apply_includes
from composeswarm.load.interpolate import interpolate
from composeswarm.load.merge import merge_files
from composeswarm.load.normalizer import Normalizer
from composeswarm.load.reading import MAX_COMPOSE_FILE, NotUTF8, TooLarge, decode_utf8, read_bounded
from composeswarm.load.yamltree import Document, read_yaml


class Loader:
    """Loads files as units: the -f files, the bases `extends` names and the projects `include` names."""

    def __init__(self, environ: Mapping[str, str], cwd: str, issues: list[Issue], spec: bool) -> None:
        self.environ = environ
        self.cwd = cwd
        self.issues = issues
        self.spec = spec

    def unit(
        self, doc: Document, version: str, env: Mapping[str, str], working_dir: str, path: str,
        chain: tuple[str, ...], resolve: bool = True,
    ) -> Unit | None:
        """One file through forbidden keys, interpolation, schema and shape (docker's order), then (a
        Compose Specification file) its `extends` and `include`; None when it has errors."""
        issues = self.issues
        spec = self.spec and specfile.is_spec(doc.data)
        file_issues = checks.forbidden(doc.data, doc.file, doc.positions)
        if spec:  # the specification has extends (applied below); docker stack deploy refuses it
            file_issues = [i for i in file_issues if i.path[2:3] != ("extends",)]
        data = doc.data
        if file_issues:
            data = _without(data, [i.path for i in file_issues])
        file_issues += checks.ignored_keys(doc.data, doc.file, doc.positions)
        data, found = interpolate(data, doc.positions, doc.file, env)
        file_issues += found
        # a value whose interpolation failed is reported once, not again by the schema
        failed = {i.path for i in found if i.severity == "error"}
        lowered = specfile.Lowered()
        if spec:
            data = specfile.lower(data, doc.positions, doc.file, env, working_dir, file_issues, lowered)
        data = schema.read_printed_names(data, version, doc.positions)
        schema_issues = schema.validate(data, version, doc.positions, doc.file)
        file_issues += [i for i in schema_issues if i.path not in failed]
        file_issues += refusals.unsigned(data, doc.file, doc.positions)
        issues.extend(file_issues)
        if any(i.severity == "error" for i in file_issues):
            return None
        shaper = Normalizer(doc.file, version, working_dir, self.environ, doc.positions, env if spec else None)
        tree = shaper.project(data)
        issues.extend(shaper.issues)
        unit = Unit(doc.file, path, tree, doc.positions, shaper.origins, shaper.entries, lowered)
        if spec and resolve:
            if lowered.extends:
                Resolver(lambda base: self.base(base, env, chain), issues).apply(unit)
            if lowered.include is not None:
                apply_includes(unit, working_dir, env, chain, self.project, issues)
        return unit

    def _document(self, path: str) -> tuple[Document, str] | str | None:
        """A file named by extends or include, parsed, and its version; why it cannot be read."""
        display = _display(path, self.cwd)
        try:
            text = decode_utf8(read_bounded(path, MAX_COMPOSE_FILE))
        except OSError as exc:
            return f"cannot read {display}: {exc.strerror}"
        except (TooLarge, NotUTF8) as exc:
            return f"cannot read {display}: {exc}"
        try:
            doc = read_yaml(text, display)
        except InputError as exc:
            self.issues.extend(exc.issues)
            return None
        self.issues.extend(doc.warnings)
        version = version_of(doc, self.issues)
        return None if version is None else (doc, version)

    def base(self, path: str, env: Mapping[str, str], chain: tuple[str, ...]) -> Unit | str | None:
        """The file `extends: {file}` names, read in its own folder (its own extends left to the resolver)."""
        read = self._document(path)
        if not isinstance(read, tuple):
            return read
        return self.unit(read[0], read[1], env, os.path.dirname(path), path, chain, resolve=False)

    def project(self, request: Request, env: Mapping[str, str], chain: tuple[str, ...]) -> Unit | None:
        """An included project: its files merged in order, read in its project directory."""
        units: list[Unit] = []
        for path in request.paths:
            read = self._document(path)
            if isinstance(read, str):
                self.issues.append(Issue(_display(path, self.cwd), None, None, (), read))
            if not isinstance(read, tuple):
                return None
            unit = self.unit(read[0], read[1], env, request.project_directory, path, chain)
            if unit is None:
                return None
            units.append(unit)
        first = units[0]
        if len(units) > 1:
            first.tree = merge_files([u.tree for u in units])
            for later in units[1:]:
                first.positions.update(later.positions)
                first.origins.update(later.origins)
                first.entries.update(later.entries)
                name = first.found.name
                specfile.merge(first.found, later.found)
                first.found.name = name
        return first


def _display(path: str, cwd: str) -> str:
    """A file extends or include names, as errors show it: relative to the current folder when under it."""
    rel = os.path.relpath(path, cwd)
    return path if rel.startswith("..") else rel


def version_of(doc: Document, issues: list[Issue]) -> str | None:
    """The file's format version (3.13 when left out); None (reported) when unsupported."""
    raw = doc.data.get("version")
    version = schemadocs.normalize_version(raw)
    if version is None:
        pos = doc.positions.get(("version",))
        issues.append(
            Issue(doc.file, pos.line if pos else None, pos.column if pos else None, ("version",),
                  f'unsupported compose file version "{raw}"; use 3.0 to 3.13, or leave version out for 3.13')
        )
    return version


def _without(data: dict[str, Any], paths: list[Path]) -> dict[str, Any]:
    """A copy of `data` without the service keys at `paths` (already reported)."""
    services = {k: dict(v) if isinstance(v, dict) else v for k, v in data.get("services", {}).items()}
    for path in paths:
        svc = services.get(str(path[1]))
        if isinstance(svc, dict):
            svc.pop(str(path[2]), None)
    out = dict(data)
    out["services"] = services
    return out
