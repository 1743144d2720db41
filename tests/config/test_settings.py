from __future__ import annotations

import os
import subprocess
import sys

from cryptography.fernet import Fernet

from tests.conftest import ROOT

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x" * 30 + "-production-secret-for-the-check-only-" + "y" * 20,
    "DJANGO_ALLOWED_HOSTS": "risk.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/riskscore",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "PII_HASH_KEY": "h" * 40,
    "PSEUDONYM_KEY": "p" * 40,
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120, check=False)


def test_check_deploy_is_clean_under_production_settings():
    env = {**PRODUCTION_ENV, "PII_ENCRYPTION_KEYS": Fernet.generate_key().decode()}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_its_secrets():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "PII_HASH_KEY"}
    env["PII_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "PII_HASH_KEY" in result.stderr


def test_a_wrong_value_fails_loudly_at_start():
    result = manage("check", env={"DJANGO_SETTINGS_MODULE": "config.settings.test",
                                  "SCORER": "magic"})
    assert result.returncode != 0
    assert "SCORER='magic' must be one of: inprocess, sagemaker" in result.stderr
    result = manage("check", env={"DJANGO_SETTINGS_MODULE": "config.settings.test",
                                  "SCORING_BATCH_SIZE": "lots"})
    assert "SCORING_BATCH_SIZE='lots' is not valid" in result.stderr


def test_a_broken_schema_stops_start_up_naming_the_file(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nfields:\n  - {name: a, type: number, feature: true, protected: true}\n")
    result = manage("check", env={"DJANGO_SETTINGS_MODULE": "config.settings.test",
                                  "APPLICATION_SCHEMA": str(broken)})
    assert result.returncode != 0
    assert str(broken) in result.stderr and "protected attribute" in result.stderr
