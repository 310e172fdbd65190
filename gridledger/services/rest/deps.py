"""FastAPI dependencies shared by the service's routers and by extension routers (e.g. the market endpoints):
the backend, and the authenticated user with a required scope.

    @router.post("/market/bids")
    async def bid(body: Bid, user: Annotated[User, Depends(require("submit"))],
                  backend: Annotated[RestBackend, Depends(get_backend)]):
        network = await backend.network_for(user)
        ...
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gridledger.services.rest.backend import RestBackend
from gridledger.services.rest.problems import Problem
from gridledger.services.rest.users import User

_bearer = HTTPBearer(auto_error=False, description="the API token printed by `gridledger rest enroll`")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def get_backend(request: Request) -> RestBackend:  # async: FastAPI would run a plain def in a thread
    return request.app.state.backend


async def authenticated(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
                  backend: Annotated[RestBackend, Depends(get_backend)]) -> User:
    if credentials is None:
        raise Problem(401, "unauthenticated", "Missing token",
                      "send the API token from `gridledger rest enroll` as 'Authorization: Bearer TOKEN'",
                      headers=_CHALLENGE)
    user = backend.users.authenticate(credentials.credentials)
    if user is None:
        revoked = backend.users.revoked(credentials.credentials)
        if revoked is not None:
            raise Problem(401, "revoked-token", "Token revoked",
                          f"this token of user {revoked.user} was revoked by an org admin on {revoked.revoked_at}; "
                          f"ask an org admin to enrol you again (`gridledger rest enroll {revoked.user} --org "
                          f"{backend.config.msp_id}`) for a new token", headers=_CHALLENGE)
        raise Problem(401, "invalid-token", "Invalid token", "the bearer token belongs to no enrolled user",
                      headers=_CHALLENGE)
    return user


def require(scope: str) -> Callable[..., Awaitable[User]]:
    """A dependency: the authenticated user, who must have `scope` (submit, evaluate, ledger or admin)."""

    async def dependency(user: Annotated[User, Depends(authenticated)]) -> User:
        if not user.may(scope):
            raise Problem(403, "forbidden", "Missing right",
                          f"user {user.name} may not do this: it needs the '{scope}' right, the user has "
                          f"{', '.join(user.scopes) or 'none'}; an org admin grants rights at enrolment")
        return user

    return dependency
