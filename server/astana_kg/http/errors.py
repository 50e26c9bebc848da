"""HTTP errors: one type, one status each; every body is JSON problem details (RFC 9457).

``HttpError`` is :class:`astana_kg.query.problems.Problem`, the type the query layer raises too, so that
one error handler answers both; the helpers for what only a request can cause are here.

>>> error = not_found("no such page")
>>> error.status, error.problem()["title"]
(404, 'Not Found')
"""

from __future__ import annotations

from ..query.problems import Problem as HttpError
from ..query.problems import bad_gateway, bad_request, forbidden, service_unavailable, syntax_error

__all__ = ["PROBLEM_JSON", "HttpError", "bad_gateway", "bad_request", "error_answer", "forbidden", "method_not_allowed",
           "not_acceptable", "not_found", "payload_too_large", "service_unavailable", "syntax_error",
           "unauthorized", "unsupported_media_type"]

PROBLEM_JSON = "application/problem+json"


def error_answer(error: HttpError) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body an error is answered with, by the app and its hot path alike."""
    return error.status, {**error.headers, "Content-Type": PROBLEM_JSON}, error.body()


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
