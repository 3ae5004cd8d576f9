"""The layout rules of docs/architecture.md that import-linter cannot check: who prints, module sizes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "composeswarm"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
# Only these may write to the terminal.
PRINTERS = ("cli/", "render/")


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _writes_to_terminal(tree: ast.AST) -> list[int]:
    """Lines that call print() or touch sys.stdout / sys.stderr."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            lines.append(node.lineno)
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("stdout", "stderr")
            and isinstance(node.value, ast.Name)
            and node.value.id == "sys"
        ):
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("path", MODULES, ids=_relative)
def test_only_cli_and_render_print(path: Path) -> None:
    if _relative(path).startswith(PRINTERS):
        pytest.skip("cli/ and render/ are where output is written")
    assert _writes_to_terminal(ast.parse(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("path", MODULES, ids=_relative)
def test_no_module_over_400_lines(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 400


def test_at_most_six_modules_at_the_top_level() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 6, top


def test_no_two_modules_share_a_name() -> None:
    names = [p.stem for p in MODULES if p.stem != "__init__"]
    assert sorted({n for n in names if names.count(n) > 1}) == []


def test_the_print_check_sees_a_print() -> None:
    """The checker itself finds what it must refuse (so the rule above can fail)."""
    assert _writes_to_terminal(ast.parse("import sys\nprint('x')\nsys.stderr.write('y')\n")) == [2, 3]
