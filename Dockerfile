# syntax=docker/dockerfile:1

# Build stage: wheels for the pinned dependencies and for the service itself. Compilers
# stay here, in case a dependency has no wheel for this platform.
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY requirements.lock ./
RUN pip wheel --wheel-dir /wheels -r requirements.lock
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip wheel --no-deps --wheel-dir /wheels .


# Runtime stage: the service and its runtime dependencies only, run as a non-root user.
FROM python:3.11-slim AS runtime

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    ALEMBIC_CONFIG=/app/alembic.ini

# Only the pinned wheels are offered, so the service's dependencies resolve to exactly
# the versions in requirements.lock; the development tools in the lock are not installed.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels booking-service

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home booking
WORKDIR /app
COPY --chown=booking:booking alembic.ini ./
COPY --chown=booking:booking alembic ./alembic
# The default SQLite database lives here when DATABASE_URL is not set.
RUN mkdir -p /app/data && chown booking:booking /app/data

USER booking
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=3)"]

# One worker process per core (WEB_CONCURRENCY overrides): the workers share the database
# and Redis, so revocations, cached answers and rate limits hold across them.
CMD ["sh", "-c", "exec uvicorn --factory app.main:run_app --host 0.0.0.0 --port 8000 --proxy-headers --workers \"${WEB_CONCURRENCY:-$(nproc)}\""]
