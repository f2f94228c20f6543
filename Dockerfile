# One image for every platform: `docker run IMAGE slack`, `... discord`, `... chat`.
# Build stage: wheels for the project and its dependencies (compilers stay out of the final image).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Run stage: the wheels, the dialogs, an unprivileged user.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OUTSOURCE_CHECK_DIALOGS=/app/dialogs \
    OUTSOURCE_CHECK_DATA=/data \
    PORT=3000 \
    METRICS_PORT=9100
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
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
