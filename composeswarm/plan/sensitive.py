"""Which changed values are masked in a plan (credentials by name), `reveal` for --show-sensitive, and
the values masked in free text such as task logs (secret contents, credential-like values)."""

from __future__ import annotations

import functools

import re
from dataclasses import replace

from typing import TYPE_CHECKING

from composeswarm.plan.changes import Plan

if TYPE_CHECKING:
    from composeswarm.convert.stack import DesiredStack

# Names that look like credentials: their values are masked unless --show-sensitive.
_SENSITIVE = re.compile(r"PASS|SECRET|TOKEN|KEY|CREDENTIAL|PRIVATE|AUTH|SALT|CERT", re.IGNORECASE)
_MASKED_PREFIXES = ("environment.", "labels.", "deploy.labels.", "logging.options.")


def reveal(plan: Plan) -> Plan:
    """The same plan with no value masked (--show-sensitive)."""
    changes = tuple(
        replace(c, fields=tuple(replace(f, sensitive=False) for f in c.fields)) for c in plan.changes
    )
    return replace(plan, changes=changes)


@functools.lru_cache(maxsize=4096)
def is_sensitive(path: str) -> bool:
    """True when the field's own name looks like a credential (environment, labels, log options).

    Cached: a stack's services repeat the same few keys (2000 services, 3 variables each)."""
    if not path.startswith(_MASKED_PREFIXES):
        return False
    prefix = next(p for p in _MASKED_PREFIXES if path.startswith(p))
    return bool(_SENSITIVE.search(path[len(prefix):]))


MASK = "(sensitive)"
MIN_MASKED = 4  # shorter values are not masked in free text: every "1" or "on" in a log would go


def sensitive_values(desired: DesiredStack) -> tuple[str, ...]:
    """What must never be shown in free text (task logs): secret contents (whole and line by line) and the
    values of credential-like environment variables and labels, longest first."""
    values: set[str] = set()
    for secret in desired.secrets.values():
        data = secret.get("Data")
        text = bytes(data).decode("utf-8", "replace") if isinstance(data, (bytes, bytearray)) else str(data or "")
        values.update([text.strip(), *(line.strip() for line in text.splitlines())])
    for spec in desired.services.values():
        container = (spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}
        for entry in container.get("Env") or []:
            key, sep, value = str(entry).partition("=")
            if sep and is_sensitive(f"environment.{key}"):
                values.add(value)
        for prefix, labels in (("labels.", container.get("Labels")), ("deploy.labels.", spec.get("Labels"))):
            values.update(str(v) for k, v in (labels or {}).items() if is_sensitive(prefix + k))
    return tuple(sorted((v for v in values if len(v) >= MIN_MASKED), key=lambda v: (-len(v), v)))


def mask_text(text: str, values: tuple[str, ...]) -> str:
    """`text` with every occurrence of the values replaced by `(sensitive)` (the longest first)."""
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return text
