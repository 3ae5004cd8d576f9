"""Normalise a service spec into a flat view keyed by compose words, so both sides compare like with like.

`service_view(spec, ...)` takes a ServiceSpec in the Engine API's JSON shape — either the one
composeswarm would send or the one the engine stored — and returns `{path: value}` where `path` is
the compose key when there is one (`deploy.replicas`, `environment.FOO`, `ports[0].published`) and
the Engine API path otherwise. Both sides pass through the same function, which is what makes a
redeploy of an unchanged file plan zero changes:

- engine defaults: a stored spec carries values the sender left out (`Replicas: 1` for nil,
  `Runtime: container`, `Isolation: default`, `FailureAction: pause`, `Order: stop-first`, endpoint
  mode `vip`, port protocol `tcp` and mode `ingress`, `MaxAttempts: 0`); empty values (null, `{}`,
  `[]`, `""`, `0`, `false`) mean "not set" on both sides, except where zero means something
  (`Replicas: 0`, `Parallelism: 0`);
- names, not IDs: the engine stores network IDs in `Networks[].Target` and secret/config IDs next
  to their names; the view keeps names only (`network_names` maps IDs to names);
- orders that carry no meaning are sorted (env, ports, mounts, secrets, configs, networks,
  aliases, constraints, capabilities, ulimits);
- units: durations in nanoseconds become Go duration strings (`1m30s`), CPUs become `0.5`;
- the image: the `com.docker.stack.image` label (the image as written in the file) stands for the
  image; `ContainerSpec.Image` is in the view only when pinned to a digest (the plan keeps the live
  pin for an unchanged label unless the registry was asked again, docker §5.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from composeswarm.dockerrules import defaults
from composeswarm.dockerrules.modes import MODE_NAMES
from composeswarm.dockerrules.stacknames import LABEL_IMAGE
from composeswarm.dockerrules.units import format_cpus, format_duration

PINNED = "TaskTemplate.ContainerSpec.Image"  # in a view only when it carries a digest

Json = dict[str, Any]
View = dict[str, Any]

# Values the engine stores when the sender left the field empty: they mean the same as "not set".
_DEFAULT_STRINGS: dict[str, str] = {
    "isolation": defaults.ISOLATION,
    "TaskTemplate.Runtime": defaults.RUNTIME,
    "deploy.endpoint_mode": defaults.ENDPOINT_MODE,
}
_UPDATE_DEFAULTS = {"failure_action": defaults.UPDATE_FAILURE_ACTION, "order": defaults.UPDATE_ORDER}
# Paths whose zero value is not "unset": `replicas: 0` scales to nothing, `parallelism: 0` is all at once.
_ZERO_MEANS_SOMETHING = frozenset(
    {"deploy.replicas", "deploy.update_config.parallelism", "deploy.rollback_config.parallelism"}
)


def is_empty(value: Any) -> bool:
    """True for the values the Engine API omits (`omitempty`): null, "", 0, false, {}, []."""
    # called some fifty times per service view: the cheapest tests first (issue 14)
    if value is None:
        return True
    if isinstance(value, dict):
        return all(is_empty(v) for v in value.values())
    if isinstance(value, _FALSY_MEANS_EMPTY):  # bool is an int: False is empty, True is not
        return not value
    return False


_FALSY_MEANS_EMPTY = (str, list, tuple, int, float)


def service_view(spec: Mapping[str, Any], network_names: Mapping[str, str] | None = None) -> View:
    """The flat, normalised view of one ServiceSpec (see the module docstring)."""
    spec = dict(spec)
    view: View = {}
    labels = dict(spec.pop("Labels", None) or {})
    task = dict(spec.pop("TaskTemplate", None) or {})
    container = dict(task.pop("ContainerSpec", None) or {})
    spec.pop("Name", None)

    image = container.pop("Image", None)
    view["image"] = labels.pop(LABEL_IMAGE, None) or image
    if image and "@" in str(image):
        view[PINNED] = image
    _put_map(view, "deploy.labels", labels)
    _container(view, container)
    _task(view, task, network_names or {})
    _mode(view, spec.pop("Mode", None) or {})
    for key, path in (("UpdateConfig", "deploy.update_config"), ("RollbackConfig", "deploy.rollback_config")):
        _update_config(view, path, spec.pop(key, None))
    _endpoint(view, spec.pop("EndpointSpec", None) or {})
    _generic(view, "", spec)

    for path, default in _DEFAULT_STRINGS.items():
        if view.get(path) == default:
            del view[path]
    return _kept(view)


def _kept(view: View) -> View:
    """`view` without its empty values (`is_empty`), but for the paths whose zero means something."""
    out: View = {}
    for key, value in view.items():
        # is_empty inlined for the scalars, most of a view's fifty values (issue 14)
        if value.__class__ is dict:
            empty = is_empty(value)
        else:
            empty = value is None or (not value and isinstance(value, _FALSY_MEANS_EMPTY))
        if not empty or key in _ZERO_MEANS_SOMETHING:
            out[key] = value
    return out


_CONTAINER_SCALARS = {
    "Command": "entrypoint",
    "Args": "command",
    "Hostname": "hostname",
    "Dir": "working_dir",
    "User": "user",
    "Groups": "group_add",
    "StopSignal": "stop_signal",
    "TTY": "tty",
    "OpenStdin": "stdin_open",
    "ReadOnly": "read_only",
    "Init": "init",
    "Isolation": "isolation",
    "OomScoreAdj": "oom_score_adj",
    "Hosts": "extra_hosts",
}


def _container(view: View, c: Json) -> None:
    for key, path in _CONTAINER_SCALARS.items():
        if key in c:
            view[path] = c.pop(key)
    view["stop_grace_period"] = format_duration(c.pop("StopGracePeriod", None))
    env: dict[str, str | None] = {}
    for item in c.pop("Env", None) or []:
        name, sep, value = str(item).partition("=")
        env[name] = value if sep else None
    for name in sorted(env):
        setting = env[name]
        view[f"environment.{name}"] = "(no value)" if setting is None else setting
    _put_map(view, "labels", c.pop("Labels", None) or {})
    _put_map(view, "sysctls", c.pop("Sysctls", None) or {})
    for key, path in (("CapabilityAdd", "cap_add"), ("CapabilityDrop", "cap_drop")):
        view[path] = sorted(c.pop(key, None) or [])
    for ulimit in sorted(c.pop("Ulimits", None) or [], key=lambda u: str(u.get("Name"))):
        view[f"ulimits.{ulimit.get('Name')}"] = {"soft": ulimit.get("Soft"), "hard": ulimit.get("Hard")}
    dns = c.pop("DNSConfig", None) or {}
    view["dns"] = dns.get("Nameservers")
    view["dns_search"] = dns.get("Search")
    view["dns_opt"] = dns.get("Options")
    health = c.pop("Healthcheck", None)
    if health is not None:
        view["healthcheck.test"] = health.get("Test")
        for key, name in (
            ("Interval", "interval"),
            ("Timeout", "timeout"),
            ("StartPeriod", "start_period"),
            ("StartInterval", "start_interval"),
        ):
            value = health.get(key)
            view[f"healthcheck.{name}"] = format_duration(value) if value else None
        view["healthcheck.retries"] = health.get("Retries")
    _privileges(view, c.pop("Privileges", None) or {}, c.get("Configs") or [])
    _files(view, "secrets", "SecretName", "SecretID", c.pop("Secrets", None) or [])
    _files(view, "configs", "ConfigName", "ConfigID", c.pop("Configs", None) or [])
    mounts = sorted(c.pop("Mounts", None) or [], key=lambda m: (str(m.get("Target")), str(m.get("Source"))))
    for i, mount in enumerate(mounts):
        _mount(view, f"volumes[{i}]", mount)
    _generic(view, "TaskTemplate.ContainerSpec", c)


def _privileges(view: View, priv: Json, configs: list[Json]) -> None:
    cred = priv.get("CredentialSpec") or {}
    # The engine holds the credential-spec config by ID; the service's own Configs list names it.
    ids = {ref.get("ConfigID"): ref.get("ConfigName") for ref in configs if ref.get("ConfigID")}
    config = cred.get("Config")
    view["credential_spec.config"] = ids.get(config, config) if config else None
    view["credential_spec.file"] = cred.get("File")
    view["credential_spec.registry"] = cred.get("Registry")
    rest = {k: v for k, v in priv.items() if k != "CredentialSpec"}
    _generic(view, "TaskTemplate.ContainerSpec.Privileges", rest)


def _files(view: View, path: str, name_key: str, id_key: str, refs: list[Json]) -> None:
    items = []
    for ref in refs:
        file = ref.get("File")
        if file:
            item: Json = {
                "source": ref.get(name_key),
                "target": file.get("Name"),
                "uid": file.get("UID") or "0",
                "gid": file.get("GID") or "0",
                "mode": file.get("Mode"),
            }
        else:  # a credential-spec config: no file, a runtime target
            item = {"source": ref.get(name_key), "runtime": True}
        item.update({k: v for k, v in ref.items() if k not in ("File", name_key, id_key, "Runtime")})
        items.append(item)
    items.sort(key=lambda i: (str(i.get("target")), str(i.get("source"))))
    for i, item in enumerate(items):
        for key, value in item.items():
            view[f"{path}[{i}].{key}"] = value


def _mount(view: View, path: str, mount: Json) -> None:
    m = dict(mount)
    view[f"{path}.type"] = m.pop("Type", None)
    view[f"{path}.source"] = m.pop("Source", None)
    view[f"{path}.target"] = m.pop("Target", None)
    view[f"{path}.read_only"] = m.pop("ReadOnly", None)
    consistency = m.pop("Consistency", None)
    view[f"{path}.consistency"] = None if consistency == "default" else consistency
    vol = dict(m.pop("VolumeOptions", None) or {})
    view[f"{path}.volume.nocopy"] = vol.pop("NoCopy", None)
    view[f"{path}.volume.subpath"] = vol.pop("Subpath", None)
    _put_map(view, f"{path}.volume.labels", vol.pop("Labels", None) or {})
    driver = vol.pop("DriverConfig", None) or {}
    view[f"{path}.volume.driver"] = driver.get("Name")
    _put_map(view, f"{path}.volume.driver_opts", driver.get("Options") or {})
    _generic(view, f"{path}.VolumeOptions", vol)
    bind = dict(m.pop("BindOptions", None) or {})
    view[f"{path}.bind.propagation"] = bind.pop("Propagation", None)
    _generic(view, f"{path}.BindOptions", bind)
    tmpfs = dict(m.pop("TmpfsOptions", None) or {})
    view[f"{path}.tmpfs.size"] = tmpfs.pop("SizeBytes", None)
    _generic(view, f"{path}.TmpfsOptions", tmpfs)
    _generic(view, path, m)


def _task(view: View, task: Json, net_names: Mapping[str, str]) -> None:
    resources = task.pop("Resources", None) or {}
    for kind in ("limits", "reservations"):
        res = dict(resources.get(kind.capitalize()) or {})
        view[f"deploy.resources.{kind}.cpus"] = format_cpus(res.pop("NanoCPUs", None))
        view[f"deploy.resources.{kind}.memory"] = res.pop("MemoryBytes", None)
        view[f"deploy.resources.{kind}.pids"] = res.pop("Pids", None)
        generic = res.pop("GenericResources", None) or []
        view[f"deploy.resources.{kind}.generic_resources"] = sorted(generic, key=repr) if generic else None
        _generic(view, f"TaskTemplate.Resources.{kind.capitalize()}", res)
    _generic(view, "TaskTemplate.Resources", {k: v for k, v in resources.items() if k not in ("Limits", "Reservations")})

    restart = task.pop("RestartPolicy", None)
    if restart is not None:
        view["deploy.restart_policy.condition"] = restart.get("Condition") or "any"
        view["deploy.restart_policy.delay"] = format_duration(restart.get("Delay"))
        view["deploy.restart_policy.max_attempts"] = restart.get("MaxAttempts")
        view["deploy.restart_policy.window"] = format_duration(restart.get("Window"))

    placement = dict(task.pop("Placement", None) or {})
    view["deploy.placement.constraints"] = sorted(placement.pop("Constraints", None) or [])
    view["deploy.placement.preferences"] = placement.pop("Preferences", None)
    view["deploy.placement.max_replicas_per_node"] = placement.pop("MaxReplicas", None)
    _generic(view, "TaskTemplate.Placement", placement)

    nets = []
    for net in task.pop("Networks", None) or []:
        target = str(net.get("Target"))
        nets.append((net_names.get(target, target), net))
    for name, net in sorted(nets, key=lambda n: n[0]):
        view[f"networks.{name}"] = "attached"
        view[f"networks.{name}.aliases"] = sorted(net.get("Aliases") or [])
        _put_map(view, f"networks.{name}.driver_opts", net.get("DriverOpts") or {})

    log = task.pop("LogDriver", None)
    if log is not None:
        view["logging.driver"] = log.get("Name")
        _put_map(view, "logging.options", log.get("Options") or {})
    task.pop("ForceUpdate", None)  # the engine's counter: the plan copies it, never compares it
    _generic(view, "TaskTemplate", task)


def _mode(view: View, mode: Json) -> None:
    if not mode:
        mode = {"Replicated": {}}
    for key, name in MODE_NAMES.items():
        if key not in mode:
            continue
        view["deploy.mode"] = name
        body = dict(mode[key] or {})
        if key == "Replicated":
            replicas = body.pop("Replicas", None)
            view["deploy.replicas"] = 1 if replicas is None else replicas
        elif key == "ReplicatedJob":
            view["deploy.replicas"] = body.pop("TotalCompletions", None) or 1
            view["Mode.ReplicatedJob.MaxConcurrent"] = body.pop("MaxConcurrent", None) or 1
        _generic(view, f"Mode.{key}", body)
    _generic(view, "Mode", {k: v for k, v in mode.items() if k not in MODE_NAMES})


def _update_config(view: View, path: str, cfg: Json | None) -> None:
    if cfg is None:
        return
    cfg = dict(cfg)
    parallelism = cfg.pop("Parallelism", None)
    view[f"{path}.parallelism"] = 0 if parallelism is None else parallelism
    view[f"{path}.delay"] = format_duration(cfg.pop("Delay", None) or None)
    view[f"{path}.monitor"] = format_duration(cfg.pop("Monitor", None) or None)
    view[f"{path}.max_failure_ratio"] = cfg.pop("MaxFailureRatio", None)
    for key, name in (("FailureAction", "failure_action"), ("Order", "order")):
        value = cfg.pop(key, None)
        view[f"{path}.{name}"] = None if value == _UPDATE_DEFAULTS[name] else value
    _generic(view, path, cfg)


def _endpoint(view: View, endpoint: Json) -> None:
    endpoint = dict(endpoint)
    view["deploy.endpoint_mode"] = endpoint.pop("Mode", None)
    ports = []
    for port in endpoint.pop("Ports", None) or []:
        item: Json = {
            "published": port.get("PublishedPort") or 0,
            "target": port.get("TargetPort") or 0,
            "protocol": port.get("Protocol") or "tcp",
            "mode": port.get("PublishMode") or "ingress",
        }
        if port.get("Name"):
            item["name"] = port["Name"]
        ports.append(item)
    ports.sort(key=lambda p: (p["published"], p["target"], p["protocol"], p["mode"]))
    for i, port in enumerate(ports):
        for key, value in port.items():
            view[f"ports[{i}].{key}"] = value
    _generic(view, "EndpointSpec", endpoint)


def _put_map(view: View, path: str, mapping: Mapping[str, Any]) -> None:
    for key in sorted(mapping):
        view[f"{path}.{key}"] = mapping[key]


def _generic(view: View, path: str, value: Any) -> None:
    """Anything without a compose word keeps its Engine API path, so nothing is silently ignored."""
    if isinstance(value, dict):
        for key in sorted(value):
            _generic(view, f"{path}.{key}" if path else str(key), value[key])
    elif not is_empty(value):
        view[path] = value


def _paths_an_older_engine_drops() -> frozenset[str]:
    """The view paths of the fields this engine's API does not know (`dockerrules.defaults`)."""
    probe = service_view(defaults.SPEC_OF_UNKNOWN_FIELDS)
    return frozenset(path for path, value in probe.items() if path not in service_view({}) and value is not None)


# Fields an engine older than the CLI drops on create (API 1.41 has no OomScoreAdj, StartInterval,
# NoNewPrivileges): absent on the live side, they are not a change.
ENGINE_MAY_DROP = _paths_an_older_engine_drops()
