"""docs/threat-model.md names the test behind each control: every one it names must exist, so
a renamed or deleted test shows up here instead of as a silent claim."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "threat-model.md"

# `file.py::test_name`, or `::test_name` for one more test of the file named before it.
REFERENCE = re.compile(r"`((?:[\w/]+\.py)?)::(test_\w+)`")


def references_in_the_doc() -> list[tuple[int, str, str]]:
    found = []
    for number, line in enumerate(DOC.read_text().splitlines(), start=1):
        current = ""
        for path, name in REFERENCE.findall(line):
            current = path or current
            assert current, f"line {number}: `::{name}` without a file before it"
            found.append((number, current, name))
    return found


def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
    }


def test_every_test_the_threat_model_names_exists() -> None:
    references = references_in_the_doc()
    assert len(references) > 50  # the page is read, not skipped
    missing = []
    for number, path, name in references:
        file = ROOT / "tests" / path
        if not file.exists() or name not in functions_in(file):
            missing.append(f"line {number}: tests/{path}::{name}")
    assert not missing, "docs/threat-model.md names tests that do not exist:\n" + "\n".join(missing)
