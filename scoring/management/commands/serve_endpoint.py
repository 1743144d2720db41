from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from scoring.endpoint import EndpointServer
from scoring.models import ModelStatus, ModelVersion


class Command(BaseCommand):
    help = ("Serve a model through the local SageMaker-compatible endpoint (runtime API "
            "POST /endpoints/NAME/invocations, container API GET /ping and POST /invocations). "
            "By default the active model, following activations.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--model-version", type=int, help="serve this version instead of the active one")
        parser.add_argument("--model-url", help="serve this model.tar.gz (path, file:// or s3://)")
        parser.add_argument("--host", default=settings.LOCAL_ENDPOINT_HOST)
        parser.add_argument("--port", type=int, default=settings.LOCAL_ENDPOINT_PORT)
        parser.add_argument("--endpoint-name", default=settings.SAGEMAKER_ENDPOINT_NAME)
        parser.add_argument("--no-follow", action="store_true",
                            help="keep serving the first model even when another is activated")

    def handle(self, *args: Any, **options: Any) -> None:
        url, variant = self._model(options)
        server = EndpointServer(model_url=url, endpoint_name=options["endpoint_name"], variant=variant,
                                host=options["host"], port=options["port"])
        self.stdout.write(f"listening on {server.url} as endpoint {options['endpoint_name']}, "
                          f"serving {variant} ({url})")
        self.stdout.write(f"point the platform at it: SCORER=sagemaker SAGEMAKER_RUNTIME_URL={server.url} "
                          f"SAGEMAKER_ENDPOINT_NAME={options['endpoint_name']}")
        self.stdout.flush()
        follow = not (options["no_follow"] or options["model_version"] or options["model_url"])
        if follow:
            threading.Thread(target=self._follow, args=(server,), daemon=True).start()
        try:
            server.httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.httpd.server_close()

    def _model(self, options: dict[str, Any]) -> tuple[str, str]:
        if options["model_url"]:
            return options["model_url"], "AllTraffic"
        query = ModelVersion.objects.all()
        model = (query.filter(version=options["model_version"]).first() if options["model_version"]
                 else query.filter(status=ModelStatus.ACTIVE).first())
        if model is None:
            raise CommandError("no such model version" if options["model_version"]
                               else "no model is active; train one or pass --model-version / --model-url")
        return model.artifact_uri, f"v{model.version}"

    def _follow(self, server: EndpointServer) -> None:
        """Like updating a SageMaker endpoint: load the newly active model when it changes."""
        while True:
            time.sleep(5)
            try:
                model = ModelVersion.objects.filter(status=ModelStatus.ACTIVE).first()
                if model and f"v{model.version}" != server.variant:
                    server.load(model.artifact_uri, f"v{model.version}")
                    self.stdout.write(f"now serving v{model.version}")
            except Exception as exc:  # the database may be restarting; try again later
                self.stderr.write(f"could not check the active model: {exc}")
