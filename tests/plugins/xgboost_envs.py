"""Virtual environments holding another XGBoost, built from PyPI once and kept under var/.

The artifact tests (tests/modelops/test_artifact_compatibility.py) load the platform's
`model.tar.gz` under the XGBoost of each SageMaker image the deploy command accepts. Each
version gets its own environment, `var/xgboost-envs/xgboost-<version>/`, built with this
interpreter's Python (`python -m venv`, then this environment's pip installing into it) and
reused while its requirements stay the same, so only the first run pays for the download.
A file lock keeps two test processes from building the same one at once.

    python -m tests.plugins.xgboost_envs 1.7.6 3.0.5    # build ahead (e.g. in a CI cache step)

`XGBOOST_ENVS_DIR` moves the cache elsewhere (default: var/xgboost-envs in the repository).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def requirements(version: str) -> list[str]:
    """What each image installs beside XGBoost, pinned (aws/sagemaker-xgboost-container's
    Dockerfiles); XGBoost before 2 needs NumPy 1 and SciPy. From 2.1 on, the CPU-only wheel
    (`xgboost-cpu`) is the same library without the NVIDIA libraries."""
    major, minor = (int(part) for part in version.split(".")[:2])
    if major < 2:
        return [f"xgboost=={version}", "numpy==1.26.4", "scipy==1.13.1"]
    package = "xgboost-cpu" if (major, minor) >= (2, 1) else "xgboost"
    return [f"{package}=={version}", "numpy==2.1.0", "scipy==1.15.0"]


def envs_dir() -> Path:
    return Path(os.environ.get("XGBOOST_ENVS_DIR") or ROOT / "var" / "xgboost-envs")


def xgboost_python(version: str) -> Path:
    """The Python of an environment with XGBoost `version`, built on first use."""
    home = envs_dir()
    home.mkdir(parents=True, exist_ok=True)
    env = home / f"xgboost-{version}"
    python = env / "bin" / "python"
    stamp = env / ".ready"
    wanted = json.dumps({"python": sys.version.split()[0], "requirements": requirements(version)})
    with open(home / f".lock-{version}", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if python.exists() and stamp.exists() and stamp.read_text() == wanted:
            return python
        shutil.rmtree(env, ignore_errors=True)
        # No pip inside: this environment's pip installs into it (pip --python), which saves
        # seeding a second copy of pip.
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                str(python),
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--only-binary=:all:",
                *requirements(version),
            ],
            check=True,
        )
        stamp.write_text(wanted)
    return python


if __name__ == "__main__":
    for wanted_version in sys.argv[1:]:
        print(xgboost_python(wanted_version))
