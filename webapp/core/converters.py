"""URL converters: an id in a URL is a positive 32-bit integer (PostgreSQL ``integer``).

Werkzeug's ``int`` converter accepts any size; an id past 2³¹ − 1 then reached the database
and failed there (a 500: "int too large" on SQLite, out of range on PostgreSQL).  Such a URL
simply matches no route now: 404.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
