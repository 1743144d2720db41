"""The history upload page (the browser's `import_history`) and its rejects download. Thin:
access from accounts.access (those who may train may feed training), the file judged by
forms.HistoryUploadForm, the import by history_upload.history_upload_import."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from accounts.access import can_train_model
from accounts.types import AuthenticatedHttpRequest
from applicants.schema import get_schema
from modelops.forms import HISTORY_UPLOAD_MAX_BYTES, HistoryUploadForm, size_text
from modelops.history import HistoryFileError
from modelops.history_upload import history_upload_import, rejects_file
from modelops.models import HistoryImport
from modelops.training_data import training_data

REJECTS_SHOWN = 50
# Room for the form's other fields and the multipart boundaries around the file.
_BODY_SLACK = 64 * 1024


def _trainer(request: HttpRequest) -> None:
    if not can_train_model(request.user):
        raise PermissionDenied("Importing history is for approvers, analysts and administrators.")


def _render(
    request: HttpRequest, form: HistoryUploadForm, *, status: int = 200, **context: object
) -> HttpResponse:
    return render(
        request,
        "modelops/history_upload.html",
        {
            "form": form,
            "data": training_data(),
            "imports": [
                (item, rejects_file(item) is not None)
                for item in HistoryImport.objects.order_by("-created_at")[:10]
            ],
            "max_size": size_text(HISTORY_UPLOAD_MAX_BYTES),
            "can_train": True,  # (only those who may train reach this page)
            **context,
        },
        status=status,
    )


@csrf_exempt  # checked by csrf_protect below, once the body is known to be small enough
@login_required
def history_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The size is checked on Content-Length before the body is read: Django would otherwise
    stream any upload to a temporary file first (the CSRF check reads the body)."""
    _trainer(request)
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > HISTORY_UPLOAD_MAX_BYTES + _BODY_SLACK:
            refused = (
                f"The upload is {size_text(length)}; the limit here is "
                f"{size_text(HISTORY_UPLOAD_MAX_BYTES)}. Split the file, or import it with "
                "`python manage.py import_history FILE.csv`."
            )
            return _render(request, HistoryUploadForm(schema=get_schema()), status=413, refused=refused)
    return _history_upload(request)


@csrf_protect
def _history_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    schema = get_schema()
    if request.method != "POST":
        return _render(request, HistoryUploadForm(schema=schema))
    form = HistoryUploadForm(request.POST, request.FILES, schema=schema)
    if not form.is_valid():
        return _render(request, form, status=400)
    try:
        report = history_upload_import(
            schema=schema,
            text=form.cleaned_data["text"],
            file_name=form.cleaned_data["file"].name,
            options=form.import_options(),
            imported_by=request.user,
        )
    except HistoryFileError as exc:
        form.add_error(None, str(exc))
        return _render(request, form, status=400)
    return _render(
        request,
        HistoryUploadForm(schema=schema),
        report=report,
        rejects_shown=report.rejected[:REJECTS_SHOWN],
        rejects_more=max(0, len(report.rejected) - REJECTS_SHOWN),
    )


@login_required
def history_rejects(request: HttpRequest, pk: int) -> HttpResponseBase:
    _trainer(request)
    record = get_object_or_404(HistoryImport, pk=pk)
    path = rejects_file(record)
    if path is None:
        raise Http404("This import has no rejects file to download.")
    # Written by history.history_import through objectstore.csv_safety: no cell runs as a formula.
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"history-import-{record.pk}-rejects.csv",
        content_type="text/csv; charset=utf-8",
    )
