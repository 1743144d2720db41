"""Labelled exports for analysts: request one, watch its progress, download the file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import can_download_export, can_export_labels, has_role
from accounts.decorators import allowed
from accounts.roles import Role
from auditing import selectors
from auditing.forms import ExportForm
from auditing.labels import FiltersInvalid
from auditing.models import ExportJob, JobStatus
from auditing.services.exports import ExportRefused, export_file, export_job_create

if TYPE_CHECKING:
    from accounts.types import AuthenticatedHttpRequest


@require_http_methods(["GET", "POST"])
@allowed(can_export_labels)
def exports(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ExportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = export_job_create(
                    requested_by=request.user,
                    format=data["format"],
                    filters={k: data.get(k) for k in ("since", "until", "channel", "tier", "model_version")},
                )
            except FiltersInvalid as exc:
                for name, message in exc.errors.items():
                    form.add_error(name if name in form.fields else None, message)
            except ExportRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Export {job.pk} queued; this page shows its progress.")
                return redirect(reverse("auditing:exports"))
        status = 400
    jobs = selectors.export_jobs_visible_to(request.user, is_admin=has_role(request.user, Role.ADMIN))
    return render(request, "auditing/exports.html", {"form": form, "jobs": jobs[:50]}, status=status)


def _job_for(request: AuthenticatedHttpRequest, job_id: int) -> ExportJob:
    job = ExportJob.objects.filter(pk=job_id).first()
    if job is None or not can_download_export(request.user, requested_by_id=job.requested_by_id):
        raise Http404("no such export")  # another analyst's export does not exist for you
    return job


@require_GET
@allowed(can_export_labels)
def export_status(request: AuthenticatedHttpRequest, job_id: int) -> JsonResponse:
    job = _job_for(request, job_id)
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "percent": job.percent,
            "rows_done": job.rows_done,
            "rows_total": job.rows_total,
            "error": job.error,
            "download": reverse("auditing:export-download", args=[job.pk])
            if job.status == JobStatus.DONE
            else None,
            "fingerprint": job.fingerprint,
        }
    )


@require_GET
@allowed(can_export_labels)
def export_download(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    job = _job_for(request, job_id)
    if job.status != JobStatus.DONE:
        return HttpResponse(
            f"Export {job.pk} is {job.status}; download it when it is done.",
            status=409,
            content_type="text/plain",
        )
    content_type = "text/csv; charset=utf-8" if job.format == "csv" else "application/vnd.apache.parquet"
    response = HttpResponse(export_file(job), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{job.file_name}"'
    response["X-Export-Fingerprint"] = job.fingerprint
    return response
