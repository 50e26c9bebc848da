"""Refusals and failures the query layer raises, each with the status that answers it and a body of
JSON problem details (RFC 9457); the HTTP layer (``astana_kg.http.errors``) answers them as they
are, and adds the errors only a request can cause.

>>> error = bad_request("the query is not valid SPARQL: error at 1:10")
>>> error.status, error.problem()["title"]
(400, 'Bad Request')
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus


class Problem(Exception):
    """An error answered with ``status``, a one-line ``detail`` and optional extra headers."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None, **extra):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def problem(self) -> dict:
        return {"type": "about:blank", "title": HTTPStatus(self.status).phrase, "status": self.status,
                "detail": self.detail, **self.extra}

    def body(self) -> bytes:
        return (json.dumps(self.problem(), indent=2) + "\n").encode("utf-8")


def bad_request(detail: str, **extra) -> Problem:
    return Problem(400, detail, **extra)


def syntax_error(operation: str, message: str) -> Problem:
    """400 for a query or update that does not parse, with the line and column pyoxigraph names.

    >>> syntax_error("query", "error at 2:9: expected one of ...").problem()["column"]
    9
    """
    where = re.search(r"(\d+):(\d+)", message)
    extra = {"line": int(where.group(1)), "column": int(where.group(2))} if where else {}
    return Problem(400, f"the {operation} is not valid SPARQL: {message}", **extra)


def forbidden(detail: str, **extra) -> Problem:
    return Problem(403, detail, **extra)


def service_unavailable(detail: str, retry_after: int) -> Problem:
    return Problem(503, detail, {"Retry-After": str(retry_after)})


def bad_gateway(detail: str) -> Problem:
    return Problem(502, detail)
