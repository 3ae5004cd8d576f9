"""The compose file formats composeswarm knows (3.0-3.13) and their JSON schemas, shipped in the wheel."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

VERSIONS = tuple(f"3.{minor}" for minor in range(14))
LATEST = VERSIONS[-1]


def normalize_version(raw: object) -> str | None:
    """docker CLI 28: missing, "" or "3" mean the latest 3.x; other values must name a schema."""
    if raw is None:
        return LATEST
    # docker compares fmt.Sprint(version): a number 3 means "3" (the schema then asks for a string)
    text = str(raw).lower() if isinstance(raw, bool) else str(raw)
    if text in ("", "3"):
        return LATEST
    if text in VERSIONS:
        return text
    if re.fullmatch(r"3\.[0-9]+", text) and text.rstrip("0") in VERSIONS:
        return None
    return None


@lru_cache(maxsize=None)
def schema_document(version: str) -> dict[str, Any]:
    """The JSON schema of compose format `version`, as shipped in composeswarm.schemas (read once)."""
    ref = resources.files("composeswarm.schemas").joinpath(f"config_schema_v{version}.json")
    data: dict[str, Any] = json.loads(ref.read_text(encoding="utf-8"))
    return data
