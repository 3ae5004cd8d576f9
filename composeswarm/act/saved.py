"""Saved plans: `plan --out FILE` and `deploy --plan FILE` (terraform's plan file, for swarm).

The file holds the plan (as `plan -o json` shows it), the options it was made with, the version index
of every live object it was compared against, and digests of what it read: each compose and env file,
the resolved project (interpolation and env_file included) and each secret's and config's content.
Never a secret's content. `deploy --plan` reads the same files again, plans again against a fresh read
(while holding the deploy lock) and applies only when nothing of that changed: else it refuses, exit 1,
naming each object and file that changed, before any write.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from composeswarm.errors import EngineError, InputError, Issue

if TYPE_CHECKING:
    from composeswarm.act.deploy import Deployment
    from composeswarm.engine.live import LiveStack
    from composeswarm.load.model import Project
    from composeswarm.plan.changes import Plan

Json = dict[str, Any]
FORMAT = 1
MAX_PLAN_FILE = 20 * 1024 * 1024


def live_versions(live: LiveStack) -> dict[str, int]:
    """`service st_web` -> version index of every live object of the stack (networks: 0, never updated)."""
    out: dict[str, int] = {}
    for kind, objects in (("service", live.services), ("secret", live.secrets), ("config", live.configs)):
        for obj in objects:
            out[f"{kind} {obj['Spec']['Name']}"] = int((obj.get("Version") or {}).get("Index", 0))
    for net in live.networks:
        out[f"network {net.get('Name')}"] = 0
    return dict(sorted(out.items()))


def file_digest(path: str) -> str:
    """sha256 of a file's content ("missing" when it cannot be read)."""
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read(64 * 1024 * 1024)).hexdigest()
    except OSError:
        return "missing"


def fingerprint(plan: Plan) -> list[str]:
    """The plan's changes in a comparable form: `action kind name: field, field`."""
    return [f"{c.action} {c.kind} {c.name}: " + ", ".join(f.path for f in c.fields) for c in plan.changes]


def checks_of(deployment: Deployment, describe: Callable[[Project], str]) -> Json:
    """What a later `deploy --plan` must find unchanged, for the deployment just planned."""
    from composeswarm.act.revisions import digests_of

    opts = deployment.opts
    assert deployment.project is not None and deployment.desired is not None and deployment.live is not None
    files = [f for f in (deployment.project.files or ()) if f != "<stdin>"]
    return {
        "files": {path: file_digest(path) for path in [*files, *(opts.env_files or [])]},
        "project": hashlib.sha256(describe(deployment.project).encode()).hexdigest(),
        "contents": digests_of(dict(deployment.desired.secrets), dict(deployment.desired.configs)),
        "versions": live_versions(deployment.live),
        "fingerprint": fingerprint(deployment.result.plan),
    }


def saved_document(stack: str, plan_json: Json, checks: Json, *, files: list[str], env_files: list[str], prune: bool) -> Json:
    """The saved plan file's JSON (docs/saved-plans.md)."""
    return {"format": FORMAT, "stack": stack, "options": {"files": files, "env_files": env_files, "prune": prune},
            "plan": plan_json, "checks": checks}


def write_saved(path: str, document: Json) -> None:
    """Write the file with mode 0600 (it names the stack's objects; it holds no secret content)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode with O_CREAT: set it
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=2)
        f.write("\n")


def read_saved(path: str) -> Json:
    """A saved plan file; InputError when it is not one."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_PLAN_FILE + 1)
    except OSError as exc:
        raise _bad(f"cannot read the saved plan {path}: {exc.strerror}") from None
    try:
        doc = json.loads(raw) if len(raw) <= MAX_PLAN_FILE else None
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("checks"), dict):
        raise _bad(f"{path} is not a saved plan of this composeswarm (made by `plan --out`)")
    return doc


def stale(saved: Json, now: Json) -> list[str]:
    """What changed between a saved plan's checks and a fresh plan's, one line each (empty: still valid)."""
    out: list[str] = []
    before, after = saved.get("files") or {}, now.get("files") or {}
    for path in sorted(set(before) | set(after)):
        if before.get(path) != after.get(path):
            out.append(f"file {path} changed since the plan")
    was, is_ = saved.get("versions") or {}, now.get("versions") or {}
    for name in sorted(set(was) | set(is_)):
        if name not in is_:
            out.append(f"{name} was removed since the plan")
        elif name not in was:
            out.append(f"{name} was created since the plan")
        elif was[name] != is_[name]:
            out.append(f"{name} changed since the plan (version {was[name]} -> {is_[name]})")
    for kind in ("secrets", "configs"):
        old, new = (saved.get("contents") or {}).get(kind, {}), (now.get("contents") or {}).get(kind, {})
        for name in sorted(set(old) | set(new)):
            if old.get(name) != new.get(name):
                out.append(f"the content of {kind[:-1]} {name} changed since the plan")
    if not out and saved.get("project") != now.get("project"):
        out.append("the resolved project changed since the plan (variables or env_file)")
    if not out and saved.get("fingerprint") != now.get("fingerprint"):
        out.append("planning again gives another plan")
    return out


def verifier(path: str, saved: Json, describe: Callable[[Project], str]) -> Callable[[Deployment], None]:
    """The check `deploy --plan` makes once it has planned again: EngineError naming what changed."""

    def verify(deployment: Deployment) -> None:
        changed = stale(saved.get("checks") or {}, checks_of(deployment, describe))
        if saved.get("stack") != deployment.opts.stack:
            changed.insert(0, f"the plan is for stack {saved.get('stack')}, not {deployment.opts.stack}")
        if changed:
            raise EngineError(f"the saved plan {path} is stale, nothing was applied: " + "; ".join(changed))

    return verify


def options_of(saved: Json) -> Mapping[str, Any]:
    """The files, env files and --prune the plan was made with."""
    options = saved.get("options") or {}
    return {"files": list(options.get("files") or []) or None, "env_files": list(options.get("env_files") or []) or None,
            "prune": bool(options.get("prune"))}


def _bad(message: str) -> InputError:
    return InputError([Issue("", None, None, (), message)])
