"""Which changed values are masked in a plan (credentials by name), and `reveal` for --show-sensitive."""

from __future__ import annotations

import re
from dataclasses import replace

from composeswarm.plan.changes import Plan

# Names that look like credentials: their values are masked unless --show-sensitive.
_SENSITIVE = re.compile(r"PASS|SECRET|TOKEN|KEY|CREDENTIAL|PRIVATE|AUTH|SALT|CERT", re.IGNORECASE)
_MASKED_PREFIXES = ("environment.", "labels.", "deploy.labels.", "logging.options.")


def reveal(plan: Plan) -> Plan:
    """The same plan with no value masked (--show-sensitive)."""
    changes = tuple(
        replace(c, fields=tuple(replace(f, sensitive=False) for f in c.fields)) for c in plan.changes
    )
    return replace(plan, changes=changes)


def is_sensitive(path: str) -> bool:
    """True when the field's own name looks like a credential (environment, labels, log options)."""
    if not path.startswith(_MASKED_PREFIXES):
        return False
    prefix = next(p for p in _MASKED_PREFIXES if path.startswith(p))
    return bool(_SENSITIVE.search(path[len(prefix):]))
