"""Projects, members, label schemas and the audit log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from labelcrew.api.inputs import JsonObject, RequestModel
from labelcrew.api.schemas.projects import (
    AuditEventOut,
    LabelSchemaOut,
    LabelSchemaSavedOut,
    ProjectMemberOut,
    ProjectOut,
)
from labelcrew.domain.permissions import Action, allowed
from labelcrew.http.auth import Ctx, db_of, require, require_admin, require_user
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform import audit_log
from labelcrew.services.projects import projects

router = APIRouter(prefix="/api/v1/projects", tags=["projects"])


class ProjectIn(RequestModel):
    slug: str
    name: str
    label_schema: dict[str, Any] | None = None
    settings: dict[str, Any] = Field(default_factory=dict)


class MemberIn(RequestModel):
    username: str
    roles: list[str]
    status: str | None = None
    skills: dict[str, Any] | None = None
    wip_limit: int | None = None


@router.post("", status_code=201, response_model=ProjectOut)
def create_project(body: ProjectIn, request: Request, actor: Actor = Depends(require_admin)) -> Any:
    return projects.create_project(
        db_of(request),
        actor,
        slug=body.slug,
        name=body.name,
        schema=body.label_schema,
        **body.settings,
    )


@router.get("", response_model=list[ProjectOut])
def list_projects(request: Request, actor: Actor = Depends(require_user)) -> Any:
    return projects.list_projects(db_of(request), actor)


@router.get("/{project_id}", response_model=ProjectOut)
def get_project(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.PROJECT_READ))
) -> Any:
    sees_gold = allowed(Action.QUALITY_READ, ctx.roles, is_admin=ctx.actor.is_admin)
    return projects.get_project(db_of(request), project_id, gold_rates=sees_gold)


@router.patch("/{project_id}", response_model=ProjectOut)
def update_project(
    project_id: int,
    body: JsonObject,
    request: Request,
    ctx: Ctx = Depends(require(Action.PROJECT_UPDATE)),
) -> Any:
    return projects.update_project(db_of(request), ctx.actor, project_id, body)


@router.get("/{project_id}/members", response_model=list[ProjectMemberOut])
def list_members(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.MEMBER_READ))
) -> Any:
    return projects.list_members(db_of(request), project_id)


@router.put("/{project_id}/members", response_model=ProjectMemberOut)
def set_member(
    project_id: int,
    body: MemberIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.MEMBER_MANAGE)),
) -> Any:
    return projects.set_member(
        db_of(request),
        ctx.actor,
        project_id,
        username=body.username,
        roles=body.roles,
        status=body.status,
        skills=body.skills,
        wip_limit=body.wip_limit,
    )


@router.get("/{project_id}/schema", response_model=LabelSchemaOut)
def get_schema(
    project_id: int,
    request: Request,
    version: int | None = None,
    ctx: Ctx = Depends(require(Action.SCHEMA_READ)),
) -> Any:
    return projects.get_schema(db_of(request), project_id, version)


@router.put("/{project_id}/schema", response_model=LabelSchemaSavedOut)
def set_schema(
    project_id: int,
    body: JsonObject,
    request: Request,
    ctx: Ctx = Depends(require(Action.SCHEMA_UPDATE)),
) -> Any:
    return projects.set_schema(db_of(request), ctx.actor, project_id, body)


@router.get("/{project_id}/audit", response_model=list[AuditEventOut])
def audit_events(
    project_id: int,
    request: Request,
    limit: int = 100,
    before_id: int | None = None,
    ctx: Ctx = Depends(require(Action.AUDIT_READ)),
) -> Any:
    return audit_log.list_events(db_of(request), project_id, limit=limit, before_id=before_id)
