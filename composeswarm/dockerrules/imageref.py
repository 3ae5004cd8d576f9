"""Image references as the moby client normalises them before create/update (distribution/reference)."""

from __future__ import annotations

import functools
import re

from composeswarm.errors import ConvertError

_ALNUM = r"[a-z0-9]+"
_SEP = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEP}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"^({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?$")
_IDENTIFIER = re.compile(r"^[a-f0-9]{64}$")
_DEFAULT_DOMAIN = "docker.io"


def _split_domain(name: str) -> tuple[str, str]:
    """Docker Hub's implicit domain and `library/` prefix, as splitDockerDomain does."""
    first, slash, rest = name.partition("/")
    if not slash or (
        not any(c in first for c in ".:") and first != "localhost" and first.lower() == first
    ):
        domain, remainder = _DEFAULT_DOMAIN, name
    else:
        domain, remainder = first, rest
    if domain == "index.docker.io":
        domain = _DEFAULT_DOMAIN
    if domain == _DEFAULT_DOMAIN and "/" not in remainder:
        remainder = "library/" + remainder
    return domain, remainder


@functools.lru_cache(maxsize=4096)  # services share images: each reference is parsed once (issue 14)
def parse_image(ref: str) -> tuple[str, str, str | None, str | None]:
    """(domain, path, tag, digest) of a normalised reference; ConvertError when docker would refuse it."""
    if _IDENTIFIER.match(ref):
        raise ConvertError(
            (), f'invalid repository name ({ref}), cannot specify 64-byte hexadecimal strings'
        )
    domain, remainder = _split_domain(ref)
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        raise ConvertError((), f"invalid reference format: repository name ({remote}) must be lowercase")
    m = _REFERENCE.match(f"{domain}/{remainder}")
    if m is None:
        raise ConvertError((), "invalid reference format")
    name, tag, digest = m.group(1), m.group(2), m.group(3)
    if len(name) > 255:
        raise ConvertError((), "repository name must not be more than 255 characters")
    path = name[len(domain) + 1 :]
    return domain, path, tag, digest


def familiar_name(domain: str, path: str) -> str:
    """The short form users write: `redis`, `user/app`, `localhost:5000/app`."""
    if domain != _DEFAULT_DOMAIN:
        return f"{domain}/{path}"
    if path.startswith("library/") and "/" not in path[len("library/") :]:
        return path[len("library/") :]
    return path


def normalize_image(ref: str) -> str:
    """What the moby client sends for `ref`: familiar name with `:latest` unless tagged or digested.

    A reference that does not parse is sent unchanged (the client leaves it to the daemon).
    """
    try:
        domain, path, tag, digest = parse_image(ref)
    except ConvertError:
        return ref
    if tag is None and digest is None:
        tag = "latest"
    out = familiar_name(domain, path)
    if tag is not None:
        out += f":{tag}"
    if digest is not None:
        out += f"@{digest}"
    return out


_ANY_DIGEST = re.compile(r"^(sha256:)?[a-f0-9]{64}$")


def check_image(image: object) -> str:
    """The image string, refused as docker 28.2 refuses it before deploying anything
    (reference.ParseAnyReference: an image ID or `sha256:<id>` is accepted too)."""
    if not image:
        raise ConvertError((), "invalid image reference: no image specified")
    if _ANY_DIGEST.match(str(image)):
        return str(image)
    try:
        parse_image(str(image))
    except ConvertError as exc:
        raise ConvertError((), f"invalid image reference: {exc.message}") from None
    return str(image)
