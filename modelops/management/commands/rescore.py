from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from applicants.models import Channel
from modelops.models import RescoreMode, RescoreRun, RunStatus
from modelops.registry import LifecycleError
from modelops.rescoring import rescore_run_inline, rescore_start
from scoring.selectors import NoUsableModel


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = (
        "Rescore open applications (scored or in review) with the active model or --model-version, "
        "in chunks over the Celery workers, writing a new decision only where the tier changed "
        "or a probability moved by RESCORE_MIN_PROBABILITY_CHANGE. Shows a progress bar."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--model-version", type=int, help="a named model (default: the active one)")
        parser.add_argument(
            "--channel",
            action="append",
            choices=list(Channel.values),
            help="only applications from this channel (repeatable)",
        )
        parser.add_argument("--since", type=_date, help="only applications received on or after this date")
        parser.add_argument("--until", type=_date, help="only applications received before this date")
        parser.add_argument(
            "--scored-by",
            type=int,
            metavar="VERSION",
            help="only applications whose current decision came from this model version",
        )
        parser.add_argument("--chunk-size", type=int, help="applications per task (RESCORE_CHUNK_SIZE)")
        parser.add_argument(
            "--approximate-reasons",
            action="store_true",
            help="XGBoost's approximate contributions for changed decisions (faster; said on each decision)",
        )
        parser.add_argument(
            "--inline",
            action="store_true",
            help="run the chunks in this process instead of on Celery workers",
        )
        parser.add_argument("--no-wait", action="store_true", help="start the run and return")
        parser.add_argument(
            "--sagemaker-transform",
            action="store_true",
            help="on AWS: write the rows to SAGEMAKER_S3_URL and start a SageMaker batch "
            "transform with the model's deployment, instead of Celery chunks",
        )
        parser.add_argument(
            "--collect",
            type=int,
            metavar="RUN",
            help="read a finished batch transform's output back and write what changed",
        )
        parser.add_argument(
            "--run-transform-locally",
            action="store_true",
            help="with --collect: first do the transform here with the local stand-in "
            "(the same container contract), for machines without AWS",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["collect"]:
            return self._collect(options["collect"], options["run_transform_locally"])
        filters = {
            "channels": options["channel"],
            "since": options["since"],
            "until": options["until"],
            "scored_by_version": options["scored_by"],
        }
        try:
            run = rescore_start(
                model_version=options["model_version"],
                filters=filters,
                chunk_size=options["chunk_size"],
                approximate_reasons=options["approximate_reasons"],
                dispatch=not options["inline"] and not options["sagemaker_transform"],
                mode=(RescoreMode.TRANSFORM if options["sagemaker_transform"] else RescoreMode.CELERY),
            )
            if options["sagemaker_transform"]:
                from modelops.transform import transform_submit

                job = transform_submit(run=run)
        except (LifecycleError, NoUsableModel) as exc:
            raise CommandError(str(exc)) from exc
        if options["sagemaker_transform"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Rescore run {run.pk}: {run.total:,} applications written to S3; transform job {job} "
                    f"started. When it has completed: python manage.py rescore --collect {run.pk}"
                )
            )
            return None
        self.stdout.write(
            f"Rescore run {run.pk}: {run.total:,} open applications with "
            f"v{run.model_version.version}, {run.chunks.count()} chunks"
        )
        if options["no_wait"] and not options["inline"]:
            self.stdout.write("Started; follow it on /models/rescoring/ or with this command's progress.")
            return
        with tqdm(total=run.total, unit="app", desc="rescoring", disable=None) as bar:

            def show() -> RescoreRun:
                current = RescoreRun.objects.get(pk=run.pk)
                bar.n = current.processed
                bar.set_postfix(changed=current.changed)
                bar.refresh()
                return current

            if options["inline"]:
                run = rescore_run_inline(run, on_chunk=show)
                show()
            else:
                while (run := show()).status not in (RunStatus.FINISHED, RunStatus.FAILED):
                    time.sleep(0.5)
        if run.status == RunStatus.FAILED:
            raise CommandError(f"run {run.pk} failed: {run.error}")
        took = (run.finished_at - run.created_at).total_seconds() if run.finished_at else 0
        self.stdout.write(
            self.style.SUCCESS(
                f"Run {run.pk} finished: {run.processed:,} applications in {took:.1f} s, {run.changed:,} "
                f"decisions changed, {run.routed_to_review:,} newly routed to review."
            )
        )

    def _collect(self, run_id: int, locally: bool) -> None:
        from modelops.transform import run_local_transform, transform_collect

        run = RescoreRun.objects.select_related("model_version").filter(pk=run_id).first()
        if run is None or run.mode != RescoreMode.TRANSFORM or not run.transform_job:
            raise CommandError(f"run {run_id} is not a submitted batch transform")
        if locally:
            rows = run_local_transform(
                model_url=run.model_version.artifact_uri,
                input_prefix=f"{run.transform_prefix}/input/",
                output_prefix=f"{run.transform_prefix}/output/",
            )
            self.stdout.write(f"Transformed {rows:,} rows locally.")
        try:
            run = transform_collect(run=run)
        except LifecycleError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Run {run.pk} {run.status}: {run.processed:,} applications, "
                f"{run.changed:,} decisions changed, "
                f"{run.routed_to_review:,} newly routed to review."
            )
        )
