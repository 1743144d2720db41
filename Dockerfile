# One image for web, worker, beat and the one-shot set-up; docker-compose.yml picks the command.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app STATIC_ROOT=/app/staticfiles
WORKDIR /app

# Dependencies first, from the run lock alone (every package pinned with its hashes, made by
# `make lock`): a change to the code reuses this layer.
COPY requirements/run.lock requirements/run.lock
RUN pip install --no-cache-dir --require-hashes -r requirements/run.lock

COPY . .
# Static files with hashed names and their manifest, built into the image: production's
# storage (CompressedManifestStaticFilesStorage) answers 500 for a file missing from it.
RUN DJANGO_SETTINGS_MODULE=config.settings.build python manage.py collectstatic --noinput \
 && useradd --create-home riskscore \
 && mkdir -p /app/var/models /app/var/anchors \
 && chown riskscore /app/var /app/var/models /app/var/anchors
USER riskscore
ENV DJANGO_SETTINGS_MODULE=config.settings.production
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
