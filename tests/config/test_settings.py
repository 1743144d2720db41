from __future__ import annotations

import re

import environ
import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from config.production_checks import check_production_settings
from tests.config.production_env import manage, production_env


def test_check_deploy_is_clean_under_production_settings():
    """No warning at all, and none silenced (SILENCED_SYSTEM_CHECKS is empty)."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_its_secrets():
    env = production_env()
    del env["PII_HASH_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "PII_HASH_KEY" in result.stderr


def test_production_refuses_an_encryption_key_that_is_not_one():
    """The issue's reproduction: this used to pass check --deploy, then every submission was
    a 500."""
    result = manage("check", "--deploy", env=production_env(PII_ENCRYPTION_KEYS="notakey"))
    assert result.returncode != 0
    assert "ImproperlyConfigured: PII_ENCRYPTION_KEYS item 1 is not a Fernet key" in result.stderr


_GOOD = production_env()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DJANGO_SECRET_KEY", "x", "DJANGO_SECRET_KEY is too weak"),
        ("DJANGO_SECRET_KEY", "ab" * 40, "DJANGO_SECRET_KEY is too weak"),
        ("PII_ENCRYPTION_KEYS", "notakey", "PII_ENCRYPTION_KEYS item 1 is not a Fernet key"),
        (
            "PII_ENCRYPTION_KEYS",
            f"{_GOOD['PII_ENCRYPTION_KEYS']},oops",
            "PII_ENCRYPTION_KEYS item 2 is not a Fernet key",
        ),
        ("PII_ENCRYPTION_KEYS", "", "PII_ENCRYPTION_KEYS is empty"),
        ("PII_HASH_KEY", "h" * 40, "PII_HASH_KEY is too weak"),
        ("PSEUDONYM_KEY", "short-but-varied", "PSEUDONYM_KEY is too weak"),
        ("PSEUDONYM_KEY", _GOOD["PII_HASH_KEY"], "PSEUDONYM_KEY and PII_HASH_KEY must be different"),
        ("PII_HASH_KEY", _GOOD["DJANGO_SECRET_KEY"], "PII_HASH_KEY and DJANGO_SECRET_KEY must be"),
        ("DATABASE_URL", "sqlite:////tmp/riskscore.sqlite3", "DATABASE_URL must name a PostgreSQL"),
    ],
)
def test_production_checks_name_the_variable_that_cannot_work(variable, value, message):
    values = {**_GOOD, variable: value}
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        check_production_settings(
            secret_key=values["DJANGO_SECRET_KEY"],
            encryption_keys=[k for k in values["PII_ENCRYPTION_KEYS"].split(",") if k],
            hash_key=values["PII_HASH_KEY"],
            pseudonym_key=values["PSEUDONYM_KEY"],
            database=environ.Env.db_url_config(values["DATABASE_URL"]),
        )


def test_production_checks_pass_good_values_with_rotated_keys():
    check_production_settings(
        secret_key=_GOOD["DJANGO_SECRET_KEY"],
        encryption_keys=[Fernet.generate_key().decode(), _GOOD["PII_ENCRYPTION_KEYS"]],
        hash_key=_GOOD["PII_HASH_KEY"],
        pseudonym_key=_GOOD["PSEUDONYM_KEY"],
        database=environ.Env.db_url_config(_GOOD["DATABASE_URL"]),
    )


def test_a_wrong_value_fails_loudly_at_start():
    result = manage("check", env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "SCORER": "magic"})
    assert result.returncode != 0
    assert "SCORER='magic' must be one of: inprocess, sagemaker" in result.stderr
    result = manage(
        "check", env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "SCORING_BATCH_SIZE": "lots"}
    )
    assert "SCORING_BATCH_SIZE='lots' is not valid" in result.stderr


def test_a_broken_schema_stops_start_up_naming_the_file(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nfields:\n  - {name: a, type: number, feature: true, protected: true}\n")
    result = manage(
        "check", env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "APPLICATION_SCHEMA": str(broken)}
    )
    assert result.returncode != 0
    assert str(broken) in result.stderr and "protected attribute" in result.stderr
