"""Write schemas/config_schema_v3.<minor>.json for compose formats 3.0 to 3.13 from one description.

The description follows the Compose file version 3 reference (docs.docker.com, "Compose file version
3 reference") and the per-version additions listed in the project's reference notes (§1.3). Each key
carries the minor version that introduced it. Run: `python scripts/gen_schemas.py` from the repo root.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

LATEST = 13
Schema = dict[str, Any]

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "schemas"

# One description for every version: ("since", minor, schema) wraps a property added in 3.<minor>.


def since(minor: int, schema: Schema) -> tuple[int, Schema]:
    """Mark a property as introduced in 3.<minor>."""
    return (minor, schema)


def ref(name: str) -> Schema:
    return {"$ref": f"#/definitions/{name}"}


STRING: Schema = {"type": "string"}
BOOL: Schema = {"type": "boolean"}
INT: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
DURATION: Schema = {"type": "string", "format": "duration"}
X_PATTERN = "^x-"


def obj(props: dict[str, Any], minor: int, *, extensions_since: int | None = None, **extra: Any) -> Schema:
    """An object with the properties that exist in 3.<minor>; no other keys allowed."""
    properties: Schema = {}
    for key, value in props.items():
        if isinstance(value, tuple):
            first, value = value
            if minor < first:
                continue
        properties[key] = resolve(value, minor)
    out: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if extensions_since is not None and minor >= extensions_since:
        out["patternProperties"] = {X_PATTERN: {}}
    out.update(extra)
    return out


def resolve(value: Any, minor: int) -> Any:
    """Let descriptions be callables of the minor version."""
    return value(minor) if callable(value) else value


def external(minor: int) -> Schema:
    """`external: true` or `external: {name: x}` (networks and volumes: no other keys)."""
    return {
        "type": ["boolean", "object"],
        "properties": {"name": STRING},
        "additionalProperties": False,
    }


def external_open(minor: int) -> Schema:
    """Secrets and configs: the object form does not restrict other keys."""
    return {"type": ["boolean", "object"], "properties": {"name": STRING}}


def service(minor: int) -> Schema:
    file_ref = {
        "oneOf": [
            STRING,
            # docker leaves other keys open here (they are ignored); checks.py warns about them
            {
                "type": "object",
                "properties": {"source": STRING, "target": STRING, "uid": STRING, "gid": STRING, "mode": NUMBER},
            },
        ]
    }
    port_long = {
        "type": "object",
        "properties": {"mode": STRING, "target": INT, "published": INT, "protocol": STRING},
        "additionalProperties": False,
    }
    port_items: list[Schema] = [{"type": "number", "format": "ports"}, {"type": "string", "format": "ports"}]
    if minor >= 2:
        port_items.append(port_long)
    volume_long = obj(
        {
            "type": STRING,
            "source": STRING,
            "target": STRING,
            "read_only": BOOL,
            "consistency": STRING,
            # option blocks are open in docker's schema (other keys ignored); checks.py warns about them
            "bind": {"type": "object", "properties": {"propagation": STRING}},
            "volume": {"type": "object", "properties": {"nocopy": BOOL}},
            "tmpfs": since(6, {"type": "object", "properties": {"size": {"type": "integer", "minimum": 0}}}),
        },
        minor,
        required=["type"],
    )
    volume_items: list[Schema] = [STRING] + ([volume_long] if minor >= 2 else [])
    build: Schema = {
        "oneOf": [
            STRING,
            obj(
                {
                    "context": STRING,
                    "dockerfile": STRING,
                    "args": ref("list_or_dict"),
                    "labels": since(3, ref("list_or_dict")),
                    "cache_from": since(2, ref("list_of_strings")),
                    "network": since(4, STRING),
                    "target": since(4, STRING),
                    "shm_size": since(5, {"type": ["integer", "string"]}),
                    "extra_hosts": since(9, ref("list_or_dict")),
                },
                minor,
            ),
        ]
    }
    if minor >= 11:
        build["oneOf"][1]["additionalProperties"] = True
    depends_on: Schema = {
        "oneOf": [
            ref("list_of_strings"),
            # composeswarm extension (docs/loading.md): the long form, used for deploy ordering.
            {
                "type": "object",
                "patternProperties": {
                    "^[a-zA-Z0-9._-]+$": {
                        "type": "object",
                        "properties": {
                            "condition": {
                                "type": "string",
                                "enum": ["service_started", "service_healthy", "service_completed_successfully"],
                            }
                        },
                        "required": ["condition"],
                        "additionalProperties": False,
                    }
                },
                "additionalProperties": False,
            },
        ]
    }
    service_network = {
        "oneOf": [
            {
                "type": "object",
                "properties": {
                    "aliases": ref("list_of_strings"),
                    "ipv4_address": STRING,
                    "ipv6_address": STRING,
                    **({"driver_opts": ref("driver_opts")} if minor >= 13 else {}),
                },
                "additionalProperties": False,
            },
            {"type": "null"},
        ]
    }
    props: dict[str, Any] = {
        "deploy": ref("deployment"),
        "build": build,
        "cap_add": {"type": "array", "items": STRING, "uniqueItems": True},
        "cap_drop": {"type": "array", "items": STRING, "uniqueItems": True},
        "cgroupns_mode": since(9, STRING),
        "cgroup_parent": STRING,
        "command": {"type": ["string", "array"], "items": STRING},
        "configs": since(3, {"type": "array", "items": file_ref}),
        "container_name": STRING,
        "credential_spec": since(3, obj({"config": since(8, STRING), "file": STRING, "registry": STRING}, minor)),
        "depends_on": depends_on,
        "devices": ref("list_of_strings"),
        "dns": ref("string_or_list"),
        "dns_search": ref("string_or_list"),
        "domainname": STRING,
        "entrypoint": {"type": ["string", "array"], "items": STRING},
        "env_file": ref("string_or_list"),
        "environment": ref("list_or_dict"),
        # docker's schema names an "expose" format but registers no checker for it: any value passes
        "expose": {"type": "array", "items": {"type": ["string", "number"]}, "uniqueItems": True},
        "external_links": ref("list_of_strings"),
        "extra_hosts": ref("list_or_dict"),
        "healthcheck": ref("healthcheck"),
        "hostname": STRING,
        "image": STRING,
        "init": since(7, BOOL),
        "ipc": STRING,
        "isolation": since(5, STRING),
        "labels": ref("list_or_dict"),
        "links": ref("list_of_strings"),
        "logging": obj(
            {
                "driver": STRING,
                "options": {
                    "type": "object",
                    "patternProperties": {"^.+$": {"type": ["string", "number", "null"]}},
                },
            },
            minor,
        ),
        "mac_address": STRING,
        "network_mode": STRING,
        "networks": {
            "oneOf": [
                ref("list_of_strings"),
                {
                    "type": "object",
                    "patternProperties": {"^[a-zA-Z0-9._-]+$": service_network},
                    "additionalProperties": False,
                },
            ]
        },
        "oom_score_adj": since(13, {"type": "integer", "minimum": -1000, "maximum": 1000}),
        "pid": {"type": ["string", "null"]},
        "ports": {"type": "array", "items": {"oneOf": port_items}, "uniqueItems": True},
        "privileged": BOOL,
        "read_only": BOOL,
        "restart": STRING,
        "secrets": since(1, {"type": "array", "items": file_ref}),
        "security_opt": {"type": "array", "items": STRING, "uniqueItems": True},
        "shm_size": {"type": ["number", "string"]},
        "sysctls": ref("list_or_dict"),
        "stdin_open": BOOL,
        "stop_grace_period": DURATION,
        "stop_signal": STRING,
        "tmpfs": ref("string_or_list"),
        "tty": BOOL,
        "ulimits": {
            "type": "object",
            "patternProperties": {
                "^[a-z]+$": {
                    "oneOf": [
                        INT,
                        {
                            "type": "object",
                            "properties": {"hard": INT, "soft": INT},
                            "required": ["soft", "hard"],
                            "additionalProperties": False,
                        },
                    ]
                }
            },
        },
        "user": STRING,
        "userns_mode": STRING,
        "volumes": {"type": "array", "items": {"oneOf": volume_items}, "uniqueItems": True},
        "working_dir": STRING,
    }
    return obj(props, minor, extensions_since=7)


def deployment(minor: int) -> Schema:
    update = obj(
        {
            "parallelism": INT,
            "delay": DURATION,
            "failure_action": STRING,
            "monitor": DURATION,
            "max_failure_ratio": NUMBER,
            "order": since(4, {"type": "string", "enum": ["start-first", "stop-first"]}),
        },
        minor,
    )
    generic = {
        "type": "array",
        "items": obj(
            {
                "discrete_resource_spec": obj({"kind": STRING, "value": NUMBER}, minor),
            },
            minor,
        ),
    }
    resources = obj(
        {
            "limits": obj({"cpus": STRING, "memory": STRING, "pids": since(9, INT)}, minor),
            "reservations": obj(
                {"cpus": STRING, "memory": STRING, "generic_resources": since(5, generic)}, minor
            ),
        },
        minor,
    )
    body = obj(
        {
            "mode": STRING,
            "endpoint_mode": since(2, STRING),
            "replicas": INT,
            "labels": ref("list_or_dict"),
            "rollback_config": since(7, update),
            "update_config": update,
            "resources": resources,
            "restart_policy": obj(
                {"condition": STRING, "delay": DURATION, "max_attempts": INT, "window": DURATION}, minor
            ),
            "placement": obj(
                {
                    "constraints": {"type": "array", "items": STRING},
                    "preferences": since(3, {"type": "array", "items": obj({"spread": STRING}, minor)}),
                    "max_replicas_per_node": since(8, INT),
                },
                minor,
            ),
        },
        minor,
    )
    body["type"] = ["object", "null"]
    return body


def healthcheck(minor: int) -> Schema:
    return obj(
        {
            "disable": BOOL,
            "interval": DURATION,
            "retries": NUMBER,
            "test": {"type": ["string", "array"], "items": STRING},
            "timeout": DURATION,
            "start_period": since(4, DURATION),
            "start_interval": since(12, DURATION),
        },
        minor,
    )


def network(minor: int) -> Schema:
    body = obj(
        {
            "name": since(5, STRING),
            "driver": STRING,
            "driver_opts": ref("driver_opts"),
            "ipam": obj(
                {
                    "driver": STRING,
                    "config": {"type": "array", "items": obj({"subnet": STRING}, minor)},
                },
                minor,
            ),
            "external": external,
            "internal": BOOL,
            "attachable": since(2, BOOL),
            "labels": ref("list_or_dict"),
        },
        minor,
        extensions_since=7,
    )
    body["type"] = ["object", "null"]
    return body


def volume(minor: int) -> Schema:
    body = obj(
        {
            "name": since(4, STRING),
            "driver": STRING,
            "driver_opts": ref("driver_opts"),
            "external": external,
            "labels": ref("list_or_dict"),
            "x-cluster-spec": since(10, cluster_spec()),
        },
        minor,
        extensions_since=7,
    )
    body["type"] = ["object", "null"]
    return body


def secret(minor: int) -> Schema:
    return obj(
        {
            "name": since(5, STRING),
            "file": STRING,
            "external": external_open,
            "labels": ref("list_or_dict"),
            "driver": since(8, STRING),
            "driver_opts": since(8, ref("driver_opts")),
            "template_driver": since(8, STRING),
        },
        minor,
        extensions_since=7,
    )


def config(minor: int) -> Schema:
    return obj(
        {
            "name": since(5, STRING),
            "file": STRING,
            "external": external_open,
            "labels": ref("list_or_dict"),
            "template_driver": since(8, STRING),
        },
        minor,
        extensions_since=7,
    )


def named(definition: str, closed: bool = True) -> Schema:
    """A mapping of names to `definition`; closed: other names are errors."""
    out: Schema = {"type": "object", "patternProperties": {"^[a-zA-Z0-9._-]+$": ref(definition)}}
    if closed:
        out["additionalProperties"] = False
    return out


def cluster_spec() -> Schema:
    """x-cluster-spec (3.10): a CSI cluster volume, as swarm's ClusterVolumeSpec."""
    topology = {"type": "array", "items": {"type": "object", "properties": {"segments": ref("list_or_dict")}}}
    return {
        "type": "object",
        "properties": {
            "group": STRING,
            "access_mode": {
                "type": "object",
                "properties": {
                    "scope": STRING,
                    "sharing": STRING,
                    "block_volume": {"type": "object"},
                    "mount_volume": {
                        "type": "object",
                        "properties": {"fs_type": STRING, "mount_flags": {"type": "array", "items": STRING}},
                    },
                },
            },
            "accessibility_requirements": {
                "type": "object",
                "properties": {"requisite": topology, "preferred": topology},
            },
            "capacity_range": {
                "type": "object",
                "properties": {"required_bytes": STRING, "limit_bytes": STRING},
            },
            "secrets": {"type": "array", "items": {"type": "object", "properties": {"key": STRING, "secret": STRING}}},
            "availability": STRING,
        },
    }


