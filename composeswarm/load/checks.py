"""Checks beyond the schema: keys swarm ignores or forbids, references, images, files, ports.

`forbidden` and `ignored_keys` look at the raw (un-interpolated) service keys of each file, as
docker does; `check_project` looks at the merged, normalised project.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Mapping
from typing import Any

from composeswarm.dockerrules.imageref import check_image
from composeswarm.dockerrules.limits import data_limit, data_problem
from composeswarm.dockerrules.units import parse_cpus
from composeswarm.errors import ConvertError, Issue, Path, Severity
from composeswarm.load.dependson import read_depends_on
from composeswarm.load.refusals import check_service
from composeswarm.load.model import Entries, Position, did_you_mean, issue_at
from composeswarm.load.shortsyntax import VOLUME_BLOCKS

_RESOURCES = "set resource limits using deploy.resources"
FORBIDDEN: dict[str, str] = {
    "extends": "support for `extends` is not implemented yet",
    "volume_driver": "instead of setting the volume driver on the service, define a volume using the "
    "top-level `volumes` option and specify the driver there",
    "volumes_from": "to share a volume between services, define it using the top-level `volumes` option "
    "and reference it from each service that shares it using the service-level `volumes` option",
    "cpu_quota": _RESOURCES,
    "cpu_shares": _RESOURCES,
    "cpuset": _RESOURCES,
    "mem_limit": _RESOURCES,
    "memswap_limit": _RESOURCES,
}
UNSUPPORTED = (
    "build", "cgroupns_mode", "cgroup_parent", "devices", "domainname", "external_links", "ipc", "links",
    "mac_address", "network_mode", "pid", "privileged", "restart", "security_opt", "shm_size", "userns_mode",
)
DEPRECATED: dict[str, str] = {
    "container_name": "Setting the container name is not supported.",
    "expose": "Exposing ports is unnecessary - services on the same network can access each other's "
    "containers on any port.",
}

Reporter = Callable[[Path, str, Severity], None]


def _reporter(
    file: str, positions: Mapping[Path, Position], issues: list[Issue], entries: Entries | None = None
) -> Reporter:
    def report(path: Path, message: str, severity: Severity = "error") -> None:
        issues.append(issue_at(positions, path, message, file, severity, entries))

    return report


def _services(data: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    services = data.get("services")
    if not isinstance(services, dict):
        return []
    return [(name, svc) for name, svc in services.items() if isinstance(svc, dict)]


def forbidden(data: Mapping[str, Any], file: str, positions: Mapping[Path, Position]) -> list[Issue]:
    """Service keys docker refuses outright (fatal, checked before interpolation)."""
    issues: list[Issue] = []
    report = _reporter(file, positions, issues)
    for name, svc in _services(data):
        for key in svc:
            if key in FORBIDDEN:
                report(("services", name, key), f"'{key}' is not supported by docker stack deploy: {FORBIDDEN[key]}", "error")
    return issues


def ignored_keys(data: Mapping[str, Any], file: str, positions: Mapping[Path, Position]) -> list[Issue]:
    """Warnings for service keys swarm ignores (docker: "Ignoring unsupported/deprecated options")."""
    issues: list[Issue] = []
    report = _reporter(file, positions, issues)
    for name, svc in _services(data):
        for key in svc:
            path = ("services", name, key)
            if key == "restart":
                report(path, "docker reports 'restart' as unsupported, but uses it as the restart policy "
                       "when deploy.restart_policy is not set; prefer deploy.restart_policy", "warning")
            elif key in UNSUPPORTED:
                report(path, f"ignored: docker stack deploy does not support '{key}'", "warning")
            elif key in DEPRECATED:
                report(path, f"ignored: {DEPRECATED[key]}", "warning")
            elif key == "oom_score_adj":
                report(path, "ignored: docker 28.2 never reads oom_score_adj (its loader drops the key "
                       "silently), so the service keeps the default", "warning")
            elif key == "tmpfs":
                # docker drops it without a word; say so (composeswarm extension)
                report(path, "ignored: swarm services have no tmpfs option (docker drops it silently); "
                       "use a volume of type tmpfs", "warning")
        _open_blocks(name, svc, report)
        networks = svc.get("networks")
        if isinstance(networks, dict):
            for net, cfg in networks.items():
                for key in ("ipv4_address", "ipv6_address"):
                    if isinstance(cfg, dict) and key in cfg:
                        report(("services", name, "networks", net, key),
                               "ignored: swarm assigns service addresses (docker drops it silently)", "warning")
    return issues


_REF_KEYS = ("source", "target", "uid", "gid", "mode")


def _unknown(key: str, known: tuple[str, ...]) -> str:
    import difflib

    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown key '{key}' (docker ignores it){hint}"


def _open_blocks(name: str, svc: Mapping[str, Any], report: Reporter) -> None:
    """Keys docker's schema leaves open (and ignores): secret/config references, volume option blocks."""
    for kind in ("secrets", "configs"):
        refs = svc.get(kind)
        for i, ref in enumerate(refs if isinstance(refs, list) else []):
            if isinstance(ref, dict):
                for key in ref:
                    if key not in _REF_KEYS:
                        report(("services", name, kind, i, key), _unknown(key, _REF_KEYS), "warning")
    volumes = svc.get("volumes")
    for i, vol in enumerate(volumes if isinstance(volumes, list) else []):
        if not isinstance(vol, dict):
            continue
        for block, known in VOLUME_BLOCKS.items():
            options = vol.get(block)
            if isinstance(options, dict):
                for key in options:
                    if key not in known:
                        report(("services", name, "volumes", i, block, key), _unknown(key, known), "warning")


