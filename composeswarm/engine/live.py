"""What the engine holds, as the plan reads it: plain Engine API JSON, no SDK (the plan imports this)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]


@dataclass
class LiveStack:
    """Everything the engine holds for one stack, read with one list call per kind."""

    stack: str
    services: list[Json] = field(default_factory=list)
    networks: list[Json] = field(default_factory=list)
    secrets: list[Json] = field(default_factory=list)
    configs: list[Json] = field(default_factory=list)

    def is_empty(self) -> bool:
        """True when the engine has nothing labelled with this stack."""
        return not (self.services or self.networks or self.secrets or self.configs)
