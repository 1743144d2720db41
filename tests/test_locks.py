"""The lock files agree with pyproject.toml (no network): every `name==version` pinned there
is in the matching lock with that version, every locked package has hashes, and the test
lock installs the same versions as the run lock. `make lock` regenerates them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = PYPROJECT["dependencies"]
TEST = PYPROJECT["optional-dependencies"]["test"]

# "name==version \" at the start of a line, the hashes on the lines that follow.
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def locked(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / name).read_text()
    return {canonicalize_name(n): v for n, v in _PIN.findall(text)}


def pins(requirements: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in requirements:
        req = Requirement(line)
        (spec,) = req.specifier  # every dependency of the project is pinned exactly
        assert spec.operator == "==", f"{line}: pin it with == (the lock is made from the pins)"
        out[canonicalize_name(req.name)] = spec.version
    return out


@pytest.mark.parametrize(
    ("lock", "requirements"), [("run.lock", RUNTIME), ("test.lock", RUNTIME + TEST)], ids=["run", "test"]
)
def test_every_pin_of_pyproject_is_in_the_lock_with_its_version(lock, requirements):
    have = locked(lock)
    disagree = {
        name: (version, have.get(name, "missing"))
        for name, version in pins(requirements).items()
        if have.get(name) != version
    }
    assert disagree == {}, (
        f"pyproject.toml and requirements/{lock} disagree (pinned, locked); run `make lock`"
    )


@pytest.mark.parametrize("lock", ["run.lock", "test.lock"])
def test_every_locked_package_has_hashes(lock):
    blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements" / lock).read_text())
    unhashed = [block.split()[0] for block in blocks if _PIN.match(block) and "--hash=sha256:" not in block]
    assert unhashed == []


def test_the_test_lock_installs_the_run_locks_versions():
    run, test = locked("run.lock"), locked("test.lock")
    assert {
        name: (version, test.get(name)) for name, version in run.items() if test.get(name) != version
    } == {}
