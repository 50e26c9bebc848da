"""HTTP errors: one type, one status each; every body is JSON problem details (RFC 9457).

>>> error = bad_request("the query is not valid SPARQL: error at 1:10")
>>> error.status, error.problem()["title"]
(400, 'Bad Request')
"""

from __future__ import annotations

import json
from http import HTTPStatus

PROBLEM_JSON = "application/problem+json"


class HttpError(Exception):
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


def bad_request(detail: str, **extra) -> HttpError:
    return HttpError(400, detail, **extra)


def syntax_error(operation: str, message: str) -> HttpError:
    """400 for a query or update that does not parse, with the line and column pyoxigraph names.

    >>> syntax_error("query", "error at 2:9: expected one of ...").problem()["column"]
    9
    """
    import re

    where = re.search(r"(\d+):(\d+)", message)
    extra = {"line": int(where.group(1)), "column": int(where.group(2))} if where else {}
    return HttpError(400, f"the {operation} is not valid SPARQL: {message}", **extra)


def forbidden(detail: str, **extra) -> HttpError:
    return HttpError(403, detail, **extra)


def not_found(detail: str) -> HttpError:
    return HttpError(404, detail)


def method_not_allowed(method: str, allowed: list[str]) -> HttpError:
    return HttpError(405, f"{method} is not allowed here; use {' or '.join(allowed)}", {"Allow": ", ".join(allowed)})


def not_acceptable(accept: str, supported: list[str]) -> HttpError:
    return HttpError(406, f"none of the media types accepted ({accept}) can be produced; supported: "
                     + ", ".join(supported), supported=supported)


def payload_too_large(limit: int) -> HttpError:
    return HttpError(413, f"the request body is larger than the limit of {limit} bytes")


def unsupported_media_type(content_type: str, supported: list[str]) -> HttpError:
    return HttpError(415, f"the request content type {content_type or '(none)'} is not supported; use "
                     + ", ".join(supported), supported=supported)


def unauthorized(detail: str) -> HttpError:
    return HttpError(401, detail, {"WWW-Authenticate": 'Bearer realm="astana-kg update"'})


def service_unavailable(detail: str, retry_after: int) -> HttpError:
    return HttpError(503, detail, {"Retry-After": str(retry_after)})


def bad_gateway(detail: str) -> HttpError:
    return HttpError(502, detail)
