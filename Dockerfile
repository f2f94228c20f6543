# One image for every platform: `docker run IMAGE slack`, `... discord`, `... chat`.
# The base is pinned to an exact Python patch release on an exact Debian release. It is not yet
# pinned to a digest (`python:3.11.15-slim-bookworm@sha256:...`): there was no Docker engine where
# this was written to look the digest up; `docker buildx imagetools inspect IMAGE` shows it.
# Build stage: every file requirements.lock names, checked against its hash, and the project's wheel.
FROM python:3.11.15-slim-bookworm AS build
WORKDIR /src
COPY requirements.lock ./
RUN pip download --no-cache-dir --require-hashes --only-binary=:all: --dest /wheels/locked -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# Run stage: the project with its dependencies from the locked files alone (--no-index: nothing
# else can be picked; the lock's test tools stay behind), the dialogs, an unprivileged user.
FROM python:3.11.15-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OUTSOURCE_CHECK_DIALOGS=/app/dialogs \
    OUTSOURCE_CHECK_DATA=/data \
    XDG_CACHE_HOME=/data/cache \
    PORT=3000 \
    METRICS_PORT=9100
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels/locked /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 --home-dir /app bot \
    && mkdir -p /app /data && chown bot /data
# Dialogs are baked in; mount a folder over /app/dialogs to use your own.
COPY dialogs /app/dialogs
USER 10001
WORKDIR /app
VOLUME ["/data"]
EXPOSE 3000 9100
HEALTHCHECK --interval=30s --timeout=3s CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['METRICS_PORT'], timeout=2)"]
ENTRYPOINT ["outsource-check"]
CMD ["slack"]
