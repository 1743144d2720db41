"""Package discovery in pyproject.toml cannot miss an app: every local app in INSTALLED_APPS,
and the Django-free endpoint package, is in what setuptools would package."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from django.apps import apps
from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[1]


def packaged() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert config.get("namespaces") is False  # find_packages below finds regular packages only
    return set(find_packages(where=str(ROOT), include=config["include"], exclude=config["exclude"]))


def _is_local(path: Path) -> bool:
    """Code of this repository, not a library installed in the repository's .venv."""
    path = path.resolve()
    return path.is_relative_to(ROOT) and not path.relative_to(ROOT).parts[0].startswith(".")


def test_every_local_app_and_the_endpoint_are_packaged_and_tests_are_not():
    found = packaged()
    local_apps = {config.name for config in apps.get_app_configs() if _is_local(Path(config.path))}
    assert {"scoring", "modelops", "demo", "sinks", "auditing"} <= local_apps
    assert local_apps | {"endpoint", "config"} <= found
    assert not {name for name in found if name.split(".")[0] in {"tests", "bench"}}


def test_every_folder_of_python_code_in_a_package_is_packaged():
    """A folder of modules without __init__.py (a namespace package) is silently left out of
    the wheel (namespaces = false), and import-linter does not see it either."""
    found = packaged()
    tops = {name.split(".")[0] for name in found}
    folders = {
        ".".join(path.relative_to(ROOT).parent.parts)
        for path in ROOT.rglob("*.py")
        if path.relative_to(ROOT).parts[0] in tops and "__pycache__" not in path.parts
    }
    assert sorted(folders - found) == []


def test_every_package_has_a_place_in_the_import_contracts():
    """A new app is analysed by import-linter (root_packages) and sits in a layer of the
    layers contract (docs/architecture.md), so its imports are checked like every other's."""
    linter = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    tops = {name.split(".")[0] for name in packaged()}
    assert sorted(tops - set(linter["root_packages"])) == []
    layers = next(c for c in linter["contracts"] if c["id"] == "layers")["layers"]
    layered = {part.strip().split(".")[0] for layer in layers for part in re.split(r"[|:]", layer)}
    assert sorted(tops - layered) == []
