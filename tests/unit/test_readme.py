"""The README's support table lists every key the 3.13 schema allows (services, deploy, top level)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schemas" / "config_schema_v3.13.json").read_text())
TABLE = (ROOT / "README.md").read_text().split("## Compose support", 1)[1]


def first_column_keys() -> set[str]:
    """Every `key` written in the first column of a table row."""
    keys: set[str] = set()
    for line in TABLE.splitlines():
        if line.startswith("| ") and not line.startswith("| Key") and not line.startswith("|---"):
            first = line.split("|")[1]
            keys.update(re.findall(r"`([^`]+)`", first))
    return keys


@pytest.mark.parametrize(
    ("where", "keys"),
    [
        pytest.param("top level", set(SCHEMA["properties"]), id="top level"),
        pytest.param("services", set(SCHEMA["definitions"]["service"]["properties"]), id="service"),
        pytest.param("deploy", set(SCHEMA["definitions"]["deployment"]["properties"]), id="deploy"),
    ],
)
def test_every_key_is_in_the_support_table(where: str, keys: set[str]) -> None:
    listed = first_column_keys()
    # a row may name several keys ("`cap_add`, `cap_drop`") or a dotted path ("`resources.limits`")
    names = listed | {part for key in listed for part in re.split(r"[.\[\] ]+", key) if part}
    assert sorted(keys - names) == []
