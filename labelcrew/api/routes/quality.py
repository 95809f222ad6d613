"""Quality: agreement, gold accuracy, drift scans and alerts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from labelcrew.api.inputs import RequestModel
from labelcrew.api.schemas.quality import (
    AgreementTrendPoint,
    AlertOut,
    GoldReportOut,
    GoldSupplyOut,
    HoneypotFigures,
    HoneypotMade,
    ProjectAgreementOut,
    ProjectFieldAgreementOut,
    QualityScanOut,
)
from labelcrew.domain.permissions import Action
from labelcrew.http.auth import Ctx, db_of, require
from labelcrew.services.quality import alerts, honeypots
from labelcrew.services.quality import measures as quality
from labelcrew.services.quality.field_agreement import agreement_by_field
from labelcrew.services.quality.gold_supply import gold_supply

router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["quality"])


@router.get(
    "/quality/agreement", response_model=ProjectAgreementOut, response_model_exclude_unset=True
)
def agreement(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.QUALITY_READ))
) -> Any:
    return quality.measure_agreement(db_of(request), project_id, record=False)


@router.get("/quality/agreement/fields", response_model=list[ProjectFieldAgreementOut])
def agreement_fields(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.QUALITY_READ))
) -> Any:
    """Every schema field's agreement, each by the measure that fits its kind (the first
    single-choice field's full summary is `/quality/agreement`)."""
    return agreement_by_field(db_of(request), project_id)


@router.get(
    "/quality/agreement/trend",
    response_model=list[AgreementTrendPoint],
    response_model_exclude_unset=True,
)
def agreement_trend(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.QUALITY_READ))
) -> Any:
    return quality.agreement_trend(db_of(request), project_id)


@router.get("/quality/gold", response_model=GoldReportOut)
def gold_accuracy(
    project_id: int,
    request: Request,
    window: int = 50,
    ctx: Ctx = Depends(require(Action.QUALITY_READ)),
) -> Any:
    return quality.gold_report(db_of(request), project_id, window=window)


@router.get("/quality/gold/supply", response_model=GoldSupplyOut)
def gold_supply_route(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.QUALITY_READ))
) -> Any:
    """Open ordinary and gold items and the gold rates the queue's gold share falls short of:
    gold is served only where it lies in the queue, so no more gold than that reaches anyone."""
    return gold_supply(db_of(request), project_id)


@router.post("/quality/scan", response_model=QualityScanOut, response_model_exclude_unset=True)
def scan(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.ALERT_MANAGE))
) -> Any:
    db = db_of(request)
    summary = quality.measure_agreement(db, project_id, record=True)
    return {"agreement": summary, "drift": quality.scan_drift(db, project_id)}


@router.get("/alerts", response_model=list[AlertOut])
def list_alerts(
    project_id: int,
    request: Request,
    state: str | None = "open",
    kind: str | None = None,
    ctx: Ctx = Depends(require(Action.ALERT_READ)),
) -> Any:
    return alerts.list_alerts(db_of(request), project_id, state=state, kind=kind)


@router.post("/alerts/{alert_id}/resolve", response_model=AlertOut)
def resolve(
    project_id: int,
    alert_id: int,
    request: Request,
    ctx: Ctx = Depends(require(Action.ALERT_MANAGE)),
) -> Any:
    return alerts.resolve_alert(db_of(request), ctx.actor, project_id, alert_id)


class HoneypotsIn(RequestModel):
    limit: int = Field(20, ge=1, le=1000)
    min_labels: int = Field(3, ge=2, le=100)


@router.get("/quality/honeypots", response_model=dict[str, HoneypotFigures])
def honeypot_report(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.QUALITY_READ))
) -> Any:
    """Each member's honeypot answers and misses (attention), apart from gold accuracy."""
    return honeypots.honeypot_report(db_of(request), project_id)


@router.post("/quality/honeypots/generate", status_code=201, response_model=list[HoneypotMade])
def generate_honeypots(
    project_id: int,
    body: HoneypotsIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.GOLD_MANAGE)),
) -> Any:
    """Make honeypots from finished items whose labels agree on every required field."""
    return honeypots.generate_honeypots(
        db_of(request), ctx.actor, project_id, limit=body.limit, min_labels=body.min_labels
    )
