from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from endpoint.__main__ import gunicorn_argv
from scoring.models import ModelStatus, ModelVersion


class Command(BaseCommand):
    help = (
        "Serve a model through the local SageMaker-compatible endpoint (the `endpoint` package "
        "under gunicorn: runtime API POST /endpoints/NAME/invocations, container API GET /ping "
        "and POST /invocations). By default the active model, following activations."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--model-version", type=int, help="serve this version instead of the active one")
        parser.add_argument("--model-url", help="serve this model.tar.gz (path, file:// or s3://)")
        parser.add_argument("--host", default=settings.LOCAL_ENDPOINT_HOST)
        parser.add_argument("--port", type=int, default=settings.LOCAL_ENDPOINT_PORT)
        parser.add_argument("--endpoint-name", default=settings.SAGEMAKER_ENDPOINT_NAME)
        parser.add_argument(
            "--no-follow",
            action="store_true",
            help="keep serving the first model even when another is activated",
        )
        parser.add_argument(
            "--background",
            action="store_true",
            help="start in the background (pid in var/endpoint.pid, log in var/endpoint.log)",
        )
        parser.add_argument("--stop", action="store_true", help="stop the one started with --background")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["stop"]:
            return self._stop()
        url, variant = self._model(options)
        if options["background"]:
            return self._background(options)
        pointer = Path(settings.VAR_DIR) / f"endpoint-model-{options['port']}.json"
        self._point(pointer, url, variant)
        command = gunicorn_argv("endpoint.app:create_app()", host=options["host"], port=options["port"])
        env = {
            **os.environ,
            "ENDPOINT_MODEL_URL": "",
            "ENDPOINT_MODEL_POINTER": str(pointer),
            "ENDPOINT_NAME": options["endpoint_name"],
            "ENDPOINT_VARIANT": variant,
        }
        server = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env)
        url_shown = f"http://{options['host']}:{options['port']}"
        self.stdout.write(
            f"listening on {url_shown} as endpoint {options['endpoint_name']}, serving {variant} ({url})"
        )
        self.stdout.write(
            f"point the platform at it: SCORER=sagemaker SAGEMAKER_RUNTIME_URL={url_shown} "
            f"SAGEMAKER_ENDPOINT_NAME={options['endpoint_name']}"
        )
        self.stdout.flush()
        follow = not (options["no_follow"] or options["model_version"] or options["model_url"])
        # `--stop` (and docker stop) send SIGTERM: stop gunicorn gracefully with us.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            while server.poll() is None:
                time.sleep(5)
                if follow:
                    variant = self._follow(pointer, variant)
        except KeyboardInterrupt:
            pass
        finally:
            if server.poll() is None:
                server.terminate()
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    server.kill()
            pointer.unlink(missing_ok=True)
        if server.returncode not in (0, -signal.SIGTERM, None):
            raise CommandError(f"the endpoint server stopped ({server.returncode})")

    def _model(self, options: dict[str, Any]) -> tuple[str, str]:
        if options["model_url"]:
            return options["model_url"], "AllTraffic"
        query = ModelVersion.objects.all()
        model = (
            query.filter(version=options["model_version"]).first()
            if options["model_version"]
            else query.filter(status=ModelStatus.ACTIVE).first()
        )
        if model is None and options["model_version"]:
            raise CommandError(f"there is no model v{options['model_version']}")
        if model is None:
            # Serve anyway (ping answers 503) and pick the model up once one is activated.
            self.stderr.write("no model is active yet: the endpoint answers 503 until one is")
            return "", "AllTraffic"
        return model.artifact_uri, f"v{model.version}"

    @staticmethod
    def _point(pointer: Path, url: str, variant: str) -> None:
        """Tell the endpoint's workers which model to serve (they re-read the file when it changes)."""
        pointer.parent.mkdir(parents=True, exist_ok=True)
        temporary = pointer.with_suffix(".tmp")
        temporary.write_text(json.dumps({"url": url, "variant": variant}))
        temporary.replace(pointer)

    def _follow(self, pointer: Path, serving: str) -> str:
        """Like updating a SageMaker endpoint: serve the newly active model when it changes."""
        try:
            model = ModelVersion.objects.filter(status=ModelStatus.ACTIVE).first()
        except Exception as exc:  # the database may be restarting; try again later
            self.stderr.write(f"could not check the active model: {exc}")
            return serving
        if model and f"v{model.version}" != serving:
            self._point(pointer, model.artifact_uri, f"v{model.version}")
            self.stdout.write(f"now serving v{model.version}")
            return f"v{model.version}"
        return serving

    # --- make services / services-stop ------------------------------------------------------

    def _pid_file(self) -> Path:
        return Path(settings.VAR_DIR) / "endpoint.pid"

    def _background(self, options: dict[str, Any]) -> None:
        pid_file = self._pid_file()
        if pid_file.exists() and _alive(int(pid_file.read_text() or 0)):
            self.stdout.write(f"the endpoint already runs (pid {pid_file.read_text()})")
            return
        argv = [
            sys.executable,
            "manage.py",
            "serve_endpoint",
            "--host",
            options["host"],
            "--port",
            str(options["port"]),
            "--endpoint-name",
            options["endpoint_name"],
        ]
        for name in ("model_version", "model_url"):
            if options[name]:
                argv += [f"--{name.replace('_', '-')}", str(options[name])]
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        log = (pid_file.parent / "endpoint.log").open("ab")
        process = subprocess.Popen(
            argv, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        pid_file.write_text(str(process.pid))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise CommandError(f"the endpoint stopped at once; see {pid_file.parent / 'endpoint.log'}")
            try:
                with socket.create_connection((options["host"], options["port"]), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        self.stdout.write(
            f"endpoint {options['endpoint_name']} on "
            f"http://{options['host']}:{options['port']} (pid {process.pid})"
        )

    def _stop(self) -> None:
        pid_file = self._pid_file()
        if not pid_file.exists():
            self.stdout.write("no endpoint was started in the background")
            return
        pid = int(pid_file.read_text() or 0)
        if pid and _alive(pid):
            os.kill(pid, signal.SIGTERM)
            self.stdout.write(f"stopped the endpoint (pid {pid})")
        pid_file.unlink(missing_ok=True)


def _interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
