"""Compose projects written into a folder and loaded, for the loader's unit tests (include, extends)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from composeswarm.errors import InputError
from composeswarm.load.project import load_project


def write(folder: Path, files: dict[str, str]) -> None:
    """Each of `files` (relative name -> text) written under `folder`, its folders made."""
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def load(folder: Path, files: dict[str, str], **kwargs: Any) -> Any:
    """The Project of `folder`'s compose.yaml once `files` are written (no process environment)."""
    write(folder, files)
    project, _ = load_project(["compose.yaml"], cwd=str(folder), environ=kwargs.pop("environ", {}), **kwargs)
    return project


def errors(folder: Path, files: dict[str, str], **kwargs: Any) -> list[str]:
    """The error lines loading them gives (it must fail)."""
    with pytest.raises(InputError) as info:
        load(folder, files, **kwargs)
    return [str(i) for i in info.value.issues if i.severity == "error"]
