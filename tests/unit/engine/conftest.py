"""The unit tests of composeswarm.engine, the one package that imports the Docker SDK.

Every test here is marked `engine`, so `pytest -m "not engine"` (the no-docker CI step,
scripts/test-nodocker.sh) leaves them out. They need the SDK, not a running engine.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

# Without the SDK these modules cannot even be imported, and collecting them would fail the run
# before -m "not engine" deselects them.
collect_ignore_glob = [] if importlib.util.find_spec("docker") is not None else ["test_*.py"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder `engine`."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.engine)