def schema(minor: int) -> Schema:
    """The whole schema for compose format 3.<minor>."""
    top: dict[str, Any] = {
        "version": STRING,
        "services": named("service"),
        "networks": named("network", closed=False),
        "volumes": named("volume"),
        "secrets": since(1, named("secret")),
        "configs": since(3, named("config")),
    }
    out = obj(top, minor, extensions_since=4)
    if minor < 10:
        out["required"] = ["version"]
    definitions: Schema = {
        "service": service(minor),
        "deployment": deployment(minor),
        "healthcheck": healthcheck(minor),
        "network": network(minor),
        "volume": volume(minor),
        "secret": secret(minor),
        "config": config(minor),
        "string_or_list": {"oneOf": [STRING, ref("list_of_strings")]},
        "list_of_strings": {"type": "array", "items": STRING, "uniqueItems": True},
        "list_or_dict": {
            "oneOf": [
                {
                    "type": "object",
                    "patternProperties": {".+": {"type": ["string", "number", "null"]}},
                    "additionalProperties": False,
                },
                {"type": "array", "items": STRING, "uniqueItems": True},
            ]
        },
        "driver_opts": {
            "type": "object",
            "patternProperties": {"^.+$": {"type": ["string", "number"]}},
        },
    }
    if minor < 1:
        del definitions["secret"]
    if minor < 3:
        del definitions["config"]
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": f"composeswarm:config_schema_v3.{minor}.json",
        "title": f"Compose file format 3.{minor} (as docker stack deploy accepts it)",
        **out,
        "definitions": definitions,
    }


def main() -> int:
    """Write every version's schema; with --check, fail if a file on disk differs."""
    check = "--check" in sys.argv[1:]
    stale = []
    for minor in range(LATEST + 1):
        path = OUT / f"config_schema_v3.{minor}.json"
        text = json.dumps(schema(minor), indent=2, sort_keys=True) + "\n"
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
    if stale:
        print("out of date: " + ", ".join(stale) + " (run python scripts/gen_schemas.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
