"""`manage.py model approve|activate|retire|rollback|list`: the registry's steps from a shell.

The same services as the registry pages (modelops.registry), so the same rules hold: the
approver role and the two-person rule (who trained a version may not approve it), every
approval gate (governance's evidence pack among them), approval before activation, features
matching the configured schema; and the same audit trail entries and status history, with the
person named by `--as` as the actor. A refusal is the service's own sentence, exit status 1.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.types import User
from modelops.registry import (
    LifecycleError,
    model_version_activate,
    model_version_approve,
    model_version_retire,
    model_version_rollback,
)
from scoring.models import ModelVersion
from scoring.selectors import NoUsableModel

CHANNEL = "manage.py model"


class Command(BaseCommand):
    help = (
        "Move a model version through its life as the pages do: approve VERSION, activate "
        "VERSION, retire VERSION, rollback (to the version active before), or list. Every step "
        "but list names who takes it with --as USERNAME; the two-person rule, approval gates and "
        "audit trail are the pages'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        steps = parser.add_subparsers(dest="step", required=True, metavar="STEP")
        for name, text in (
            ("approve", "candidate → approved (an approver who did not train it)"),
            ("activate", "approved → active; the active version retires"),
            ("retire", "a candidate or approved version out of consideration"),
        ):
            step = steps.add_parser(name, help=text)
            step.add_argument("version", type=int)
            self._common(step)
            if name == "approve":
                step.add_argument(
                    "--fairness-justification",
                    default="",
                    help="a written justification, where the evidence pack's fairness gate failed",
                )
        self._common(steps.add_parser("rollback", help="the previously active version becomes active again"))
        steps.add_parser("list", help="versions, their status and who trained and approved them")

    @staticmethod
    def _common(step: CommandParser) -> None:
        step.add_argument("--as", dest="actor", required=True, metavar="USERNAME", help="who takes the step")
        step.add_argument("--note", default="", help="recorded in the status history and audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        step = options["step"]
        if step == "list":
            self._list()
            return
        actor = _user(options["actor"])
        note = options["note"].strip() or f"{_PAST[step]} ({CHANNEL})"
        try:
            if step == "rollback":
                model = model_version_rollback(actor=actor, note=note)
            else:
                model = _version(options["version"])
                if step == "approve":
                    evidence = {"fairness_justification": options["fairness_justification"].strip()}
                    model = model_version_approve(model=model, actor=actor, note=note, evidence=evidence)
                elif step == "activate":
                    model = model_version_activate(model=model, actor=actor, note=note)
                else:
                    model = model_version_retire(model=model, actor=actor, note=note)
        except (LifecycleError, NoUsableModel) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"v{model.version} is {model.status} ({_PAST[step]} by {actor.get_username()})")
        if step == "approve":
            self.stdout.write(
                f"activating it is a separate step: manage.py model activate {model.version} --as …"
            )

    def _list(self) -> None:
        rows = ModelVersion.objects.select_related("trained_by", "approved_by").order_by("-version")
        for model in rows:
            auc = (model.metrics or {}).get("roc_auc_high_vs_rest")
            self.stdout.write(
                f"v{model.version:<4} {model.status:<10} {model.target:<7} "
                f"AUC {auc if auc is not None else 'n/a':<7} "
                f"trained by {_who(model.trained_by)}, approved by {_who(model.approved_by)}"
            )


_PAST = {"approve": "approved", "activate": "activated", "retire": "retired", "rollback": "rolled back"}


def _who(user: User | None) -> str:
    return user.get_username() if user is not None else "-"


def _user(username: str) -> User:
    user = get_user_model()._default_manager.filter(username=username).first()
    if user is None:
        raise CommandError(f"there is no user named {username!r}")
    if not user.is_active:
        raise CommandError(f"{username} is deactivated and may not change models")
    return user


def _version(number: int) -> ModelVersion:
    model = ModelVersion.objects.filter(version=number).first()
    if model is None:
        raise CommandError(f"there is no model v{number}")
    return model
