"""Mail entry's pages: batches, scans, the keying screen (scan beside the form), the
supervisor's comparison screen and the clerks' quality. Views parse and answer; services
decide; accounts.access says who may."""

from __future__ import annotations

from typing import Any

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import (
    can_key_mail,
    can_resolve_mail_item,
    can_supervise_mail,
    can_use_mail_entry,
)
from applicants.models import Draft
from applicants.schema import get_schema
from channels_ingest.mail import scans, selectors, services
from channels_ingest.mail.forms import BatchForm, ScanForm
from channels_ingest.mail.models import Choice, ItemState, KeyingPass
from channels_ingest.webform import presenters
from objectstore import ObjectNotFound


def _forbidden(request: HttpRequest, text: str = "") -> HttpResponse:
    return render(request, "mail/forbidden.html", {"text": text}, status=403)


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can_use_mail_entry(user):
        return _forbidden(request)
    return render(
        request,
        "mail/home.html",
        {
            "work": selectors.work_for_clerk(user) if can_key_mail(user) else [],
            "is_clerk": can_key_mail(user),
            "is_supervisor": can_supervise_mail(user),
            "mismatches": selectors.mismatches_waiting(user) if can_supervise_mail(user) else [],
            "unreadable": selectors.unreadable_waiting() if can_supervise_mail(user) else [],
            "batches": selectors.batches()[:30],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def batch_new(request: HttpRequest) -> HttpResponse:
    if not can_supervise_mail(request.user):
        return _forbidden(request, "Batches are opened by a mail supervisor.")
    form = BatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.batch_open(actor=request.user, **form.cleaned_data)
        except services.MailRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Batch {batch.number} is open with {batch.forms_count} forms.")
            return redirect("mail:batch", batch_id=batch.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "mail/batch_new.html", {"form": form}, status=status)


@login_required
@require_GET
def batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    if not can_use_mail_entry(request.user):
        return _forbidden(request)
    found = selectors.batch_get(batch_id)
    if found is None:
        raise Http404("No such batch")
    return render(
        request,
        "mail/batch.html",
        {
            "batch": found,
            "items": selectors.batch_items(found),
            "scan_form": ScanForm(),
            "is_clerk": can_key_mail(request.user),
        },
    )


@login_required
@require_POST
def scan_upload_view(request: HttpRequest, item_id: int) -> HttpResponse:
    if not can_use_mail_entry(request.user):
        return _forbidden(request)
    item = selectors.item_get(item_id)
    if item is None:
        raise Http404("No such form")
    upload = request.FILES.get("scan")
    if upload is None:
        messages.error(request, f"Form {item.sequence}: choose the scan file to upload.")
        return redirect("mail:batch", batch_id=item.batch_id)
    from django.conf import settings

    limit = settings.MAIL_SCAN_MAX_BYTES
    # Never read more than one byte past the limit: a huge file is refused unread.
    data = upload.read(limit + 1)
    try:
        services.scan_upload(item=item, data=data, actor=request.user)  # type: ignore[arg-type]  # login_required
    except services.MailRefused as exc:
        messages.error(request, f"Form {item.sequence}: {exc} Nothing was saved.")
    else:
        messages.success(request, f"Form {item.sequence}: scan saved; the form is ready to key.")
    return redirect("mail:batch", batch_id=item.batch_id)


@login_required
@require_GET
@never_cache
@xframe_options_sameorigin
# (django-csp's decorator types take views of the request alone; this one has an argument too.)
@csp_replace({"frame-ancestors": [SELF]})  # type: ignore[arg-type]
def scan(request: HttpRequest, item_id: int) -> HttpResponse:
    """The scan itself, to clerks and supervisors only (never a public static URL); shown in
    the keying and comparison pages' frame, so framing by our own pages is allowed here."""
    if not can_use_mail_entry(request.user):
        return _forbidden(request)
    item = selectors.item_get(item_id)
    if item is None or not item.has_scan:
        raise Http404("No scan for this form")
    try:
        data = services.scan_read(item)
    except ObjectNotFound as exc:
        raise Http404("The scan is missing from storage") from exc
    content_type = item.scan_type
    if content_type == scans.TIFF and request.GET.get("original") != "1":
        # Browsers do not draw TIFF: a page of it as PNG (the original on ?original=1).
        page = request.GET.get("page", "1")
        try:
            data = scans.tiff_page_as_png(data, int(page) if page.isdigit() and len(page) < 6 else 1)
        except scans.ScanUnreadable as exc:
            raise Http404("The scan cannot be drawn") from exc
        content_type = "image/png"
    response = HttpResponse(data, content_type=content_type)
    extension = content_type.rsplit("/", 1)[-1]
    response["Content-Disposition"] = f'inline; filename="form-{item.sequence}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def pass_start_view(request: HttpRequest, item_id: int) -> HttpResponse:
    if not can_key_mail(request.user):
        return _forbidden(request, "Forms are keyed by mail clerks.")
    item = selectors.item_get(item_id)
    if item is None:
        raise Http404("No such form")
    try:
        keying = services.pass_start(item=item, clerk=request.user)
    except services.MailRefused as exc:
        messages.error(request, str(exc))
        return redirect("mail:home")
    return redirect("mail:key", pass_id=keying.pk)


# --- keying --------------------------------------------------------------------------------------


def _groups(
    answers: dict[str, Any], raw: dict[str, Any] | None = None, errors: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The whole paper form on one screen: one group per section (the web form's steps),
    then the signed consents; inputs drawn by the web form's presenters."""
    schema = get_schema()
    groups: list[dict[str, Any]] = [
        {
            "title": s.title,
            "name": s.name,
            "fields": presenters.field_views(s.fields, answers, raw=raw, errors=errors),
        }
        for s in presenters.steps(schema)
    ]
    consents = presenters.consent_fields(schema)
    if consents:
        groups.append(
            {
                "title": "Signed consents",
                "name": "consents",
                "fields": presenters.field_views(consents, answers, raw=raw, errors=errors),
            }
        )
    first_error = None
    for group in groups:
        for view in group["fields"]:
            view.autofocus = False
            if view.error and first_error is None:
                first_error = view
    # Focus starts on the first error, or else the first field: keying starts at once.
    target = first_error or next((v for g in groups for v in g["fields"]), None)
    if target is not None:
        target.autofocus = True
    return groups


def _keyed_fields() -> list[Any]:
    schema = get_schema()
    return [f for s in presenters.steps(schema) for f in s.fields] + presenters.consent_fields(schema)


def _raw(request: HttpRequest, *, keep_blank: set[str]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for spec in _keyed_fields():
        if spec.must_be_true:  # an unticked box is a "no" only when finishing or unticked
            if request.POST.get(spec.name):
                raw[spec.name] = "yes"
            elif spec.name in keep_blank:
                raw[spec.name] = "no"
            continue
        value = request.POST.get(spec.name, "")
        if value.strip() or spec.name in keep_blank:
            raw[spec.name] = value
    return raw


@login_required
@require_http_methods(["GET", "POST"])
def key(request: HttpRequest, pass_id: int) -> HttpResponse:
    """One clerk's pass: the scan beside the whole form. Blind: nothing of the other pass."""
    if not can_key_mail(request.user):
        return _forbidden(request, "Forms are keyed by mail clerks.")
    keying = KeyingPass.objects.filter(pk=pass_id).select_related("item__batch").first()
    if keying is None or keying.clerk_id != request.user.pk:
        raise Http404("No such pass of yours")
    if keying.is_finished:
        messages.info(request, f"Form {keying.item} is keyed; thank you.")
        return redirect("mail:home")
    draft = Draft.objects.filter(pk=keying.draft_id).first() if keying.draft_id is not None else None
    if draft is None:  # purged after DRAFT_TTL_DAYS without being finished
        messages.error(
            request,
            f"Your pass of form {keying.item} expired unfinished; ask a supervisor to open the form again.",
        )
        return redirect("mail:home")
    if request.method == "GET":
        return _render_key(request, keying, _groups(draft.answers or {}))
    action = request.POST.get("action", "save")
    # Saving keeps what is typed (a blank only clears an answer given before); finishing
    # sends every field, so a missing one is named.
    keep_blank = {s.name for s in _keyed_fields()} if action == "finish" else set(draft.answers or {})
    raw = _raw(request, keep_blank=keep_blank)
    try:
        if action == "finish":
            errors = services.pass_finish(keying=keying, clerk=request.user, raw=raw)
        else:
            errors = services.pass_save(keying=keying, clerk=request.user, raw=raw)
    except services.MailRefused as exc:
        messages.error(request, str(exc))
        return redirect("mail:home")
    draft.refresh_from_db()
    if errors:
        return _render_key(request, keying, _groups(draft.answers or {}, raw=raw, errors=errors), status=422)
    if action == "finish":
        messages.success(request, f"Form {keying.item} keyed (pass {keying.number}).")
        return redirect("mail:home")
    messages.success(request, "Saved.")
    return redirect("mail:key", pass_id=keying.pk)


def _render_key(
    request: HttpRequest, keying: KeyingPass, groups: list[dict[str, Any]], *, status: int = 200
) -> HttpResponse:
    errors = [v for g in groups for v in g["fields"] if v.error]
    return render(
        request,
        "mail/key.html",
        {
            "keying": keying,
            "item": keying.item,
            "groups": groups,
            "errors": errors,
        },
        status=status,
    )


# --- resolving and quality -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def resolve(request: HttpRequest, item_id: int) -> HttpResponse:
    if not can_supervise_mail(request.user):
        return _forbidden(request, "Differences are resolved by a mail supervisor.")
    item = selectors.item_get(item_id)
    if item is None:
        raise Http404("No such form")
    clerk_ids = [p.clerk_id for p in item.passes.all()]
    if not can_resolve_mail_item(request.user, clerk_ids=clerk_ids):
        return _forbidden(
            request, "You keyed this form, so another supervisor resolves it (segregation of duties)."
        )
    if item.state != ItemState.MISMATCH:
        if item.state == ItemState.SUBMITTED:
            messages.info(request, f"Form {item} is resolved and submitted.")
        return redirect("mail:home")
    errors: dict[str, str] = {}
    posted: dict[str, Any] = {}
    if request.method == "POST":
        rows = services.comparison(item)
        choices = {}
        for row in rows:
            if row["differs"]:
                name = row["field"].name
                choices[name] = (
                    request.POST.get(f"choice-{name}", ""),
                    request.POST.get(f"other-{name}", ""),
                )
                posted[name] = choices[name]
        try:
            errors = services.item_resolve(item=item, supervisor=request.user, choices=choices)
        except services.MailRefused as exc:
            messages.error(request, str(exc))
            return redirect("mail:home")
        if not errors:
            messages.success(request, f"Form {item} resolved and submitted.")
            return redirect("mail:home")
    rows = services.comparison(item)
    first_differing = next((r for r in rows if r["differs"]), None)
    for row in rows:
        row["autofocus"] = row is first_differing
        spec = row["field"]
        row["first_text"] = presenters.display_value(spec, row["first"])
        row["second_text"] = presenters.display_value(spec, row["second"])
        row["error"] = errors.get(spec.name, "")
        chosen, other = posted.get(spec.name, ("", ""))
        row["chosen"], row["other"] = chosen, other
    return render(
        request,
        "mail/resolve.html",
        {
            "item": item,
            "rows": rows,
            "differing": [r for r in rows if r["differs"]],
            "errors": [r for r in rows if r["error"]],
            "choices": Choice,
            **_clerk_names(item),
        },
        status=422 if errors else 200,
    )


def _clerk_names(item: Any) -> dict[str, str]:
    passes = sorted(item.passes.select_related("clerk"), key=lambda p: p.number)
    names = [selectors.person_name(p.clerk) for p in passes] + ["—", "—"]
    return {"first_clerk": names[0], "second_clerk": names[1]}


@login_required
@require_GET
def quality(request: HttpRequest) -> HttpResponse:
    if not can_supervise_mail(request.user):
        return _forbidden(request, "Clerk quality is for mail supervisors.")
    return render(request, "mail/quality.html", {"rows": selectors.clerk_quality()})
