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


class Hidden(NotFound):
    """An object the user may not even see: answered exactly as a missing one (404, the same
    message), so that nobody learns which ids exist in another unit; the edge still audits it as
    a refusal (``permission.denied`` with the ``action`` refused and ``hidden``).  A user who
    sees the object but may not do the action on it gets :class:`PermissionDenied` (403)."""

    def __init__(self, missing: str, *, action: str) -> None:
        super().__init__(missing)
        self.action = action


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class UploadRefused(InvalidInput):
    """An uploaded file refused before it was used: too big, not what it claims to be, a zip or
    XML bomb, a DOCTYPE, a template escaping its sandbox.  Still a 422 for the user; the edge
    keeps an audit record of it (``security.upload_refused``) even though the request rolls
    back."""

    code = "upload_refused"


def field_refusal(err: DomainError, fields: dict[str, str]) -> dict[str, Any]:
    """An operation's refusal as a page shows it (``_form_errors.html``'s ``errors_summary``):
    next to the field its ``details`` name (``fields``: details key → the page's field name;
    several fields when ``details`` gives each its own reason), else for the whole form (key
    ``_``, or the field ``fields["_"]`` names: a form whose refusals all concern one field)."""
    details = err.details
    if isinstance(details, dict) and details and all(key in fields for key in details):
        if len(details) == 1:
            (key,) = details
            return {fields[key]: err.message}
        if all(isinstance(reason, str) for reason in details.values()):
            return {fields[key]: reason for key, reason in details.items()}
    return {fields.get("_", "_"): err.message}
