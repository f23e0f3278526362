"""Health, readiness, metrics and projection status."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kanban.api import schemas
from kanban.api.deps import Admin, RuntimeDep
from kanban.api.problems import responses

router = APIRouter(tags=["system"])


@router.get("/healthz", response_model=schemas.HealthPublic)
async def healthz() -> schemas.HealthPublic:
    """The process is up."""
    return schemas.HealthPublic(status="ok")


@router.get(
    "/readyz",
    response_model=schemas.ReadyPublic,
    responses={503: {"model": schemas.ReadyPublic, "description": "Not ready"}},
)
async def readyz(rt: RuntimeDep) -> Response:
    """200 while commands can be taken; the read side's lag is reported, not judged."""
    ready = rt.kanban.ready
    # A replica asks the writer for the head over HTTP: keep that off the loop.
    head, projections = await run_in_threadpool(
        lambda: (rt.kanban.feed.head_seq(), _projections(rt))
    )
    body = schemas.ReadyPublic(
        status="ready" if ready else "not ready", head_seq=head, projections=projections
    )
    return Response(
        body.model_dump_json(), status_code=200 if ready else 503, media_type="application/json"
    )


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
            "description": "Prometheus text format",
        }
    },
)
async def metrics(rt: RuntimeDep) -> Response:
    # Off the event loop: collectors read SQLite and, in the distributed mode, Redis.
    body = await asyncio.to_thread(generate_latest, rt.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


@router.get(
    "/api/v1/projections",
    response_model=schemas.ProjectionsPublic,
    tags=["system"],
    responses=responses(401, 403),
)
async def projections(rt: RuntimeDep, who: Admin) -> schemas.ProjectionsPublic:
    return schemas.ProjectionsPublic(projections=_projections(rt))


def _projections(rt: RuntimeDep) -> list[schemas.ProjectionPublic]:
    return [
        schemas.ProjectionPublic(name=s.name, checkpoint=s.checkpoint, head=s.head, lag=s.lag)
        for s in rt.kanban.projector.status()
    ]
