"""One compose service -> the ServiceSpec docker stack deploy (CLI 28.2) sends, in Engine API JSON."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from composeswarm.convert.container import (
    convert_credential_spec,
    convert_dns,
    convert_environment,
    convert_extra_hosts,
    convert_healthcheck,
    convert_ulimits,
    effective_caps,
    shell_words,
)
from composeswarm.convert.scheduling import (
    convert_mode,
    convert_placement,
    convert_restart_policy,
    convert_update_config,
    stop_grace_period,
)
from composeswarm.errors import ConvertError
from composeswarm.dockerrules.imageref import check_image, normalize_image
from composeswarm.convert.mounts import convert_mounts
from composeswarm.dockerrules.stacknames import LABEL_IMAGE, Namespace, str_map, with_stack_label
from composeswarm.convert.network import convert_service_networks
from composeswarm.convert.objects import convert_references, credential_spec_config, sort_key
from composeswarm.convert.ports import convert_endpoint_spec
from composeswarm.convert.resources import convert_resources

R = TypeVar("R")


def _at(path: tuple[str | int, ...], fn: Callable[..., R], *args: Any) -> R:
    """Call a converter, putting `path` in front of the path of any error it raises."""
    try:
        return fn(*args)
    except ConvertError as exc:
        raise exc.under(*path) from None


def _configs(service: Mapping[str, Any], configs: Mapping[str, Any], ns: Namespace) -> list[dict[str, Any]]:
    """File config references plus the Runtime one a credential_spec config adds, sorted by name."""
    refs = _at(("configs",), convert_references, "config", service.get("configs"), configs, ns)
    runtime = credential_spec_config(service, configs, ns)
    if runtime is not None:
        refs.append(runtime)
        refs.sort(key=lambda e: sort_key(e, "ConfigName"))
    return refs


def _credential_config_name(key: str, configs: list[dict[str, Any]], ns: Namespace) -> str:
    """The engine name of the credential spec's config, found as docker finds it: a reference named
    exactly `key`, else `<stack>_<key>`. A config with another `name:` is not found (docker's rule)."""
    for candidate in (key, ns.scope(key)):
        if any(c["ConfigName"] == candidate for c in configs):
            return candidate
    raise ConvertError(
        ("credential_spec", "config"),
        f"invalid credential spec: spec specifies config {key}, but no such config can be found",
    )


def _container_spec(
    name: str, service: Mapping[str, Any], project: _Sections, ns: Namespace
) -> dict[str, Any]:
    """ContainerSpec, keys in Go's field order, zero values left out as Go's omitempty does."""
    image = _at(("image",), check_image, service.get("image"))
    spec: dict[str, Any] = {"Image": normalize_image(image)}
    spec["Labels"] = with_stack_label(ns, service.get("labels"))
    command = _at(("entrypoint",), shell_words, service.get("entrypoint"))
    if command:
        spec["Command"] = command
    args = _at(("command",), shell_words, service.get("command"))
    if args:
        spec["Args"] = args
    if service.get("hostname"):
        spec["Hostname"] = str(service["hostname"])
    env = convert_environment(service.get("environment"))
    if env:
        spec["Env"] = env
    if service.get("working_dir"):
        spec["Dir"] = str(service["working_dir"])
    if service.get("user"):
        spec["User"] = str(service["user"])
    configs = _configs(service, project.configs, ns)
    cred = _at(("credential_spec",), convert_credential_spec, service.get("credential_spec"), None)
    if cred is not None and (service.get("credential_spec") or {}).get("config"):
        cred["Config"] = _credential_config_name(str(service["credential_spec"]["config"]), configs, ns)
    spec["Privileges"] = {"CredentialSpec": cred, "SELinuxContext": None, "NoNewPrivileges": False}
    if service.get("init") is not None:
        spec["Init"] = bool(service["init"])
    if service.get("stop_signal"):
        spec["StopSignal"] = str(service["stop_signal"])
    if service.get("tty"):
        spec["TTY"] = True
    if service.get("stdin_open"):
        spec["OpenStdin"] = True
    if service.get("read_only"):
        spec["ReadOnly"] = True
    mounts = _at(("volumes",), convert_mounts, service.get("volumes"), project.volumes, ns)
    if mounts:
        spec["Mounts"] = mounts
    grace = _at(("stop_grace_period",), stop_grace_period, service.get("stop_grace_period"))
    if grace is not None:
        spec["StopGracePeriod"] = grace
    health = _at(("healthcheck",), convert_healthcheck, service.get("healthcheck"))
    if health is not None:
        spec["Healthcheck"] = health
    hosts = convert_extra_hosts(service.get("extra_hosts"))
    if hosts:
        spec["Hosts"] = hosts
    dns = convert_dns(service.get("dns"), service.get("dns_search"))
    if dns is not None:
        spec["DNSConfig"] = dns
    secrets = _at(("secrets",), convert_references, "secret", service.get("secrets"), project.secrets, ns)
    if secrets:
        spec["Secrets"] = secrets
    if configs:
        spec["Configs"] = configs
    if service.get("isolation"):
        spec["Isolation"] = str(service["isolation"])
    sysctls = str_map(service.get("sysctls"))
    if sysctls:
        spec["Sysctls"] = sysctls
    cap_add, cap_drop = effective_caps(service.get("cap_add"), service.get("cap_drop"))
    if cap_add:
        spec["CapabilityAdd"] = cap_add
    if cap_drop:
        spec["CapabilityDrop"] = cap_drop
    ulimits = convert_ulimits(service.get("ulimits"))
    if ulimits:
        spec["Ulimits"] = ulimits
    # `oom_score_adj` is never sent: CLI 28.2's ServiceConfig field lacks its mapstructure tag, so the
    # loader drops the key (docker stack config does not print it either)
    return spec


class _Sections:
    """The top-level sections a service refers to."""

    def __init__(self, networks: Mapping[str, Any], volumes: Mapping[str, Any],
                 secrets: Mapping[str, Any], configs: Mapping[str, Any]) -> None:
        self.networks = networks
        self.volumes = volumes
        self.secrets = secrets
        self.configs = configs


def convert_service(
    name: str,
    service: Mapping[str, Any],
    ns: Namespace,
    networks: Mapping[str, Any],
    volumes: Mapping[str, Any],
    secrets: Mapping[str, Any],
    configs: Mapping[str, Any],
) -> dict[str, Any]:
    """The ServiceSpec for service `name`; error paths are relative to the service."""
    sections = _Sections(networks, volumes, secrets, configs)
    deploy = service.get("deploy") or {}
    labels = with_stack_label(ns, deploy.get("labels"))
    labels[LABEL_IMAGE] = str(service.get("image") or "")
    labels = dict(sorted(labels.items()))
    container = _container_spec(name, service, sections, ns)
    task: dict[str, Any] = {"ContainerSpec": container}
    task["Resources"] = _at(("deploy", "resources"), convert_resources, deploy.get("resources"))
    restart = convert_restart_policy(service.get("restart"), deploy.get("restart_policy"))
    if restart is not None:
        task["RestartPolicy"] = restart
    task["Placement"] = convert_placement(deploy.get("placement"))
    nets = _at(("networks",), convert_service_networks, service.get("networks"), networks, ns, name)
    if nets:
        task["Networks"] = nets
    logging = service.get("logging")
    if logging is not None:
        driver: dict[str, Any] = {}
        if logging.get("driver"):
            driver["Name"] = str(logging["driver"])
        if logging.get("options"):
            driver["Options"] = str_map(logging["options"])
        task["LogDriver"] = driver
    task["ForceUpdate"] = 0
    spec: dict[str, Any] = {"Name": ns.scope(name), "Labels": labels, "TaskTemplate": task}
    spec["Mode"] = _at(("deploy",), convert_mode, deploy.get("mode"), deploy.get("replicas"))
    update = _at(("deploy", "update_config"), convert_update_config, deploy.get("update_config"))
    if update is not None:
        spec["UpdateConfig"] = update
    rollback = _at(("deploy", "rollback_config"), convert_update_config, deploy.get("rollback_config"))
    if rollback is not None:
        spec["RollbackConfig"] = rollback
    spec["EndpointSpec"] = _at(("ports",), convert_endpoint_spec, deploy.get("endpoint_mode"), service.get("ports"))
    return spec
