# One image for web (gunicorn), worker (celery worker) and beat (celery beat); docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The project runs from its source tree, not from site-packages: config/ must be imported from /app, next to
# templates/ and static/ (BASE_DIR), by gunicorn, celery and manage.py alike.
ENV PYTHONPATH=/app

# The image is the production artifact: without SECRET_KEY and ALLOWED_HOSTS it refuses to start.
# Runtime data (uploaded evidence; the SQLite file if no DATABASE_URL is given) lives under /data, the only
# path the app user can write. Static files are built into the image, next to the code, served by WhiteNoise.
ENV DJANGO_ENV=production \
    VAR_DIR=/data \
    MEDIA_ROOT=/data/media \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app

# Debian's Noto CJK fonts, regular and bold: the briefing PDF sets Chinese in them, bold included
# (campaigns/briefing/fonts.py; the regular-only fonts of the pylopdf-fonts-zh-cn wheel are the fallback).
# Debian's Chromium: the worker renders captured sources in it (evidence/capture/browser.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk chromium \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, in their own layer, so that a code change does not reinstall them. They are the
# [project.dependencies] of pyproject.toml (never the dev extras), every version pinned by constraints.txt.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -c constraints.txt -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt \
    && pip check

# The app runs unprivileged. Code and static files stay owned by root, so the app cannot rewrite them;
# only /data is writable (mount a volume on /data/media so that uploads survive the container).
RUN groupadd --system --gid 1000 app \
    && useradd --system --uid 1000 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /data/media \
    && chown -R app:app /data

COPY . .

# The manifest storage of production settings needs its manifest at build time. The secret and host here
# only let the settings load; they are not kept in the image.
RUN SECRET_KEY=collectstatic-only-not-a-secret ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --noinput

USER app

EXPOSE 8000

# 4 threads a worker: while one request waits for PostgreSQL, another uses the process (bench/README.md).
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4"]