# --- the merged project -------------------------------------------------------------------------

def image_problem(image: str) -> str | None:
    """Why `image` is not a reference docker 28.2 accepts before deploying, or None.

    The grammar lives once, in composeswarm.dockerrules.imageref; this asks it early so
    `validate` reports the problem with its position.
    """
    try:
        check_image(image)
    except ConvertError as exc:
        return exc.message.removeprefix("invalid image reference: ")
    return None


def check_project(
    data: Mapping[str, Any], working_dir: str, positions: Mapping[Path, Position], file: str,
    entries: Entries | None = None,
) -> list[Issue]:
    """References, images, depends_on, secret/config files and ports of the merged project.

    `entries` says where service networks and depends_on names were written (see `model.Entries`).
    """
    issues: list[Issue] = []
    report = _reporter(file, positions, issues, entries)
    services: Mapping[str, Any] = data.get("services", {})
    sections = {s: data.get(s, {}) for s in ("networks", "volumes", "secrets", "configs")}
    for name, svc in services.items():
        base: Path = ("services", name)
        image = svc.get("image")
        problem = image_problem(image if isinstance(image, str) else "")
        if problem is not None:
            shown = f' "{image}"' if image else ""
            report(base + (("image",) if image is not None else ()), f"invalid image reference{shown}: {problem}", "error")
        for net in svc.get("networks", {}) or {}:
            if net not in sections["networks"] and net != "default":
                hint = did_you_mean(net, [*sections["networks"], "default"])
                report(base + ("networks", net), f'undefined network "{net}"; declare it under the top-level networks{hint}', "error")
        for i, vol in enumerate(svc.get("volumes", []) or []):
            if vol.get("type") == "volume" and vol.get("source") and vol["source"] not in sections["volumes"]:
                hint = did_you_mean(vol["source"], sections["volumes"])
                report(base + ("volumes", i), f'undefined volume "{vol["source"]}"; declare it under the top-level volumes{hint}', "error")
        for kind in ("secrets", "configs"):
            targets: dict[str, str] = {}
            for i, ref in enumerate(svc.get(kind, []) or []):
                source = ref.get("source", "")
                if source not in sections[kind]:
                    hint = did_you_mean(source, sections[kind])
                    report(base + (kind, i), f'undefined {kind[:-1]} "{source}"; declare it under the top-level {kind}{hint}', "error")
                target = ref.get("target") or source
                if target in targets:
                    report(base + (kind, i), f'duplicate {kind[:-1]} target "{target}" (also used by "{targets[target]}")', "error")
                targets.setdefault(target, source)
        cred = svc.get("credential_spec") or {}
        if cred.get("config") and cred["config"] not in sections["configs"]:
            hint = did_you_mean(cred["config"], sections["configs"])
            report(base + ("credential_spec", "config"), f'undefined config "{cred["config"]}"{hint}', "error")
        _check_ports(svc, base, report)
        _check_deploy(svc, base, report)
        check_service(svc, base, report)
        health = svc.get("healthcheck") or {}
        if health.get("disable") and health.get("test"):
            report(base + ("healthcheck",), "test and disable can't be set at the same time", "error")
    _check_depends_on(services, report)
    for kind in ("secrets", "configs"):
        for name, entry in sections[kind].items():
            _check_file(kind, name, entry, working_dir, report)
    return issues


