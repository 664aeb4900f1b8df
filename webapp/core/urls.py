"""Where a redirect may go when the target comes from the user (``next``, the Referer).

Only a path on this site: it starts with one ``/``, names no scheme and no host, and holds no
backslash or control character (browsers read ``/\\evil.example`` and ``/<TAB>/evil.example``
as ``//evil.example``, another site).  Anything else gives the caller's default.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")
MAX_LENGTH = 2000


def safe_next(target: str | None, default: str, *, host: str | None = None) -> str:
    """``target`` if it is a path on this site, else ``default``.

    With ``host`` (the request's own host), an absolute http(s) URL on that host (a Referer)
    counts as its path and query.
    """
    if not target or len(target) > MAX_LENGTH:
        return default
    if host is not None:
        parts = urlsplit(target)
        if parts.scheme in ("http", "https") and parts.netloc == host:
            target = parts.path + (f"?{parts.query}" if parts.query else "")
    if _UNSAFE.search(target) or not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
