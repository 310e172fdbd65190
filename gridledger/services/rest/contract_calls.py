"""Calls of a shipped contract (market, token, dsm) from its REST endpoints, made through the generic custodial
submit/evaluate routes (routes.submit, routes.evaluate) so retries, identities and error documents behave exactly as
for /v1/chaincodes/{name}/*, with the contract's deliberate refusals (gridledger/chaincode/errors.py) turned into
problem types of their own, so a client can act on them without parsing the message."""

from __future__ import annotations

import json
from typing import Any

from gridledger.sdk import SubmitResult, errors
from gridledger.services.rest import routes
from gridledger.services.rest.models import EvaluateBody, SubmitBody, SubmitResponse
from gridledger.services.rest.problems import Problem, from_sdk_error
from gridledger.services.rest.routes import Backend
from gridledger.services.rest.users import User

ProblemTypes = dict[int, tuple[str, str]]  # contract status -> (problem type, title)


class ContractCalls:
    def __init__(self, problem_types: ProblemTypes) -> None:
        self.problem_types = problem_types

    def problem(self, exc: errors.GridLedgerError) -> Problem:
        """The service's usual problem document (problems.from_sdk_error, with its detail, retry advice and
        extensions), given the contract's own type and title when it refused with a deliberate status."""
        problem = from_sdk_error(exc)
        if isinstance(exc, errors.ChaincodeError) and exc.status in self.problem_types:
            kind, title = self.problem_types[exc.status]
            return Problem(exc.status, kind, title, problem.detail, headers=problem.headers, **problem.extensions)
        return problem

    async def submit(self, backend: Backend, user: User, chaincode: str, function: str,
                     *args: object) -> SubmitResponse:
        """Submit as the user."""
        try:
            return await routes.submit(chaincode, SubmitBody(function=function, args=[str(a) for a in args]),
                                       backend, user)
        except errors.ChaincodeError as exc:
            raise self.problem(exc) from None

    async def evaluate(self, backend: Backend, user: User, chaincode: str, function: str, *args: object) -> Any:
        """The query's JSON result, evaluated as the user."""
        try:
            answer = await routes.evaluate(chaincode, EvaluateBody(function=function, args=[str(a) for a in args]),
                                           backend, user)
        except errors.ChaincodeError as exc:
            raise self.problem(exc) from None
        return json.loads(answer.result or "null")

    async def found(self, backend: Backend, user: User, chaincode: str, function: str, *args: object) -> Any:
        """A query's result, or None where the ledger has no such record (yet)."""
        try:
            return await self.evaluate(backend, user, chaincode, function, *args)
        except Problem as problem:
            if problem.status == 404:
                return None
            raise

    async def as_org_admin(self, backend: Backend, chaincode: str, function: str, *args: object,
                           evaluate: bool = False) -> SubmitResult | Any:
        """A call signed by the service's identity (the org admin), for a user with the admin right: the committed
        result, or with `evaluate` the query's JSON answer."""
        contract = backend.network.contract(chaincode)
        try:
            if evaluate:
                return json.loads(await contract.evaluate(function, *(str(a) for a in args)))
            return await contract.submit(function, *(str(a) for a in args))
        except errors.ChaincodeError as exc:
            raise self.problem(exc) from None
