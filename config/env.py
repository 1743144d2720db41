"""Strict environment helpers: a wrong value fails at start-up, never at the first request.

django-environ parses the values; these wrappers turn its ValueErrors into
ImproperlyConfigured naming the variable, and check ranges and choices.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()


def _parse(name: str, parser: Any, default: Any) -> Any:
    try:
        return parser(name, default=default)
    except ImproperlyConfigured:
        raise
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"{name}={os.environ.get(name)!r} is not valid: {exc}") from exc


def env_str(name: str, default: Any = environ.Env.NOTSET) -> str:
    return _parse(name, env.str, default)


def env_bool(name: str, default: Any = environ.Env.NOTSET) -> bool:
    raw = os.environ.get(name)
    if raw is not None and raw.strip().lower() not in {
        "1",
        "0",
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "",
    }:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false)")
    return _parse(name, env.bool, default)


def env_int(
    name: str, default: Any = environ.Env.NOTSET, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    value = _parse(name, env.int, default)
    _check_range(name, value, minimum, maximum)
    return value


def env_float(
    name: str,
    default: Any = environ.Env.NOTSET,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float:
    value = _parse(name, env.float, default)
    _check_range(name, value, minimum, maximum)
    return value


def env_list(name: str, default: Any = environ.Env.NOTSET) -> list[str]:
    return [item for item in _parse(name, env.list, default) if item]


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of: {', '.join(choices)}")
    return value


def _check_range(name: str, value: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}={value} must be at most {maximum}")


def local_secrets(path: Path) -> dict[str, str]:
    """Secrets for a developer machine, made once and kept out of git under var/.

    Only local and test settings call this; production settings require every secret
    from the environment.
    """
    if path.exists():
        return json.loads(path.read_text())
    from cryptography.fernet import Fernet

    values = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "PII_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "PII_HASH_KEY": secrets.token_urlsafe(32),
        "PSEUDONYM_KEY": secrets.token_urlsafe(32),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(values, indent=2))
    tmp.chmod(0o600)
    try:
        # Two processes starting at once (web and worker) must end with one set of keys.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return json.loads(path.read_text())
