"""The plan: desired specs against live state, as data. Printing and applying are its two consumers.

`make_plan(desired, live, ...)` compares like with like (engine defaults, unordered lists, units,
the pinned digest against the stack image label; see `plan.view`) and lists what must change;
`render.plan_report` prints a Plan and `act.apply.apply_plan` carries it out. Nothing here talks to the engine
or prints.

What each Change asks of the one who applies it (`changes` are in apply order):

| kind            | create                 | update                                   | replace                                   | remove            |
|-----------------|------------------------|------------------------------------------|-------------------------------------------|-------------------|
| network         | create `desired`       | never planned (docker never updates networks: a difference is a note) | never planned | never planned |
| secret / config | create `desired`       | labels only: update `live` ID/Version with `desired` (no Data) | create `desired` under its NEW name, `live` is None (rotation); the old version's `remove` comes after the services, with `part_of` set | remove `live` |
| service         | create `desired`       | update `live` ID/Version with `desired` (the whole spec) | remove `live`, then create `desired` (a mode swarm cannot change in place) | remove `live` |

Service specs in `desired` carry secret/config NAMES with "" IDs and network names in `Target`, as
the converter made them; IDs are bound at apply time (new secret versions get theirs only then).
"""

from __future__ import annotations

import base64
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, Literal

from composeswarm.dockerrules.stacknames import LABEL_IMAGE
from composeswarm.dockerrules.modes import mode_name
from composeswarm.plan.changes import Change, DesiredLike, FieldChange, Json, Kind, Plan
from composeswarm.plan.rotation import DIGEST_LABEL, NEW_CONTENT, OLD_CONTENT, content_digest, versioned_name
from composeswarm.plan.sensitive import is_sensitive
from composeswarm.plan.view import ENGINE_MAY_DROP, PINNED, service_view

if TYPE_CHECKING:
    from composeswarm.engine.live import LiveStack


def make_plan(
    desired: DesiredLike,
    live: LiveStack,
    *,
    prune: bool = False,
    show_sensitive: bool = False,
    network_names: Mapping[str, str] | None = None,
    keep: Collection[str] = (),
    pinned: Mapping[str, str] | None = None,
) -> Plan:
    """Compare the desired stack with the live one and list the changes, in apply order.

    `network_names` maps network IDs to names for networks outside the stack (external ones): the
    engine stores IDs in a service's network targets; without it only the stack's own are known.
    `keep` names secret and config versions never retired (the stack's retained revisions use them);
    `pinned` gives the content digest of secrets and configs whose Data is None (a rollback's).
    """
    builder = _Builder(desired, live, prune, show_sensitive, network_names or {})
    builder.keep, builder.pinned = frozenset(keep), dict(pinned or {})
    return builder.build()