def _check_ports(svc: Mapping[str, Any], base: Path, report: Reporter) -> None:
    endpoint_mode = str((svc.get("deploy") or {}).get("endpoint_mode") or "").lower()
    ports = svc.get("ports", []) or []
    ingress = [i for i, port in enumerate(ports) if port.get("mode") in (None, "ingress")]
    if endpoint_mode == "dnsrr" and ingress:
        # the engine refuses it (swarmkit validateEndpointSpec) after earlier objects were created
        shown = ", ".join(f"ports[{i}]" for i in ingress[:3]) + (", ..." if len(ingress) > 3 else "")
        report(base + ("deploy", "endpoint_mode"), f"dnsrr can't be used with ports in ingress mode ({shown}); "
               "publish them with mode: host or use vip", "error")
    for i, port in enumerate(ports):
        published, target = port.get("published"), port.get("target")
        if published is not None and not 0 <= published <= 65535:
            report(base + ("ports", i, "published"), f"published port must be 1-65535, got {published}", "error")
        if target is None:
            report(base + ("ports", i), "missing required key 'target'", "error")
        elif not 1 <= target <= 65535:
            report(base + ("ports", i, "target"), f"target port must be 1-65535, got {target}", "error")
        mode = port.get("mode")
        if mode not in (None, "ingress", "host"):
            report(base + ("ports", i, "mode"), f'must be one of ingress, host; got "{mode}"', "error")
        proto = port.get("protocol")
        if proto not in (None, "tcp", "udp", "sctp"):
            report(base + ("ports", i, "protocol"), f'must be one of tcp, udp, sctp; got "{proto}"', "error")




def _check_deploy(svc: Mapping[str, Any], base: Path, report: Reporter) -> None:
    deploy = svc.get("deploy") or {}
    mode = deploy.get("mode")
    if mode not in (None, "", "replicated", "global", "replicated-job", "global-job"):
        report(base + ("deploy", "mode"), f'unknown mode "{mode}"; use replicated, global, replicated-job or global-job', "error")
    if mode in ("global", "global-job") and deploy.get("replicas") is not None:
        report(base + ("deploy", "replicas"), "replicas can only be used with replicated or replicated-job mode", "error")
    resources = deploy.get("resources") or {}
    for part in ("limits", "reservations"):
        spec = resources.get(part) or {}
        cpus = spec.get("cpus")
        if cpus is not None:
            problem = _cpus_problem(cpus)
            if problem:
                report(base + ("deploy", "resources", part, "cpus"), problem, "error")
    restart = svc.get("restart")
    if restart is not None and "restart_policy" not in deploy:
        if re.fullmatch(r"(?:no|always|unless-stopped|on-failure(?::[0-9]+)?)?", restart) is None:
            report(base + ("restart",), f'invalid restart policy "{restart}"; use no, always, unless-stopped or on-failure[:N]', "error")


def _cpus_problem(cpus: str) -> str | None:
    try:
        parse_cpus(cpus.strip())
    except ConvertError as exc:
        if exc.message == "value is too precise":
            return f'invalid number of CPUs "{cpus}": value is too precise'
        return f'invalid number of CPUs "{cpus}"'
    return None


def _check_depends_on(services: Mapping[str, Any], report: Reporter) -> None:
    for path, message in read_depends_on(services)[1]:
        report(path, message, "error")


def _check_file(kind: str, name: str, entry: Mapping[str, Any], working_dir: str, report: Reporter) -> None:
    if entry.get("external") or entry.get("driver") or "environment" in entry or "content" in entry:
        return  # environment/content: a Compose Specification file's data (load/specfile.py)
    path: Path = (kind, name)
    file = entry.get("file")
    if not isinstance(file, str):
        return
    if os.path.normpath(file) == os.path.normpath(working_dir) or os.path.isdir(file):
        report(path, f"no file: a {kind[:-1]} needs file, external or driver (docker would try to read the folder {file})", "error")
        return
    shown = _shown_path(file, working_dir)
    try:
        size, exact = _data_size(file, data_limit(kind[:-1]))
    except OSError as exc:
        if "\x00" in file:
            report(path + ("file",), f"invalid file {shown}: the path contains a NUL byte", "error")
        else:
            report(path + ("file",), f"file not found: {shown}" if isinstance(exc, FileNotFoundError)
                   else f"cannot read {shown}: {exc.strerror}", "error")
        return
    problem = data_problem(kind[:-1], size)
    if problem is not None:
        shown_size = f"is {size} bytes" if exact else f"has {size} bytes or more"
        report(path + ("file",), f"file {shown} {shown_size}: {problem}", "error")


def _data_size(file: str, limit: int) -> tuple[int, bool]:
    """The size of a secret/config file and whether it is exact: a device or a pipe (`/dev/zero`)
    has no size, so it is read, up to `limit` bytes."""
    if "\x00" in file:
        raise OSError(22, "invalid argument")
    info = os.stat(file)
    if stat.S_ISREG(info.st_mode):
        return info.st_size, True
    with open(file, "rb") as fh:
        size = len(fh.read(limit))
    return size, size < limit


def _shown_path(file: str, working_dir: str) -> str:
    """A path inside the project folder as ./relative (shorter, and the same on every machine)."""
    rel = os.path.relpath(file, working_dir)
    return file if rel.startswith("..") else "./" + rel
