"""Who gets what, everywhere: every URL pattern of the project, requested as every role and
anonymously, against the answer written down in MATRIX below.

The URL patterns are found at test time (django.urls.get_resolver(), walked recursively: the
pages, the API, the admin, the channels, health checks, API docs, and whatever is added
later). A pattern without a row in MATRIX fails `test_every_url_pattern_has_a_row`, which
prints a row to paste and fill in; a row whose URL is gone fails the test next to it.

Reading a row:

    Row("auditing:item", "GET", "login 403 403 403 200 200 403 403 403 403", {"item_id": "review_item"})

is: GET the URL named auditing:item, its `item_id` taken from the world's review item; the
answers are for, in order, an anonymous visitor, then one account of each role
(accounts.roles.Role, in its order; a new role is a new column in every row):

    anon  applicant  agent  clerk  auditor  auditor_lead  approver  analyst  admin  mail_supervisor

An answer is a status code, or where a redirect goes: `login` (the staff login page),
`alogin` (the admin's login page), `applogin` (the applicants' login page), `2fa` (the
two-factor pages), `302` (anywhere else). `a|b` accepts either (used only where the answer
depends on services outside this test, said in the row's note). Pages are requested with a
logged-in session; rows marked `api=True` with the account's API token (DRF's token
authentication), as a mobile client would.

The same URLs are requested once more as each staff role that must use a second factor, with
OTP_REQUIRED_FOR_STAFF on (production's default) and no code given: nothing but the login,
two-factor and health pages may open (`test_staff_who_owe_a_second_factor_reach_nothing_else`).

Detail URLs get real ids from one set of objects built once for the module (`world`): an
application an applicant submitted, another applicant's application, a review item, a
model version, a training run, labelled exports (one the analyst asked for, one a colleague
did), drafts. Each request runs in a savepoint that is rolled back, so a POST that changes
something (claims an item, activates a model) leaves the next request the same world.

Writing a row for a new URL: decide what each role *should* get (not what it gets today),
then run this module. If a role gets more than it should, fix the view (through
accounts/access.py), not the row.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.access import SECOND_FACTOR_ROLES
from accounts.roles import Role

ROOT = Path(__file__).resolve().parents[2]
PERSONAS = ("anon", *(str(role) for role in Role))

# --- the URL patterns of the project ----------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    key: str  # the URL name with its namespaces ("auditing:item"), or the route when unnamed
    route: str


def url_patterns() -> list[Pattern]:
    """Every URL pattern, found by walking the resolver (includes, namespaces, the admin)."""
    found: list[Pattern] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str | None) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
                found.append(Pattern(key=name or route, route=route))

    walk(get_resolver(), "", None)
    return found


# --- the expected answers -----------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    key: str
    method: str
    expect: str  # one answer per persona, in PERSONAS order
    kwargs: dict[str, str] = field(default_factory=dict)  # URL kwarg -> key in the world
    api: bool = False  # authenticate with the account's API token instead of a session
    data: str | None = None  # key in the world of a request body
    path: str | None = None  # key in the world of a ready path (unnamed patterns)
    note: str = ""

    def answers(self) -> dict[str, str]:
        tokens = self.expect.split()
        assert len(tokens) == len(PERSONAS), (
            f"{self.key}: {len(tokens)} answers for {len(PERSONAS)} columns {PERSONAS}. A role "
            "was added (accounts.roles.Role)? Give every row an answer for it, in this order."
        )
        return dict(zip(PERSONAS, tokens, strict=True))

    @property
    def id(self) -> str:
        return f"{self.method} {self.key}" + (f" ({self.note})" if self.note else "")


# Agents, clerks and admins see any application (can_view_application); an applicant only
# their own; auditors only on the review pages (a blind review stays blind).
OWN_APP = "{} 200 200 200 404 404 404 404 200 404"
OTHERS_APP = "{} 404 200 200 404 404 404 404 200 404"
REVIEWERS = "login 403 403 403 {0} {0} 403 403 403 403"  # auditor, auditor_lead
LEADS = "login 403 403 403 403 {0} 403 403 {0} 403"  # auditor_lead, admin: trail, label quality
ANALYSTS = "login 403 403 403 403 403 403 {0} {0} 403"  # analyst, admin: labelled exports
MODEL_VIEWERS = "login 403 403 403 403 {0} {0} {0} {0} 403"  # auditor_lead, approver, analyst, admin
EVERYONE = " ".join(["{}"] * len(PERSONAS))


def everyone(answer: str) -> str:
    return " ".join([answer] * len(PERSONAS))


APPLICANT_ONLY = "applogin {} 404 404 404 404 404 404 404 404"  # drafts: their owner's alone
AGENTS = "login 403 {} 403 403 403 403 403 403 403"  # the agent screen (a call is its agent's)
MAIL = "login 403 403 {0} 403 403 403 403 403 {1}"  # mail entry: clerk, mail_supervisor

MATRIX: list[Row] = [
    # --- config: home, health, staff login, two-factor, API docs --------------------------------
    Row("home", "GET", everyone("200")),
    Row("healthz", "GET", everyone("200")),
    Row(
        "readyz",
        "GET",
        everyone("200|503"),
        note="open to all; ready or not depends on DynamoDB etc., the same answer for everyone",
    ),
    Row("login", "GET", everyone("200")),
    Row("logout", "GET", everyone("405"), note="logging out is a POST"),
    Row("logout", "POST", everyone("302")),
    Row(
        "two-factor-verify",
        "GET",
        "login 2fa 2fa 2fa 2fa 2fa 2fa 2fa 2fa 2fa",
        note="no device yet: sent to enrolment",
    ),
    Row("two-factor-enrol", "GET", "login 403 200 200 200 200 200 200 200 200"),
    Row("openapi-schema", "GET", everyone("200")),
    Row("api-docs", "GET", everyone("200")),
    # --- the REST API (token authentication) ----------------------------------------------------
    Row("api:token", "POST", everyone("400"), api=True, note="no credentials"),
    Row("api:token", "GET", "405 405 405 405 405 405 405 405 405 405", api=True),
    Row("api:application-schema", "GET", everyone("200"), api=True),
    Row(
        "api:application-list",
        "GET",
        "401 200 200 200 200 200 200 200 200 200",
        api=True,
        note="each sees what they submitted",
    ),
    Row(
        "api:application-list", "POST", "401 202 202 202 403 403 403 403 202 403", api=True, data="submission"
    ),
    Row("api:application-detail", "GET", OWN_APP.format("401"), {"pk": "application"}, api=True),
    Row(
        "api:application-detail",
        "GET",
        OTHERS_APP.format("401"),
        {"pk": "other_application"},
        api=True,
        note="another applicant's",
    ),
    # --- conversations (channels_ingest/conversation): the web chat is open to anyone (it
    # answers questions and collects answers; sending needs an applicant account); Twilio's
    # webhooks are anonymous and refuse any request without Twilio's signature.
    Row("conversation:chat", "GET", " ".join(["200"] * len(PERSONAS))),
    Row("conversation:chat-turn", "POST", " ".join(["400"] * len(PERSONAS)), note="no text"),
    Row("twilio:sms", "POST", " ".join(["403"] * len(PERSONAS)), note="unsigned"),
    Row("twilio:voice", "POST", " ".join(["403"] * len(PERSONAS)), note="unsigned"),
    Row("twilio:voice-status", "POST", " ".join(["403"] * len(PERSONAS)), note="unsigned"),
    # the phone simulator exists only under DEBUG (the tests run without it): 404 for everyone
    Row("simulator:phone", "GET", " ".join(["404"] * len(PERSONAS)), note="DEBUG off"),
    Row("simulator:phone", "POST", " ".join(["404"] * len(PERSONAS)), note="DEBUG off"),
    # --- the web form (channels_ingest/webform) -----------------------------------------------
    Row("webform:home", "GET", everyone("200")),
    Row("webform:start", "POST", "applogin 302 403 403 403 403 403 403 403 403"),
    Row("webform:resume", "GET", APPLICANT_ONLY.format("302"), {"draft_id": "draft"}),
    Row(
        "webform:resume",
        "GET",
        APPLICANT_ONLY.format("404"),
        {"draft_id": "other_draft"},
        note="another applicant's draft",
    ),
    Row(
        "webform:step", "GET", APPLICANT_ONLY.format("200"), {"draft_id": "draft", "section": "first_section"}
    ),
    Row(
        "webform:step",
        "GET",
        APPLICANT_ONLY.format("404"),
        {"draft_id": "other_draft", "section": "first_section"},
        note="another applicant's draft",
    ),
    Row(
        "webform:check-field",
        "POST",
        APPLICANT_ONLY.format("200"),
        {"draft_id": "draft", "name": "field_name"},
        data="one_answer",
    ),
    Row("webform:review", "GET", APPLICANT_ONLY.format("200"), {"draft_id": "draft"}),
    Row("webform:status", "GET", OWN_APP.format("applogin"), {"application_id": "application"}),
    Row(
        "webform:status",
        "GET",
        OTHERS_APP.format("applogin"),
        {"application_id": "other_application"},
        note="another applicant's",
    ),
    # --- the call-centre agent screen (channels_ingest/phone): agents only ----------------------
    Row("phone:home", "GET", AGENTS.format("200")),
    Row("phone:call-new", "POST", AGENTS.format("302"), note="a new caller: straight to keying"),
    Row("phone:verify", "GET", AGENTS.format("200"), {"call_id": "phone_call"}),
    Row("phone:verify", "POST", AGENTS.format("422"), {"call_id": "phone_call"}, note="empty form"),
    Row(
        "phone:caller",
        "GET",
        AGENTS.format("302"),
        {"call_id": "phone_call"},
        note="not verified yet: to the identity check",
    ),
    Row(
        "phone:key-draft",
        "POST",
        AGENTS.format("302"),
        {"call_id": "phone_call"},
        note="not verified: refused with a message",
    ),
    Row("phone:key", "GET", AGENTS.format("200"), {"call_id": "keying_call", "section": "first_section"}),
    Row(
        "phone:check-field",
        "POST",
        AGENTS.format("200"),
        {"call_id": "keying_call", "name": "field_name"},
        data="one_answer",
    ),
    Row("phone:review", "GET", AGENTS.format("200"), {"call_id": "keying_call"}),
    Row("phone:done", "GET", AGENTS.format("302"), {"call_id": "keying_call"}, note="not submitted yet"),
    Row("phone:handoffs", "GET", AGENTS.format("200")),
    Row("phone:handoff-take", "POST", AGENTS.format("302"), {"handoff_id": "handoff"}),
    Row("phone:handoff-release", "POST", AGENTS.format("302"), {"handoff_id": "handoff"}),
    # --- mail entry (channels_ingest/mail): clerks key, mail supervisors open and resolve -------
    Row("mail:home", "GET", MAIL.format("200", "200")),
    Row("mail:batch-new", "GET", MAIL.format("403", "200")),
    Row("mail:batch-new", "POST", MAIL.format("403", "422"), note="empty form"),
    Row("mail:batch", "GET", MAIL.format("200", "200"), {"batch_id": "mail_batch"}),
    Row(
        "mail:scan",
        "GET",
        MAIL.format("200", "200"),
        {"item_id": "mail_item"},
        note="the scan: never to anyone else",
    ),
    Row(
        "mail:scan-upload",
        "POST",
        MAIL.format("302", "302"),
        {"item_id": "mail_fresh_item"},
        note="no file: back to the batch with a message",
    ),
    Row("mail:pass-start", "POST", MAIL.format("302", "403"), {"item_id": "mail_fresh_item"}),
    Row("mail:key", "GET", MAIL.format("200", "403"), {"pass_id": "mail_pass"}, note="the clerk's own pass"),
    Row("mail:key", "POST", MAIL.format("302", "403"), {"pass_id": "mail_pass"}, note="save, nothing typed"),
    Row(
        "mail:key",
        "GET",
        MAIL.format("404", "403"),
        {"pass_id": "mail_other_pass"},
        note="another clerk's pass (blind)",
    ),
    Row("mail:resolve", "GET", MAIL.format("403", "200"), {"item_id": "mail_mismatch"}),
    Row("mail:resolve", "POST", MAIL.format("403", "422"), {"item_id": "mail_mismatch"}, note="no choices"),
    Row("mail:quality", "GET", MAIL.format("403", "200")),
    Row(
        "mail:check-field",
        "POST",
        MAIL.format("200", "403"),
        {"pass_id": "mail_pass", "name": "field_name"},
        data="one_answer",
        note="one answer of the clerk's own pass, checked live",
    ),
    Row(
        "mail:unreadable", "POST", MAIL.format("302", "403"), {"item_id": "mail_fresh_item"}, note="no reason"
    ),
    Row("mail:decide", "POST", MAIL.format("403", "302"), {"item_id": "mail_fresh_item"}, note="no action"),
    # --- applicant accounts (django-allauth under apply/account/) -------------------------------
    # Its pages for signed-in people send anonymous visitors to settings.LOGIN_URL, which is
    # the staff login page (applicants would rather land on apply/account/login/).
    Row("account_login", "GET", "200 302 302 302 302 302 302 302 302 302", note="signed in already: sent on"),
    Row("account_logout", "GET", "302 200 200 200 200 200 200 200 200 200"),
    Row("account_logout", "POST", everyone("302")),
    Row("account_inactive", "GET", everyone("200")),
    Row("account_signup", "GET", "200 302 302 302 302 302 302 302 302 302"),
    Row("account_reauthenticate", "GET", "login 200 200 200 200 200 200 200 200 200"),
    Row("account_email", "GET", "login 200 200 200 200 200 200 200 200 200"),
    Row("account_email_verification_sent", "GET", everyone("200")),
    Row("account_change_password", "GET", "login 200 200 200 200 200 200 200 200 200"),
    Row("account_set_password", "GET", "login 302 302 302 302 302 302 302 302 302"),
    Row("account_reset_password", "GET", everyone("200")),
    Row("account_reset_password_done", "GET", everyone("200")),
    Row(
        "account_reset_password_from_key",
        "GET",
        everyone("200"),
        {"uidb36": "bogus_uid", "key": "bogus_key"},
        note="a made-up key",
    ),
    Row("account_reset_password_from_key_done", "GET", everyone("200")),
    Row("account_confirm_login_code", "GET", everyone("302"), note="no login waiting for a code"),
    Row("account_confirm_email", "GET", everyone("200"), {"key": "bogus_key"}, note="a made-up key"),
    # --- review queue, audit trail, labelled exports (auditing) ----------------------------------
    Row("auditing:queue", "GET", REVIEWERS.format("200")),
    Row("auditing:claim-next", "POST", REVIEWERS.format("302")),
    Row("auditing:item", "GET", REVIEWERS.format("200"), {"item_id": "review_item"}),
    Row("auditing:item", "GET", REVIEWERS.format("404"), {"item_id": "missing_id"}, note="no such item"),
    Row("auditing:claim", "POST", REVIEWERS.format("302"), {"item_id": "review_item"}),
    Row(
        "auditing:renew",
        "POST",
        REVIEWERS.format("409"),
        {"item_id": "review_item"},
        note="not claimed by them",
    ),
    Row("auditing:release", "POST", REVIEWERS.format("302"), {"item_id": "review_item"}),
    Row("auditing:skip", "POST", REVIEWERS.format("302"), {"item_id": "review_item"}),
    Row("auditing:review", "POST", REVIEWERS.format("400"), {"item_id": "review_item"}, note="empty form"),
    Row(
        "auditing:second-opinion",
        "POST",
        REVIEWERS.format("400"),
        {"item_id": "review_item"},
        note="empty form",
    ),
    Row(
        "auditing:unmask",
        "POST",
        "login 403 403 403 403 200 403 403 403 403",
        {"item_id": "review_item"},
        note="personal data: auditor leads only on this page",
    ),
    Row("auditing:quality", "GET", LEADS.format("200")),
    Row("auditing:trail", "GET", LEADS.format("200")),
    Row("auditing:trail-export", "GET", LEADS.format("200")),
    Row("auditing:exports", "GET", ANALYSTS.format("200")),
    Row("auditing:exports", "POST", ANALYSTS.format("400"), note="empty form"),
    Row("auditing:export-status", "GET", ANALYSTS.format("200"), {"job_id": "export"}),
    Row(
        "auditing:export-status",
        "GET",
        "login 403 403 403 403 403 403 404 200 403",
        {"job_id": "other_export"},
        note="a colleague's export",
    ),
    Row("auditing:export-download", "GET", ANALYSTS.format("200"), {"job_id": "export"}),
    Row(
        "auditing:export-download",
        "GET",
        "login 403 403 403 403 403 403 404 409 403",
        {"job_id": "other_export"},
        note="a colleague's export, not done",
    ),
    # --- the model registry (modelops) -----------------------------------------------------------
    Row("modelops:model-list", "GET", MODEL_VIEWERS.format("200")),
    Row("modelops:model-detail", "GET", MODEL_VIEWERS.format("200"), {"version": "model"}),
    Row(
        "modelops:model-detail",
        "GET",
        MODEL_VIEWERS.format("404"),
        {"version": "missing_id"},
        note="no such version",
    ),
    Row("modelops:model-approve", "POST", "login 403 403 403 403 403 302 403 403 403", {"version": "model"}),
    Row("modelops:model-activate", "POST", "login 403 403 403 403 403 302 403 302 403", {"version": "model"}),
    Row("modelops:model-retire", "POST", "login 403 403 403 403 403 302 403 302 403", {"version": "model"}),
    Row("modelops:model-shadow", "POST", "login 403 403 403 403 403 302 403 302 403", {"version": "model"}),
    Row("modelops:model-rollback", "POST", "login 403 403 403 403 403 302 403 302 403"),
    Row("modelops:training-start", "POST", "login 403 403 403 403 403 302 302 302 403"),
    Row("modelops:training-detail", "GET", MODEL_VIEWERS.format("200"), {"pk": "training_run"}),
    Row("modelops:rescoring", "GET", MODEL_VIEWERS.format("200")),
    # Without confirm a POST is the preview (how many would be rescored): 200.
    Row("modelops:rescoring", "POST", "login 403 403 403 403 403 200 403 200 403"),
    # History import (issue #15): those who may train (approver, analyst, admin). A POST with
    # no file is the form again with its message: 400.
    Row("modelops:history-upload", "GET", "login 403 403 403 403 403 200 200 200 403"),
    Row("modelops:history-upload", "POST", "login 403 403 403 403 403 400 400 400 403"),
    Row(
        "modelops:history-rejects",
        "GET",
        "login 403 403 403 403 403 404 404 404 403",
        {"pk": "admin_object:modelops.historyimport"},
        note="an import without a rejects file",
    ),
    # --- monitoring: dashboard and alerts (acting on alerts: analysts, auditor leads, admins) ----
    Row("monitoring:dashboard", "GET", MODEL_VIEWERS.format("200")),
    Row("monitoring:alerts", "GET", MODEL_VIEWERS.format("200")),
    Row("monitoring:rollup", "POST", "login 403 403 403 403 302 403 302 302 403"),
    # Queue health, live: who acts on a backlog (auditor leads, administrators).
    Row("monitoring:queues", "GET", "login 403 403 403 403 200 403 403 200 403"),
    Row(
        "monitoring:alert-acknowledge",
        "POST",
        "login 403 403 403 403 404 403 404 404 403",
        {"alert_id": "missing_id"},
        note="no such alert",
    ),
    Row(
        "monitoring:alert-resolve",
        "POST",
        "login 403 403 403 403 404 403 404 404 403",
        {"alert_id": "missing_id"},
        note="no such alert",
    ),
    # --- governance: replays, evidence and model cards (running them: approvers, analysts, admins)
    Row("governance:replays", "GET", MODEL_VIEWERS.format("200")),
    Row("governance:replays", "POST", "login 403 403 403 403 403 400 400 400 403", note="no model chosen"),
    Row("governance:replay-detail", "GET", MODEL_VIEWERS.format("200"), {"pk": "replay"}),
    Row("governance:replay-download", "GET", MODEL_VIEWERS.format("200"), {"pk": "replay"}),
    Row("governance:evidence", "GET", MODEL_VIEWERS.format("200"), {"version": "model"}),
    Row(
        "governance:evidence-replay",
        "POST",
        "login 403 403 403 403 403 302 302 302 403",
        {"version": "model"},
    ),
    Row(
        "governance:evidence-assemble",
        "POST",
        "login 403 403 403 403 403 302 302 302 403",
        {"version": "model"},
    ),
    Row(
        "governance:approve",
        "POST",
        "login 403 403 403 403 403 302 403 403 403",
        {"version": "model"},
        note="the active model: refused back to the evidence page",
    ),
    Row("governance:card", "GET", MODEL_VIEWERS.format("200"), {"version": "model"}),
    Row("governance:card-download", "GET", MODEL_VIEWERS.format("200"), {"version": "model"}),
    # --- erasure requests (privacy): administrators only --------------------------------------
    Row("privacy:erasures", "GET", "login 403 403 403 403 403 403 403 200 403"),
    Row("privacy:erasures", "POST", "login 403 403 403 403 403 403 403 400 403", note="empty form"),
]


# --- the Django admin ---------------------------------------------------------------------------

# What the admin role may do with each registered model in the Django admin: v(iew), a(dd),
# c(hange), d(elete). Whatever is not here is refused (403). Nobody else gets in: every other
# account is sent to the admin's login (accounts.access.can_use_admin_site), Django's staff
# flag notwithstanding (approvers and auditor leads carry it).
ADMIN_MODELS: dict[str, str] = {
    # accounts and logins
    "auth.user": "vacd",
    "auth.group": "vacd",
    "account.emailaddress": "vacd",
    "authtoken.tokenproxy": "vad",
    "otp_totp.totpdevice": "vacd",
    "axes.accessattempt": "vd",  # deleting one lifts a lockout
    "axes.accesslog": "vd",
    "axes.accessfailurelog": "vd",
    # records: read here, never deleted here (a decision cascades with its application; the
    # trail and erasure have their own recorded paths)
    "applicants.applicant": "vc",
    "applicants.application": "vc",
    "scoring.decision": "vc",
    "scoring.modelversion": "vc",
    "trail.trailentry": "v",
    "outbox.outboxmessage": "vc",  # change: the re-drive action
    "modelops.historyimport": "vd",
    "modelops.rescorerun": "vd",
    "modelops.trainingrun": "vd",
    "modelops.modeldeployment": "vd",
}

NOT_ADMIN = "alogin alogin alogin alogin alogin alogin alogin alogin {admin} alogin"


def _admin_expect(admin_answer: str) -> str:
    return NOT_ADMIN.format(admin=admin_answer)


def admin_rows() -> list[Row]:
    rows = [
        Row("admin:index", "GET", _admin_expect("200")),
        Row("admin:login", "GET", EVERYONE.format(*["200"] * 8, "302", "200")),
        Row("admin:logout", "POST", everyone("302")),
        Row("admin:password_change", "GET", _admin_expect("200")),
        Row("admin:password_change_done", "GET", _admin_expect("200")),
        Row("admin:autocomplete", "GET", _admin_expect("403"), note="no field named"),
        Row("admin:jsi18n", "GET", _admin_expect("200")),
        Row(
            "admin:view_on_site",
            "GET",
            _admin_expect("404"),
            path="view_on_site",
            note="no such content type",
        ),
        Row("admin:app_list", "GET", _admin_expect("200"), {"app_label": "admin_app"}),
        Row("admin/(?P<url>.*)$", "GET", _admin_expect("404"), path="admin_catch_all"),
        Row("admin:auth_user_password_change", "GET", _admin_expect("200"), {"id": "admin_user"}),
        Row(
            "admin:otp_totp_totpdevice_config",
            "GET",
            _admin_expect("200"),
            {"pk": "totp_device"},
            note="another account's device",
        ),
        Row(
            "admin:otp_totp_totpdevice_qrcode",
            "GET",
            _admin_expect("200"),
            {"pk": "totp_device"},
            note="another account's device",
        ),
    ]
    for model in sorted(admin.site._registry, key=lambda model: model._meta.label):
        meta = model._meta
        may = ADMIN_MODELS.get(meta.label_lower, "")
        base = f"admin:{meta.app_label}_{meta.model_name}"
        obj = f"admin_object:{meta.label_lower}"
        view = "200" if "v" in may or "c" in may else "403"
        rows += [
            Row(f"{base}_changelist", "GET", _admin_expect(view)),
            Row(f"{base}_add", "GET", _admin_expect("200" if "a" in may else "403")),
            Row(f"{base}_change", "GET", _admin_expect(view), {"object_id": obj}),
            Row(f"{base}_history", "GET", _admin_expect(view), {"object_id": obj}),
            Row(f"{base}_delete", "GET", _admin_expect("200" if "d" in may else "403"), {"object_id": obj}),
            Row(
                f"admin/{meta.app_label}/{meta.model_name}/<path:object_id>/",
                "GET",
                _admin_expect("302"),
                path=f"admin_redirect:{meta.label_lower}",
                note="to the change page",
            ),
        ]
    return rows


ALL_ROWS = MATRIX + admin_rows()


# --- the world: real objects to point detail URLs at --------------------------------------------


_national_ids = itertools.count(700_000)


def _answers(**changes: Any) -> dict[str, Any]:
    answers = json.loads((ROOT / "examples" / "application.json").read_text())["answers"]
    return {**answers, "national_id": f"MX{next(_national_ids)}R", **changes}


def _build_world(trained: Any) -> dict[str, Any]:
    from accounts.services import user_create_with_roles
    from applicants.drafts import draft_start
    from applicants.models import Application, Channel, Status
    from applicants.schema import get_schema
    from applicants.services import application_submit, application_transition
    from auditing.models import ReviewItem
    from auditing.services.exports import export_job_create, export_job_run
    from auditing.services.queue import review_queue_sync
    from channels_ingest.webform import presenters
    from modelops.registry import model_version_bootstrap, model_version_register
    from modelops.services import training_run_request
    from scoring.services import score_waiting_applications

    users = {
        role: user_create_with_roles(username=f"matrix_{role}", password="pw-for-tests", roles=[role])
        for role in Role
    }
    applicant, agent, analyst = users[Role.APPLICANT], users[Role.AGENT], users[Role.ANALYST]
    other_applicant = user_create_with_roles(
        username="matrix_other_applicant", password="pw-for-tests", roles=[Role.APPLICANT]
    )
    colleague = user_create_with_roles(
        username="matrix_other_analyst", password="pw-for-tests", roles=[Role.ANALYST]
    )
    schema = get_schema()
    model = model_version_bootstrap(
        model=model_version_register(trained=trained, schema=schema, training_source="tests"),
        note="role matrix",
    )

    def submit(actor: Any, *, for_self: bool) -> Any:
        return application_submit(
            answers=_answers(),
            channel=Channel.API,
            actor=actor,
            applicant_user=actor if for_self else None,
            idempotency_key=str(uuid.uuid4()),
        ).application

    own = submit(applicant, for_self=True)
    others = submit(other_applicant, for_self=True)
    keyed = submit(agent, for_self=False)  # goes to review
    score_waiting_applications()
    if Application.objects.get(pk=keyed.pk).status == Status.SCORED:
        application_transition(
            application_ids=[keyed.pk],
            from_status=Status.SCORED,
            to_status=Status.IN_REVIEW,
            note="role matrix: sent to review",
        )
    review_queue_sync()
    item = ReviewItem.objects.get(application=keyed)

    export = export_job_create(requested_by=analyst, format="csv", filters={})
    export_job_run(job_id=export.pk)
    other_export = export_job_create(requested_by=colleague, format="csv", filters={})

    first_section = presenters.steps(schema)[0].name
    draft = draft_start(channel=Channel.WEB, owner_user=applicant, first_section=first_section)
    other_draft = draft_start(channel=Channel.WEB, owner_user=other_applicant, first_section=first_section)
    field_name = next(f.name for f in schema.fields if not f.pii)
    from channels_ingest.phone.handoffs import handoff_create
    from channels_ingest.phone.services import call_draft_new, call_start

    phone_call = call_start(agent=agent, candidate=f"applicant:{keyed.applicant_id}")
    keying_call = call_start(agent=agent)
    call_draft_new(call=keying_call, first_section=first_section)
    handoff, _ = handoff_create(conversation_ref="matrix", answers={"full_name": ("Matt Rix", 0.5)})
    mail = _mail_world(users, applicant_answers=_answers)

    world: dict[str, Any] = {
        "users": users,
        "application": own.pk,
        "other_application": others.pk,
        "review_item": item.pk,
        "missing_id": 999_999,
        "export": export.pk,
        "other_export": other_export.pk,
        "model": model.version,
        "training_run": training_run_request(requested_by=analyst).pk,
        "draft": draft.pk,
        "other_draft": other_draft.pk,
        "first_section": first_section,
        "field_name": field_name,
        "phone_call": phone_call.pk,
        "keying_call": keying_call.pk,
        "handoff": handoff.pk,
        **mail,
        "submission": {"answers": _answers()},
        "one_answer": {field_name: "1"},
        "admin_user": users[Role.ADMIN].pk,
        "bogus_uid": "zz",
        "bogus_key": "not-a-key",
        "admin_app": "auth",
        "admin_catch_all": "/admin/no-such-page/",
        "view_on_site": f"/admin/r/0/{own.pk}/",
        "replay": _governance_world(model),
    }
    world["tokens"] = {role: Token.objects.get_or_create(user=user)[0].key for role, user in users.items()}
    world.update(_admin_objects(users, colleague, model))
    world["sessions"] = {role: _session_of(user) for role, user in users.items()}
    return world


def _governance_world(model: Any) -> int:
    """A finished replay of the active model over the world's decisions, and its evidence pack
    (the card and its download)."""
    from governance.evidence import evidence_pack_assemble
    from governance.replay import replay_run_inline, replay_start, replay_window

    since, until = replay_window()
    run = replay_run_inline(replay_start(model=model, since=since, until=until, dispatch=False))
    evidence_pack_assemble(model=model, actor=None)
    return run.pk


def _mail_world(users: dict[Role, Any], *, applicant_answers: Any) -> dict[str, Any]:
    """A batch with scanned forms: one the matrix clerk is keying, one another clerk is keying
    (blind to the matrix clerk), one whose two clerks disagree (for a supervisor), one fresh."""
    import datetime as dt

    from accounts.services import user_create_with_roles
    from channels_ingest.mail import services as mail

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    supervisor = users[Role.MAIL_SUPERVISOR]
    others = [
        user_create_with_roles(username=f"matrix_mail_clerk{n}", password="pw-for-tests", roles=[Role.CLERK])
        for n in (1, 2)
    ]
    batch = mail.batch_open(number="MATRIX-1", received_on=dt.date.today(), forms_count=4, actor=supervisor)
    items = [
        mail.scan_upload(item=item, data=png, actor=supervisor) for item in batch.items.order_by("sequence")
    ]
    own = mail.pass_start(item=items[0], clerk=users[Role.CLERK])
    other = mail.pass_start(item=items[1], clerk=others[0])
    answers = applicant_answers()
    for clerk, income in zip(others, (50000, 51000), strict=True):
        keying = mail.pass_start(item=items[2], clerk=clerk)
        assert mail.pass_finish(keying=keying, clerk=clerk, raw={**answers, "annual_income": income}) == {}
    return {
        "mail_batch": batch.pk,
        "mail_item": items[0].pk,
        "mail_pass": own.pk,
        "mail_other_pass": other.pk,
        "mail_mismatch": items[2].pk,
        "mail_fresh_item": items[3].pk,
    }


def _admin_objects(users: dict[Role, Any], colleague: Any, model: Any) -> dict[str, Any]:
    """One object of every model registered in the admin, so its change, history and delete
    pages are requested with a real id; the paths of the admin's plain `<id>/` redirects."""
    from django.apps import apps

    makers = {  # the models nothing above made
        "axes.accessattempt": lambda m: m.objects.create(
            username="matrix_nobody",
            ip_address="127.0.0.9",
            user_agent="x",
            http_accept="x",
            path_info="/accounts/login/",
            get_data="",
            post_data="",
            failures_since_start=1,
        ),
        "axes.accesslog": lambda m: m.objects.create(
            username="matrix_nobody",
            ip_address="127.0.0.9",
            user_agent="x",
            http_accept="x",
            path_info="/accounts/login/",
        ),
        "axes.accessfailurelog": lambda m: m.objects.create(
            username="matrix_nobody",
            ip_address="127.0.0.9",
            user_agent="x",
            http_accept="x",
            path_info="/accounts/login/",
        ),
        "otp_totp.totpdevice": lambda m: m.objects.create(user=colleague, name="matrix", confirmed=False),
        "account.emailaddress": lambda m: m.objects.create(
            user=users[Role.APPLICANT], email="matrix_applicant@example.com", verified=True, primary=True
        ),
        "modelops.historyimport": lambda m: m.objects.create(
            file_name="history.csv",
            schema_name=model.schema_name,
            label_column="tier",
            label_kind=model.target,
        ),
        "modelops.rescorerun": lambda m: m.objects.create(model_version=model),
        "modelops.modeldeployment": lambda m: m.objects.create(
            model_version=model,
            endpoint_name="matrix",
            endpoint_config_name="matrix",
            sagemaker_model_name="matrix",
            variant_name="AllTraffic",
            model_data_url="s3://bucket/model.tar.gz",
            instance_type="ml.m5.large",
            action="created",
        ),
    }
    found: dict[str, Any] = {}
    for model_class in admin.site._registry:
        label = model_class._meta.label_lower
        obj = model_class._default_manager.order_by("pk").first()
        if obj is None and label in makers:
            obj = makers[label](apps.get_model(label))
        assert obj is not None, (
            f"the role matrix needs one {label} for its admin pages: add a maker for it in "
            "_admin_objects (tests/accounts/test_role_matrix.py)"
        )
        app, name = label.split(".")
        found[f"admin_object:{label}"] = obj.pk
        found[f"admin_redirect:{label}"] = f"/admin/{app}/{name}/{obj.pk}/"
    found["totp_device"] = found.get("admin_object:otp_totp.totpdevice")
    return found


