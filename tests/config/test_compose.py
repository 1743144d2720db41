"""docker-compose.yml and the Dockerfile, checked without Docker (not on the test machines):
the compose file against the Compose Specification's JSON schema, then what the stack needs
from it; the Dockerfile for its layer order and its static-file step."""

from __future__ import annotations

import json
import re

import jsonschema
import yaml

from tests.conftest import ROOT

SPEC = ROOT / "tests" / "config" / "compose_spec" / "compose-spec.json"
APP_SERVICES = ("web", "worker", "beat", "endpoint")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # merges the <<: anchors


def test_docker_compose_follows_the_compose_specification():
    schema = json.loads(SPEC.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(compose()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_specification_check_does_catch_a_broken_file():
    broken = compose()
    broken["services"]["web"]["depends_on"] = {"setup": {"condition": "when_it_feels_like_it"}}
    broken["services"]["worker"]["restart_policy"] = "always"
    validator = jsonschema.Draft202012Validator(json.loads(SPEC.read_text()))
    paths = {tuple(e.path)[:3] for e in validator.iter_errors(broken)}
    assert ("services", "web", "depends_on") in paths and ("services", "worker") in paths


def test_every_dependency_names_a_service_and_no_app_service_runs_set_up():
    services = compose()["services"]
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services), name
    for name in APP_SERVICES:
        assert "migrate" not in str(services[name]["command"]), name


def test_app_services_wait_for_a_successful_one_shot_set_up():
    services = compose()["services"]
    setup = services["setup"]
    for step in ("migrate --noinput", "dynamodb_setup", "warehouse_setup"):
        assert step in setup["command"]
    assert setup["restart"] == "no"
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["setup"] == {"condition": "service_completed_successfully"}, name
        assert depends["postgres"] == {"condition": "service_healthy"}, name


def test_set_up_and_web_wait_for_the_dynamodb_stand_in_to_answer():
    services = compose()["services"]
    assert "healthcheck" in services["dynamodb"] and "4567" in str(services["dynamodb"]["healthcheck"])
    for name in ("setup", "web", "worker"):
        assert services[name]["depends_on"]["dynamodb"] == {"condition": "service_healthy"}


def dockerfile_steps() -> list[str]:
    text = (ROOT / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.startswith("#")]


def test_the_image_installs_dependencies_before_copying_the_code():
    steps = dockerfile_steps()
    install = next(i for i, s in enumerate(steps) if "pip install" in s)
    copy_code = steps.index("COPY . .")
    assert install < copy_code
    assert "--require-hashes -r requirements/run.lock" in steps[install]
    assert all(
        not s.startswith("COPY") or s == "COPY requirements/run.lock requirements/run.lock"
        for s in steps[:install]
    )


def test_the_image_collects_static_files_after_copying_the_code():
    steps = dockerfile_steps()
    collect = next(i for i, s in enumerate(steps) if "collectstatic" in s)
    assert steps.index("COPY . .") < collect < steps.index("USER riskscore")
