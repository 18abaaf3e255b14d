# The production image: web (gunicorn), worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim-bookworm

# Static files live in the image (/app/staticfiles), not in the data volume: a new image brings its own
# CSS and JS, and the volume holds only data (database-side files, keys, reports, artefacts).
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    VAR_DIR=/var/lib/epd STATIC_ROOT=/app/staticfiles DEBUG=False

# WeasyPrint needs Pango; libharfbuzz-subset0 keeps CJK font subsetting fast; Noto CJK for 简体中文.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
       fonts-noto-cjk fonts-dejavu-core gettext curl \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
# .dockerignore keeps keys, secrets, databases, reports, artefacts and .git out of the build context.
COPY . .
# The code and static files belong to root and are read-only for the service user; only the data
# directory is the service's, closed to other users (reports are private).
RUN useradd --system --uid 1000 --home /app epd \
    && mkdir -p /var/lib/epd && chown -R epd /var/lib/epd && chmod 750 /var/lib/epd \
    && SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && SECRET_KEY=build-only python manage.py compilemessages --ignore=.venv >/dev/null
USER epd
EXPOSE 8000
# No gunicorn access log: the TLS proxy in front logs every request (docs/operations.md); a second log
# cost 12 % of the single-EPD throughput (docs/benchmarks.md). GUNICORN_CMD_ARGS="--access-logfile -" adds it.
# Inside the container gunicorn binds all interfaces of the container's own network namespace; what reaches
# it is decided by docker-compose.yml (published on the host's loopback only, for the TLS proxy).
CMD ["gunicorn", "epd_platform.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4"]
