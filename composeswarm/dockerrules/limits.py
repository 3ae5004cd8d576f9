"""Swarm's limits on the data of secrets and configs (swarmkit's validation, measured on dockerd 20.10).

The engine refuses a secret of 0 bytes or of 500 KiB and more, a config of 0 bytes or of 1000 KiB
and more, with the messages below; the loader checks them first, so nothing is created before.
"""

from __future__ import annotations

MAX_SECRET_SIZE = 500 * 1024  # swarmkit api/validation MaxSecretSize
MAX_CONFIG_SIZE = 1000 * 1024  # swarmkit manager/controlapi MaxConfigSize


def data_limit(kind: str) -> int:
    """The size the data of a `secret` or `config` must stay below."""
    return MAX_SECRET_SIZE if kind == "secret" else MAX_CONFIG_SIZE


def data_problem(kind: str, size: int) -> str | None:
    """The engine's refusal of `size` bytes of `kind` ("secret" or "config") data, or None."""
    limit = data_limit(kind)
    if 0 < size < limit:
        return None
    return f"{kind} data must be larger than 0 and less than {limit} bytes"
