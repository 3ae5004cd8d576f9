"""Docker's short syntax, parsed as its loader parses it: ports, volumes, extra_hosts, list-or-mapping
keys, string-or-list keys and shell-split commands. Pure functions of one value each."""

from __future__ import annotations

import re
from typing import Any

from composeswarm.dockerrules.gofmt import go_sprint
from composeswarm.dockerrules.shellwords import split_words
from composeswarm.load.keyorder import VOLUME_ORDER

Tree = dict[str, Any]


_BIND_OPTIONS = {"rprivate", "private", "rshared", "shared", "rslave", "slave"}


VOLUME_BLOCKS = {"bind": ("propagation",), "volume": ("nocopy",), "tmpfs": ("size",)}


def mapping(value: Any, allow_nil: bool, sep: str = "=") -> dict[str, str | None]:
    """list-or-mapping -> mapping of strings (docker's transformMappingOrList)."""
    out: dict[str, str | None] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out[key] = go_sprint(item) if item is not None else (None if allow_nil else "")
        return out
    for item in value or []:
        key, found, rest = str(item).partition(sep)
        out[key] = rest if found else (None if allow_nil else "")
    return out


def labels(value: Any) -> dict[str, str]:
    """Labels: mapping of strings, a missing value is the empty string."""
    return {k: v or "" for k, v in sorted(mapping(value, allow_nil=False).items())}


def string_list(value: Any) -> list[str]:
    """A string-or-list key as a list."""
    return [value] if isinstance(value, str) else list(value)


def shell_command(value: Any) -> list[str]:
    """command / entrypoint: a string is split like a shell (google/shlex) would split it."""
    if isinstance(value, str):
        return split_words(value)
    return list(value)


def parse_port(spec: str) -> tuple[list[Tree], str]:
    """Short-syntax port (nat.ParsePortSpec) -> long-syntax entries and the ignored host IP."""
    proto = "tcp"
    body = spec
    if "/" in spec:
        body, proto = spec.rsplit("/", 1)
        proto = proto.lower()
        if proto not in ("tcp", "udp", "sctp"):
            raise ValueError(f"invalid protocol {proto!r} in port {spec!r}; use tcp, udp or sctp")
    parts = body.split(":")
    target = parts[-1]
    host_ip, published = "", ""
    if len(parts) == 2:
        published = parts[0]
    elif len(parts) == 3:
        host_ip, published = parts[0], parts[1]
    elif len(parts) > 3:
        host_ip, published = ":".join(parts[:-2]), parts[-2]
    host_ip = host_ip.strip("[]")
    start, end = _port_range(target, spec)
    if published:
        pstart, pend = _port_range(published, spec)
        if pend - pstart != end - start and end != start:
            raise ValueError(f"invalid port {spec!r}: published and target ranges differ in size")
    else:
        pstart = pend = 0
    entries: dict[str, Tree] = {}
    for offset in range(end - start + 1):
        entry: Tree = {"mode": "ingress", "target": start + offset}
        if published:
            entry["published"] = pstart + offset if pend - pstart == end - start else pstart
        entry["protocol"] = proto
        entries[f"{start + offset}/{proto}"] = entry
    # docker walks the expanded ports sorted as strings ("1000/tcp" < "998/tcp")
    return [entries[k] for k in sorted(entries)], host_ip


def _port_range(text: str, spec: str) -> tuple[int, int]:
    m = re.fullmatch(r"([0-9]+)(?:-([0-9]+))?", text)
    if m is None:
        raise ValueError(f"invalid port {spec!r}")
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else start
    if end < start:
        raise ValueError(f"invalid port range {text!r} in {spec!r}: the end is before the start")
    if start > 65535 or end > 65535:
        raise ValueError(f"invalid port {spec!r}: ports must be 1-65535")
    return start, end


def parse_volume(spec: str) -> Tree:
    """Short-syntax volume (docker 28.2 loader.ParseVolume) -> long syntax.

    Like docker, a one-letter segment followed by `:` is read as a Windows drive wherever it is,
    so `a::b` is the bind source `a:` and `vol:c:/data` targets `c:/data`.
    """
    if not spec:
        raise ValueError("empty volume spec")
    if len(spec) <= 2:
        return {"type": "volume", "target": spec}
    source = target = ""
    options: list[str] = []
    buf = ""
    for ch in spec + "\0":
        if ch == ":" and len(buf) == 1 and buf.isalpha():
            buf += ch
            continue
        if ch not in (":", "\0"):
            buf += ch
            continue
        if not buf:
            raise ValueError("empty section between colons")
        if not source and ch == "\0":
            target = buf
        elif not source:
            source = buf
        elif not target:
            target = buf
        elif ch == ":":
            raise ValueError("too many colons")
        else:
            options = buf.split(",")
        buf = ""
    out: Tree = {"type": "bind" if _is_file_path(source) else "volume"}
    if source:
        out["source"] = source
    out["target"] = target
    read_only = False
    for option in options:
        if option == "ro":
            read_only = True
        elif option == "rw":
            read_only = False
        elif option == "nocopy":
            out["volume"] = {"nocopy": True}
        elif option in _BIND_OPTIONS:
            out["bind"] = {"propagation": option}
    if read_only:
        out["read_only"] = True
    return {k: out[k] for k in VOLUME_ORDER if k in out}


def windows_abs(path: str) -> bool:
    """docker's isAbs for Windows paths: a drive letter or UNC prefix followed by a separator."""
    if len(path) >= 3 and path[0].isalpha() and path[1] == ":":
        return path[2] in "\\/"
    if path.startswith(("\\\\", "//")):
        return True
    return False


def _is_file_path(source: str) -> bool:
    if not source:
        return False
    if source[0] in "./~":
        return True
    if len(source) == 1:
        return False
    return source.startswith("\\\\") or (source[0].isalpha() and source[1] == ":")


def hosts_list(value: Any) -> list[str]:
    """extra_hosts as docker's transformHostsList: `host:ip` strings, `[ip]` brackets removed.

    A mapping is sorted and drops null values; a list entry may use `=` or `:` and is dropped
    without either.
    """
    pairs: list[str] = []
    if isinstance(value, dict):
        pairs = sorted(f"{k}:{go_sprint(v)}" for k, v in value.items() if v is not None)
    else:
        for entry in value:
            text = go_sprint(entry)
            for sep in ("=", ":"):
                host, found, ip = text.partition(sep)
                if found:
                    pairs.append(f"{host}:{ip}")
                    break
    out = []
    for pair in pairs:
        host, _, ip = pair.partition(":")
        if len(ip) > 2 and ip[0] == "[" and ip[-1] == "]":
            ip = ip[1:-1]
        out.append(f"{host}:{ip}")
    return out