def _session_of(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture(scope="module")
def world(
    django_db_setup: Any, django_db_blocker: Any, trained_default: Any, tmp_path_factory: Any
) -> Iterator[dict[str, Any]]:
    """Built once for the module inside a transaction that is rolled back at its end, so the
    rest of the suite never sees these objects."""
    storage = tmp_path_factory.mktemp("role-matrix")
    overrides = override_settings(
        MODEL_STORAGE_URL=f"file://{storage / 'models'}",
        LABEL_EXPORT_STORAGE_URL=f"file://{storage / 'exports'}",
        MAIL_SCAN_STORAGE_URL=f"file://{storage / 'scans'}",
        GOVERNANCE_REPLAY_STORAGE_URL=f"file://{storage / 'replays'}",
    )
    overrides.enable()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        with django_db_blocker.unblock():
            built = _build_world(trained_default)
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
        overrides.disable()


@pytest.fixture(autouse=True)
def _model_storage() -> None:
    """The module keeps the world's model storage (the shared fixture would point each test
    at an empty folder)."""


# --- requesting and classifying --------------------------------------------------------------


def _url(row: Row, world: dict[str, Any]) -> str:
    if row.path:
        return world[row.path]
    return reverse(row.key, kwargs={name: world[source] for name, source in row.kwargs.items()})


def _client(row: Row, persona: str, world: dict[str, Any]) -> Client:
    if row.api:
        api = APIClient()
        if persona != "anon":
            api.credentials(HTTP_AUTHORIZATION=f"Token {world['tokens'][persona]}")
        return api
    client = Client()
    if persona != "anon":
        client.cookies[settings.SESSION_COOKIE_NAME] = world["sessions"][persona]
    return client


LOGIN_PAGES = {"login": settings.LOGIN_URL, "alogin": "/admin/login/", "applogin": "/apply/account/login/"}


def _answer(response: Any) -> str:
    if response.status_code in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        if location.startswith(("/accounts/two-factor/", "/accounts/two-factor/enrol/")):
            return "2fa"
        for name, page in LOGIN_PAGES.items():
            if location.startswith(page) and "next=" in location:
                return name
        return "302"
    return str(response.status_code)


def _request(row: Row, persona: str, world: dict[str, Any]) -> str:
    client, url = _client(row, persona, world), _url(row, world)
    kwargs: dict[str, Any] = {}
    if row.data:
        kwargs["data"] = world[row.data]
        if row.api:
            kwargs["format"] = "json"
    if row.api and row.method == "POST":
        kwargs["HTTP_IDEMPOTENCY_KEY"] = str(uuid.uuid4())
    with transaction.atomic():
        response = getattr(client, row.method.lower())(url, **kwargs)
        transaction.set_rollback(True)
    return _answer(response)


# --- the tests --------------------------------------------------------------------------------


def _suggestion(pattern: Pattern) -> str:
    names = [a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", pattern.route)]
    kwargs = {name: "?" for name in names}
    answers = " ".join(["login"] + ["403"] * (len(PERSONAS) - 1))
    return f'    Row("{pattern.key}", "GET", "{answers}"' + (f", {kwargs!r}" if kwargs else "") + "),"


def test_every_url_pattern_has_a_row() -> None:
    covered = {row.key for row in ALL_ROWS}
    missing = [pattern for pattern in url_patterns() if pattern.key not in covered]
    assert not missing, (
        "These URL patterns have no row in tests/accounts/test_role_matrix.py MATRIX. Decide "
        "what each role should get and add a row (the view must ask accounts/access.py):\n"
        + "\n".join(f"  {p.route}\n{_suggestion(p)}" for p in missing)
    )


def test_every_row_names_a_url_pattern() -> None:
    known = {pattern.key for pattern in url_patterns()}
    stale = sorted({row.key for row in ALL_ROWS} - known)
    assert not stale, f"rows for URL patterns that no longer exist (remove them): {stale}"


def test_every_admin_model_has_an_entry() -> None:
    registered = {model._meta.label_lower for model in admin.site._registry}
    missing = sorted(registered - set(ADMIN_MODELS))
    assert not missing, (
        f"models registered in the admin without an entry in ADMIN_MODELS: {missing}. Say what "
        "the admin role may do with each (v, a, c, d) in tests/accounts/test_role_matrix.py"
    )
    assert not set(ADMIN_MODELS) - registered, "ADMIN_MODELS names models no longer in the admin"


def test_url_keys_are_unique() -> None:
    keys = [pattern.key for pattern in url_patterns()]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    assert not duplicates, f"URL names used twice (the matrix cannot tell them apart): {duplicates}"


@pytest.mark.django_db
@pytest.mark.parametrize("row", ALL_ROWS, ids=lambda row: row.id)
def test_each_role_gets_the_expected_answer(row: Row, world: dict[str, Any]) -> None:
    cache.clear()  # throttles count per client address; other tests' requests must not count
    expected = row.answers()
    got = {persona: _request(row, persona, world) for persona in PERSONAS}
    wrong = {
        persona: f"expected {expected[persona]}, got {got[persona]}"
        for persona in PERSONAS
        if got[persona] not in expected[persona].split("|")
    }
    assert not wrong, f"{row.method} {_url(row, world)}: {wrong}"


# What stays open to a staff account that must use a second factor and has not given one
# (accounts/middleware.py): logging in and out, the two-factor pages, health checks.
OPEN_BEFORE_SECOND_FACTOR = {
    "login",
    "logout",
    "two-factor-verify",
    "two-factor-enrol",
    "admin:logout",
    "healthz",
    "readyz",
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", [str(role) for role in SECOND_FACTOR_ROLES])
def test_staff_who_owe_a_second_factor_reach_nothing_else(role: str, world: dict[str, Any]) -> None:
    """With OTP_REQUIRED_FOR_STAFF (production's default), a password alone opens no page:
    every other URL sends the session to the two-factor pages (403 under /api/), and the
    account's API token stops working (401)."""
    cache.clear()
    wrong = {}
    with override_settings(OTP_REQUIRED_FOR_STAFF=True):
        for row in ALL_ROWS:
            if row.key in OPEN_BEFORE_SECOND_FACTOR:
                expected = row.answers()[role]
            elif row.api:
                expected = "401"
            elif _url(row, world).startswith("/api/"):
                expected = "403"
            else:
                expected = "2fa"
            got = _request(row, role, world)
            if got not in expected.split("|"):
                wrong[row.id] = f"expected {expected}, got {got}"
    assert not wrong, wrong
