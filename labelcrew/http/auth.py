"""Who is calling (bearer token or session cookie) and may they do this (the table).

The session cookie carries a random token, signed with the install's secret; the session
itself (expiry, idle time, revocation) lives in the `sessions` table (`services.sessions`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from itsdangerous import BadSignature, URLSafeSerializer

from labelcrew.domain.permissions import Action, allowed
from labelcrew.errors import Forbidden, NotFound, Unauthenticated
from labelcrew.http.request_log import note_caller
from labelcrew.services.accounts import sessions
from labelcrew.services.accounts import users as accounts
from labelcrew.services.accounts.users import Actor
from labelcrew.services.projects import projects
from labelcrew.services.uow import Database

SESSION_COOKIE = "labelcrew_session"


@dataclass(frozen=True)
class Ctx:
    """The authorised caller of a project route."""

    actor: Actor
    project_id: int
    roles: frozenset[str]


def db_of(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def session_serializer(request: Request) -> URLSafeSerializer:
    # The salt names the cookie's format: cookies of the old format ({"uid": ...}) fail it.
    return URLSafeSerializer(request.app.state.settings.secret_key, salt="session-token")


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        session_serializer(request).dumps(token),
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="strict",
        secure=settings.environment != "development",
    )


def session_token(request: Request) -> str | None:
    """The session token the cookie carries, if it bears the install's signature."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        token = session_serializer(request).loads(cookie)
    except BadSignature:
        raise Unauthenticated("invalid session; sign in again", code="invalid_session") from None
    if not isinstance(token, str):
        raise Unauthenticated("invalid session; sign in again", code="invalid_session")
    return token


def start_session(request: Request, response: Response, actor: Actor) -> None:
    """Sign-in's second half: a new server-side session and its cookie."""
    settings = request.app.state.settings
    token = sessions.start(
        db_of(request),
        actor,
        hours=settings.session_hours,
        user_agent=request.headers.get("user-agent", ""),
        client_ip=request.client.host if request.client else "",
    )
    set_session_cookie(request, response, token)


def _session(request: Request, project_id: int | None) -> tuple[Actor, frozenset[str] | None]:
    token = session_token(request)
    if token is None:
        raise Unauthenticated(
            "sign in or send 'Authorization: Bearer <token>'", code="unauthenticated"
        )
    idle = request.app.state.settings.session_idle_minutes
    actor, roles, session_id = sessions.actor_and_roles(
        db_of(request), token, project_id, idle_minutes=idle
    )
    request.state.session_id = session_id  # a password change keeps this one session
    return actor, roles


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            "Authorization header must be 'Bearer <token>'",
            code="invalid_token",
            field="Authorization",
        )
    return token.strip()


def current_actor(request: Request) -> Actor:
    db = db_of(request)
    token = bearer_token(request)
    actor = accounts.actor_for_token(db, token) if token is not None else _session(request, None)[0]
    note_caller(user_id=actor.user_id)
    return actor


def authorize(request: Request, action: Action) -> Ctx:
    """The caller of a project route, if they hold a role the table allows for `action`."""
    raw = request.path_params.get("project_id")
    if raw is None or not str(raw).isdigit():
        current_actor(request)  # callers without credentials learn nothing about projects
        raise NotFound(f"no project {raw!r}", code="project_not_found", field="project_id")
    project_id = int(raw)
    token = bearer_token(request)
    if token is not None:
        return authorize_token(db_of(request), token, project_id, action)
    # A session, like a token, costs one read that also gives the roles in the project.
    actor, roles = _session(request, project_id)
    _admin_sees_project(db_of(request), actor, project_id, roles)
    return permit(actor, project_id, roles, action)


def authorize_token(db: Database, token: str, project_id: int, action: Action) -> Ctx:
    """`authorize` for a bearer token: one query gives the user and their roles."""
    actor, roles = accounts.actor_and_roles(db, token, project_id)
    _admin_sees_project(db, actor, project_id, roles)
    return permit(actor, project_id, roles, action)


def _admin_sees_project(
    db: Database, actor: Actor, project_id: int, roles: frozenset[str] | None
) -> None:
    """An admin passes the table without a membership row, so nothing else would notice that
    the project is missing (services then crashed or answered an empty 200)."""
    if roles is None and actor.is_admin:
        try:
            projects.require_project(db, project_id)
        except NotFound:
            raise NotFound(
                f"no project {project_id}", code="project_not_found", field="project_id"
            ) from None


def permit(actor: Actor, project_id: int, roles: frozenset[str] | None, action: Action) -> Ctx:
    """The table's answer for a known caller: a non-member sees no project at all."""
    note_caller(user_id=actor.user_id, project_id=project_id)
    if roles is None and not actor.is_admin:
        # Not a member: the project is invisible rather than forbidden.
        raise NotFound(f"no project {project_id}", code="project_not_found", field="project_id")
    if not allowed(action, roles or frozenset(), is_admin=actor.is_admin):
        raise Forbidden(
            f"your roles ({', '.join(sorted(roles or ())) or 'none'}) may not {action.value}",
            code="forbidden",
            details={"action": action.value},
        )
    return Ctx(actor, project_id, roles or frozenset())


def require(action: Action) -> Callable[[Request], Awaitable[Ctx]]:
    """Dependency for a project route: the caller must hold a role the table allows."""

    async def dependency(request: Request) -> Ctx:
        # On SQLite the lookup is an in-process read (WAL readers never wait for writers) that
        # costs less than handing it to a worker thread and back; PostgreSQL waits on the
        # network, so it goes to the thread pool like any blocking call.
        if db_of(request).is_sqlite:
            return authorize(request, action)
        return await run_in_threadpool(authorize, request, action)

    dependency.labelcrew_action = action.value  # type: ignore[attr-defined]
    return dependency


@dataclass(frozen=True)
class Deferred:
    """A project route's authorisation, checked by the handler itself (`check()`), in the
    thread that then does the handler's database work."""

    request: Request
    action: Action

    def check(self) -> Ctx:
        return authorize(self.request, self.action)


def require_in_handler(action: Action) -> Callable[[Request], Awaitable[Deferred]]:
    """Like `require`, for the annotator's hot path: on PostgreSQL `require` hands the token
    lookup to a worker thread and the handler then takes another one; under 32 annotators
    those thread hand-offs (and the GIL passing between 16 threads) cost more than the lookup.
    The handler calls `check()` first thing, so nothing runs before the caller is known."""

    async def dependency(request: Request) -> Deferred:
        return Deferred(request, action)

    dependency.labelcrew_action = action.value  # type: ignore[attr-defined]
    return dependency


def require_admin(request: Request) -> Actor:
    actor = current_actor(request)
    if not actor.is_admin:
        raise Forbidden("only administrators may do this", code="admin_only")
    return actor


require_admin.labelcrew_action = "admin"  # type: ignore[attr-defined]


def require_user(request: Request) -> Actor:
    return current_actor(request)


require_user.labelcrew_action = "authenticated"  # type: ignore[attr-defined]
