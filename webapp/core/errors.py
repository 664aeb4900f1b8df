"""Domain errors.  Operations raise them with a Chinese message for the user; the web layer
maps them to status codes (400/403/404/409/422) for pages and JSON alike."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid"


class PermissionDenied(DomainError):
    status_code = 403
    code = "forbidden"

    def __init__(self, message: str = "您没有权限执行此操作。", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


class NotFound(DomainError):
    status_code = 404
    code = "not_found"

    def __init__(self, message: str = "未找到请求的对象。", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class UploadRefused(InvalidInput):
    """An uploaded file refused before it was used: too big, not what it claims to be, a zip or
    XML bomb, a DOCTYPE, a template escaping its sandbox.  Still a 422 for the user; the edge
    keeps an audit record of it (``security.upload_refused``) even though the request rolls
    back."""

    code = "upload_refused"


def field_refusal(err: DomainError, fields: dict[str, str]) -> dict[str, str]:
    """An operation's refusal as a page shows it (``_form_errors.html``'s ``errors_summary``):
    next to the one field its ``details`` name (``fields``: details key → the page's field
    name), else for the whole form (key ``_``)."""
    details = err.details
    if isinstance(details, dict) and len(details) == 1:
        (key,) = details
        if key in fields:
            return {fields[key]: err.message}
    return {"_": err.message}
