# Kanban: one container runs `kanban serve`, with its event log on the /data volume.
# Build: docker build -t kanban .    Run: docker run -p 8000:8000 -v kanban-data:/data kanban

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: install the wheel and its dependencies into a virtualenv ------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/kanban
COPY pyproject.toml README.md ./
COPY migrations ./migrations
COPY src ./src
RUN /opt/kanban/bin/pip install --no-cache-dir . \
    && find /opt/kanban -name '__pycache__' -prune -exec rm -rf {} +

# --- runtime: the virtualenv and nothing of the build --------------------------
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="kanban" \
      org.opencontainers.image.description="A kanban board whose every change is an immutable event"
# A fixed, unprivileged uid/gid: the Helm chart's securityContext names the same.
RUN groupadd --system --gid 10001 kanban \
    && useradd --system --uid 10001 --gid kanban --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin kanban \
    && mkdir -p /data \
    && chown kanban:kanban /data
COPY --from=build /opt/kanban /opt/kanban
# No .pyc writes: the root filesystem may be read-only (the chart makes it so).
ENV PATH=/opt/kanban/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    KANBAN_DATA_DIR=/data
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
# `kanban serve` finishes queued commands, ends live streams and exits 0 on SIGTERM.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('KANBAN_PORT', '8000'), timeout=2)"]
ENTRYPOINT ["kanban"]
CMD ["serve", "--host", "0.0.0.0"]
