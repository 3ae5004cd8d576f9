"""Image digests: `--resolve-image always|changed|never` as docker stack deploy and the moby client do.

docker sends the tag-normalised image on every create/update; when it asks the registry
(`QueryRegistry`) it pins `name:tag@sha256:…` and fills `Placement.Platforms` from the manifest list.
This module does that before the plan is made, so the plan compares what will really be sent. On an
update with `changed`/`never` and an image string equal to the live `com.docker.stack.image` label,
the registry is not asked: the plan keeps the live (pinned) image and its platforms (plan._to_send
owns what an update carries over from the live spec).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from composeswarm.errors import ConvertError
from composeswarm.dockerrules.imageref import familiar_name, normalize_image, parse_image
from composeswarm.errors import EngineError
from composeswarm.dockerrules.stacknames import LABEL_IMAGE

Json = dict[str, Any]
ResolveMode = Literal["always", "changed", "never"]
RESOLVE_MODES: tuple[ResolveMode, ...] = ("always", "changed", "never")
MAX_LOOKUPS = 4


class Registry(Protocol):
    """The two engine calls resolution needs (engine.Engine provides them)."""

    def distribution_inspect(self, image: str, registry_auth: str | None = None) -> Json: ...

    def registry_auth_for(self, image: str) -> str | None: ...


@dataclass
class Resolved:
    """The service specs to send, and the warnings docker would give."""

    services: dict[str, Json]
    warnings: list[str] = field(default_factory=list)
    queried: list[str] = field(default_factory=list)  # engine service names whose image was looked up


def check_mode(mode: str) -> ResolveMode:
    """The mode, or docker's error for an unknown one."""
    if mode not in RESOLVE_MODES:
        raise ValueError(f"Invalid option {mode} for flag --resolve-image")
    return mode


def digest_warning(image: str) -> str:
    """The warning the moby client gives when a digest cannot be recorded (its exact text)."""
    return (
        f"image {image} could not be accessed on a registry to record\n"
        f"its digest. Each node will access {image} independently,\n"
        "possibly leading to different nodes running different\n"
        "versions of the image.\n"
    )


def with_digest(image: str, digest: str) -> str:
    """`name:tag` -> `name:tag@digest`; an image that already has a digest (or does not parse) is kept."""
    try:
        domain, path, tag, existing = parse_image(image)
    except ConvertError:
        return image
    if existing is not None:
        return image
    out = familiar_name(domain, path)
    if tag is not None:
        out += f":{tag}"
    return f"{out}@{digest}"


def platforms_of(inspect: Mapping[str, Any]) -> list[Json]:
    """Placement.Platforms from a distribution inspect, as the moby client fills them.

    Attestation entries (`unknown` os or architecture) are dropped, `arm` loses its architecture
    (nodes report armv7l; swarmkit#2294) and duplicate os/arch pairs are removed.
    """
    out: list[Json] = []
    for p in inspect.get("Platforms") or []:
        os_name = str(p.get("os") or p.get("OS") or "")
        arch = str(p.get("architecture") or p.get("Architecture") or "")
        if os_name == "unknown" or arch == "unknown":
            continue
        if arch.lower() == "arm":
            arch = ""
        platform: Json = {}
        if arch:
            platform["Architecture"] = arch
        if os_name:
            platform["OS"] = os_name
        if platform not in out:
            out.append(platform)
    return out


def resolve_images(
    services: Mapping[str, Json],
    live_services: list[Json],
    mode: ResolveMode,
    registry: Registry,
    *,
    registry_auth: bool = False,
) -> Resolved:
    """The specs of `services` (engine name -> ServiceSpec) with images as docker would send them."""
    live_by_name = {s["Spec"]["Name"]: s for s in live_services}
    result = Resolved(services={})
    for name, spec in services.items():
        spec = _writable_copy(spec)
        if _resolve_one(spec, live_by_name.get(name), mode):
            result.queried.append(name)
        result.services[name] = spec
    # Registry round trips dominate; a few at a time (docker asks one after another).
    with ThreadPoolExecutor(max_workers=MAX_LOOKUPS) as pool:
        warnings = list(pool.map(lambda n: _query(result.services[n], registry, registry_auth), result.queried))
    result.warnings.extend(w for w in warnings if w is not None)
    return result


def _writable_copy(spec: Json) -> Json:
    """A copy of `spec` in which resolving may write: the dicts on the image's path are new, the rest shared.

    Resolving writes only ContainerSpec.Image and TaskTemplate.Placement.Platforms; a deep copy of
    every spec cost a quarter of a second for 2000 services (issue 14). Later stages copy before they
    write (act.bind, act.apply).
    """
    out = dict(spec)
    task = out["TaskTemplate"] = dict(spec.get("TaskTemplate") or {})
    task["ContainerSpec"] = dict(task.get("ContainerSpec") or {})
    if task.get("Placement") is not None:
        task["Placement"] = dict(task["Placement"])
    return out


def _resolve_one(spec: Json, live: Json | None, mode: ResolveMode) -> bool:
    """Normalise the image's tag; True when the registry must be asked.

    Not asked with `changed`/`never` when the image string is the live label's: the plan then keeps
    the live pinned image and its platforms (docker keeps the image but drops the platforms, which
    restarts tasks on a redeploy of an unchanged file: a deliberate difference, docs/differences.md).
    """
    container = spec.setdefault("TaskTemplate", {}).setdefault("ContainerSpec", {})
    written = (spec.get("Labels") or {}).get(LABEL_IMAGE, container.get("Image", ""))
    container["Image"] = normalize_image(str(container.get("Image", "")))
    if live is not None and mode != "always":
        if written == ((live.get("Spec") or {}).get("Labels") or {}).get(LABEL_IMAGE):
            return False
    return mode != "never"


def _query(spec: Json, registry: Registry, registry_auth: bool) -> str | None:
    """Pin the digest and platforms from the registry; the digest warning when it cannot be reached."""
    task = spec["TaskTemplate"]
    image = str(task["ContainerSpec"]["Image"])
    auth = registry.registry_auth_for(image) if registry_auth else None
    try:
        inspect = registry.distribution_inspect(image, auth)
    except EngineError:
        return digest_warning(image)
    digest = (inspect.get("Descriptor") or {}).get("digest")
    if not digest:
        return digest_warning(image)
    task["ContainerSpec"]["Image"] = with_digest(image, str(digest))
    platforms = platforms_of(inspect)
    if platforms:
        task.setdefault("Placement", {})["Platforms"] = platforms
    return None