class _Builder:
    def __init__(
        self,
        desired: DesiredLike,
        live: LiveStack,
        prune: bool,
        show_sensitive: bool,
        network_names: Mapping[str, str],
    ) -> None:
        self.desired = desired
        self.live = live
        self.prune = prune
        self.show_sensitive = show_sensitive
        self.network_names = dict(network_names)
        for net in live.networks:
            self.network_names[str(net.get("Id") or net.get("ID"))] = str(net.get("Name"))
        self.first: list[Change] = []  # pruned services: docker removes them before anything else
        self.objects: list[Change] = []  # networks, secrets, configs
        self.services: list[Change] = []
        self.last: list[Change] = []  # old versions of rotated secrets and configs
        self.unchanged: list[tuple[Kind, str]] = []
        self.notes: list[str] = []
        self.renamed: dict[str, dict[str, str]] = {"secret": {}, "config": {}}  # base -> current name
        self.keep: frozenset[str] = frozenset()
        self.pinned: dict[str, str] = {}

    def build(self) -> Plan:
        note = getattr(self.desired, "spec_note", None)  # first: it is about the files, not a change
        if note is not None:
            self.notes.append(note.removeprefix("note: "))
        self._networks()
        self._files("secret", self.desired.secrets, self.live.secrets)
        self._files("config", self.desired.configs, self.live.configs)
        self._services()
        return Plan(
            stack=self.desired.stack,
            changes=tuple(self.first + self.objects + self.services + self.last),
            unchanged=tuple(self.unchanged),
            external_networks=tuple(self.desired.external_networks),
            notes=tuple(self.notes),
        )

    # --- networks -----------------------------------------------------------------------------------

    def _networks(self) -> None:
        live_by_name = {str(n.get("Name")): n for n in self.live.networks}
        for name in sorted(self.desired.networks):
            body = self.desired.networks[name]
            net_name = str(body.get("Name") or name)
            current = live_by_name.get(net_name)
            if current is None:
                self.objects.append(Change("network", net_name, "create", desired=dict(body)))
                continue
            self.unchanged.append(("network", net_name))
            differences = _network_differences(body, current)
            if differences:
                self.notes.append(
                    f"network {net_name} differs from the file ({', '.join(differences)}); "
                    "networks are never updated (as with docker stack deploy): remove the stack to recreate it"
                )
        wanted = {str(body.get("Name") or name) for name, body in self.desired.networks.items()}
        for net_name in sorted(set(live_by_name) - wanted):
            self.notes.append(f"network {net_name} is no longer used by the files; it is left in place (as docker does)")

    # --- secrets and configs ------------------------------------------------------------------------

    def _files(self, kind: Literal["secret", "config"], desired: Mapping[str, Json], live: list[Json]) -> None:
        live_by_name = {str((o.get("Spec") or {}).get("Name")): o for o in live}
        claimed: set[str] = set()
        for key in sorted(desired):
            spec = dict(desired[key])
            base = str(spec.get("Name") or key)
            data = spec.get("Data")
            file_based = isinstance(data, (bytes, bytearray)) and not spec.get("Driver")
            digest = content_digest(bytes(data)) if isinstance(data, (bytes, bytearray)) and file_based else None
            if data is None and base in self.pinned:
                digest = self.pinned[base]
            if digest is not None:
                spec["Labels"] = {**(spec.get("Labels") or {}), DIGEST_LABEL: digest}
            versions = self._versions(base, live_by_name)
            claimed.update(str(v["Spec"]["Name"]) for v in versions)
            current = _current_version(base, versions, digest, kind)
            if current is None and not versions:
                self.renamed[kind][base] = base
                self.objects.append(Change(kind, base, "create", desired=spec))
                continue
            if current is None:
                # The content changed: a new version under a new name; services move to it, then
                # the old versions go (swarm refuses to change a secret's or config's data).
                assert digest is not None
                new_name = versioned_name(base, digest)
                self.renamed[kind][base] = new_name
                old_name = str(versions[-1]["Spec"]["Name"])  # the newest: the one services use
                rotation: tuple[FieldChange, ...] = (
                    FieldChange("name", old_name, new_name),
                    FieldChange("content", OLD_CONTENT, NEW_CONTENT),
                )
                # `live` stays None: the new version is created beside the old one, never updated.
                self.objects.append(
                    Change(kind, new_name, "replace", rotation, dict(spec, Name=new_name), reason="content changed")
                )
                for version in versions:
                    self._retire(kind, version, part_of=new_name)
                continue
            current_name = str(current["Spec"]["Name"])
            self.renamed[kind][base] = current_name
            if kind == "secret" and digest is not None and DIGEST_LABEL not in (current["Spec"].get("Labels") or {}):
                self.notes.append(
                    f"secret {current_name} has no content digest (not created by composeswarm): "
                    "the engine never returns secret data, so it is taken as unchanged"
                )
            for version in versions:
                if version is not current:
                    self._retire(kind, version, part_of=None)
            fields = _label_changes(spec.get("Labels") or {}, current["Spec"].get("Labels") or {})
            if fields:
                labels = dict(spec.get("Labels") or {})
                if DIGEST_LABEL not in (current["Spec"].get("Labels") or {}):
                    labels.pop(DIGEST_LABEL, None)  # its content was never checked: claim nothing
                body = {k: v for k, v in spec.items() if k != "Data"}
                body.update(Name=current_name, Labels=labels)
                self.objects.append(Change(kind, current_name, "update", fields, body, current))
            else:
                self.unchanged.append((kind, current_name))
        for name in sorted(set(live_by_name) - claimed):
            self.notes.append(f"{kind} {name} is no longer in the file; it is left in place (as docker does)")

    def _versions(self, base: str, live_by_name: Mapping[str, Json]) -> list[Json]:
        """Live objects that are versions of `base`: the base name itself, or a rotated name."""
        out = []
        for name, obj in live_by_name.items():
            labels = obj["Spec"].get("Labels") or {}
            digest = labels.get(DIGEST_LABEL)
            if name == base or (digest and name == versioned_name(base, str(digest))):
                out.append(obj)
        out.sort(key=lambda o: (o["Spec"]["Name"] != base, str(o.get("CreatedAt"))))
        return out

    def _retire(self, kind: Literal["secret", "config"], version: Json, part_of: str | None) -> None:
        """Plan the removal of an old version, unless a service that stays out of the plan uses it."""
        name = str(version["Spec"]["Name"])
        if name in self.keep:
            self.notes.append(f"{kind} {name} is an old version kept for the stack's history (--history-limit)")
            return
        desired_names = {str(s.get("Name") or k) for k, s in self.desired.services.items()}
        key = "Secrets" if kind == "secret" else "Configs"
        ref_key = "SecretName" if kind == "secret" else "ConfigName"
        for service in self.live.services:
            spec = service.get("Spec") or {}
            sname = str(spec.get("Name"))
            if sname in desired_names or self.prune:
                continue
            refs = ((spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}).get(key) or []
            if any(r.get(ref_key) == name for r in refs):
                self.notes.append(f"{kind} {name} is an old version but service {sname} still uses it; it is kept")
                return
        self.last.append(Change(kind, name, "remove", live=version, part_of=part_of, reason="old version"))

    # --- services -----------------------------------------------------------------------------------

    def _services(self) -> None:
        live_by_name = {str((s.get("Spec") or {}).get("Name")): s for s in self.live.services}
        desired_names = set()
        for key in sorted(self.desired.services):
            spec = self._bind_names(self.desired.services[key])
            name = str(spec.get("Name") or key)
            desired_names.add(name)
            current = live_by_name.get(name)
            if current is None:
                self.services.append(Change("service", name, "create", desired=spec))
                continue
            live_spec = current.get("Spec") or {}
            send = _to_send(spec, live_spec)
            names = self._network_names_for(live_spec, send)
            fields = self._diff(service_view(live_spec, names), service_view(send, names))
            if mode_name(live_spec) != mode_name(send):
                self.services.append(
                    Change("service", name, "replace", fields, spec, current, reason="the mode cannot change in place")
                )
            elif fields:
                self.services.append(Change("service", name, "update", fields, send, current))
            elif (current.get("UpdateStatus") or {}).get("State") in ("paused", "rollback_paused"):
                # swarm resumes a paused update when the spec is sent again; docker stack deploy always sends it
                what = "rollback" if current["UpdateStatus"]["State"] == "rollback_paused" else "update"
                self.services.append(Change("service", name, "update", (), send, current,
                                            reason=f"its {what} is paused: sent again to resume"))
            else:
                self.unchanged.append(("service", name))
        left_out = set(getattr(self.desired, "left_out", ()))
        for name in sorted(set(live_by_name) - desired_names):
            if name in left_out:
                self.notes.append(f"service {name} is left out by the active profiles; it is kept, even with --prune")
            elif self.prune:
                self.first.append(Change("service", name, "remove", live=live_by_name[name], reason="not in the file"))
            else:
                self.notes.append(f"service {name} is not in the file; --prune removes it")

    def _network_names_for(self, live: Json, desired: Json) -> Mapping[str, str]:
        """ID -> name, plus one live target nobody could name paired with the one desired name left.

        The engine stores `host` (an external network named host) as the ID of the predefined
        swarm-scope network, which no network list shows; one unknown on each side is that pair.
        """
        live_targets = [str(n.get("Target")) for n in _networks(live)]
        unknown = [t for t in live_targets if t not in self.network_names]
        if len(unknown) != 1:
            return self.network_names
        known = {self.network_names[t] for t in live_targets if t in self.network_names}
        left = [str(n.get("Target")) for n in _networks(desired) if n.get("Target") not in known]
        if len(left) != 1:
            return self.network_names
        return {**self.network_names, unknown[0]: left[0]}

    def _bind_names(self, spec: Json) -> Json:
        """The spec with secret and config references pointing at their current (or new) versions."""
        container = (spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}
        if not (container.get("Secrets") or container.get("Configs")):
            return dict(spec)
        container = dict(container)
        for kind, key, ref_key in (("secret", "Secrets", "SecretName"), ("config", "Configs", "ConfigName")):
            renamed = self.renamed[kind]
            if container.get(key):
                container[key] = [
                    dict(ref, **{ref_key: renamed.get(ref.get(ref_key), ref.get(ref_key))}) for ref in container[key]
                ]
        privileges = container.get("Privileges") or {}
        cred = privileges.get("CredentialSpec") or {}
        if cred.get("Config") in self.renamed["config"]:  # a credential-spec config follows its rotation too
            cred = dict(cred, Config=self.renamed["config"][cred["Config"]])
            container["Privileges"] = dict(privileges, CredentialSpec=cred)
        task = dict(spec["TaskTemplate"], ContainerSpec=container)
        return dict(spec, TaskTemplate=task)

    def _diff(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
        out = []
        if before.get("image") != after.get("image"):  # the written image says it; the pinned one is detail
            before = {k: v for k, v in before.items() if k != PINNED}
            after = {k: v for k, v in after.items() if k != PINNED}
        for path in _ordered_union(before, after):
            old, new = before.get(path), after.get(path)
            if old is None and path in ENGINE_MAY_DROP:
                continue  # an older engine ignores the field: sending it again changes nothing
            if old != new:
                shown = "image" if path == PINNED else path  # same written image, a new digest
                out.append(FieldChange(shown, old, new, sensitive=not self.show_sensitive and is_sensitive(path)))
        return tuple(out)


def _to_send(desired: Json, live: Json) -> Json:
    """The whole spec an update sends: desired, plus what the engine owns (docker §5.2, §5.3)."""
    send = dict(desired)
    live_task = live.get("TaskTemplate") or {}
    task = dict(send.get("TaskTemplate") or {})
    if live_task.get("ForceUpdate") is not None:
        task["ForceUpdate"] = live_task["ForceUpdate"]
    image_label = (desired.get("Labels") or {}).get(LABEL_IMAGE)
    live_image = (live_task.get("ContainerSpec") or {}).get("Image")
    desired_image = str((task.get("ContainerSpec") or {}).get("Image") or "")
    # An image the registry just pinned (--resolve-image always) is sent as resolved: a moved tag rolls.
    unpinned = "@" not in desired_image
    if image_label is not None and image_label == (live.get("Labels") or {}).get(LABEL_IMAGE) and live_image and unpinned:
        task["ContainerSpec"] = dict(task.get("ContainerSpec") or {}, Image=live_image)
        # the platforms resolved with that digest belong to it: dropping them would restart tasks
        platforms = (live_task.get("Placement") or {}).get("Platforms")
        if platforms and not (task.get("Placement") or {}).get("Platforms"):
            task["Placement"] = dict(task.get("Placement") or {}, Platforms=platforms)
    send["TaskTemplate"] = task
    return send


def _networks(spec: Mapping[str, Any]) -> list[Json]:
    return list((spec.get("TaskTemplate") or {}).get("Networks") or [])


def _current_version(base: str, versions: list[Json], digest: str | None, kind: str) -> Json | None:
    """The live version whose content is the desired one, or None when the content changed."""
    if not versions:
        return None
    if digest is None:  # not file-based (driver): content is not ours to compare
        return versions[0]
    for version in versions:
        spec = version.get("Spec") or {}
        recorded = (spec.get("Labels") or {}).get(DIGEST_LABEL)
        if recorded is not None:
            if recorded == digest:
                return version
            continue
        data = spec.get("Data")  # configs come back with their data; secrets never do
        if data is not None:
            if content_digest(base64.b64decode(data)) == digest:
                return version
            continue
        return version  # a secret without the label (docker made it): taken as unchanged
    return None


def _label_changes(desired: Mapping[str, str], live: Mapping[str, str]) -> tuple[FieldChange, ...]:
    out = []
    for key in sorted(set(desired) | set(live)):
        if key == DIGEST_LABEL:
            continue
        if desired.get(key) != live.get(key):
            out.append(FieldChange(f"labels.{key}", live.get(key), desired.get(key), is_sensitive(f"labels.{key}")))
    return tuple(out)


def _network_differences(desired: Mapping[str, Any], live: Mapping[str, Any]) -> list[str]:
    """Which create options of an existing network differ from the file (for a note)."""
    out = []
    if (desired.get("Driver") or "overlay") != (live.get("Driver") or "overlay"):
        out.append(f"driver {live.get('Driver')} -> {desired.get('Driver')}")
    for key in ("Internal", "Attachable"):
        if bool(desired.get(key)) != bool(live.get(key)):
            out.append(f"{key.lower()} {bool(live.get(key))} -> {bool(desired.get(key))}")
    live_opts = live.get("Options") or {}
    for opt, value in sorted((desired.get("Options") or {}).items()):
        if live_opts.get(opt) != value:
            out.append(f"driver_opts.{opt}")
    if (desired.get("Labels") or {}) != (live.get("Labels") or {}):
        out.append("labels")
    want = sorted(c.get("Subnet") for c in ((desired.get("IPAM") or {}).get("Config") or []) if c.get("Subnet"))
    have = sorted(c.get("Subnet") for c in ((live.get("IPAM") or {}).get("Config") or []) if c.get("Subnet"))
    if want and want != have:
        out.append(f"ipam subnets {have} -> {want}")
    return out


def _ordered_union(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """Keys of both views in a stable, readable order: `a`'s order, then `b`'s new keys."""
    seen = dict.fromkeys(a)
    seen.update(dict.fromkeys(k for k in b if k not in seen))
    return list(seen)
