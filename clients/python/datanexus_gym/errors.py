"""Exceptions of the DataNexus Gym client: one per kind of failure, each with the server's stable code."""

from __future__ import annotations

from typing import Any, Optional


class GymError(Exception):
    """Base class: anything the client raises."""


class GymHTTPError(GymError):
    """The server answered with an error: ``status`` (HTTP), ``code`` (stable ``ENV_ERR_*``), ``message``."""

    def __init__(self, status: int, code: str, message: str, details: Optional[Any] = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details


class GymClientError(GymHTTPError):
    """4xx: the request was wrong (bad action, unknown task, no running episode). No step was used."""


class GymServerError(GymHTTPError):
    """5xx other than an infrastructure failure: a fault inside the server."""


class GymInfraError(GymServerError):
    """503 ENV_ERR_INFRA: the infrastructure failed (sandbox, database, a grading run that never started).

    Never the agent's doing and never a reward of 0: the step used nothing and can be retried.
    Other 503s (ENV_ERR_CAPACITY, ENV_ERR_SHUTTING_DOWN) are plain GymServerError.
    """


class GymConnectionError(GymError):
    """The server could not be reached, or answered something that is not JSON."""


def error_for(status: int, body: Any) -> GymHTTPError:
    """The exception for an HTTP error answer ``{statusCode, code, error, message, details?}``."""
    body = body if isinstance(body, dict) else {}
    code = str(body.get("code", f"HTTP_{status}"))
    message = str(body.get("message", "")) or f"HTTP {status}"
    details = body.get("details")
    if status == 503 and code == "ENV_ERR_INFRA":
        return GymInfraError(status, code, message, details)
    if 400 <= status < 500:
        return GymClientError(status, code, message, details)
    return GymServerError(status, code, message, details)
