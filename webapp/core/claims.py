"""Claims of one-time submission keys: a form's token, an API client's ``Idempotency-Key``.

A request that carries a key claims it with one INSERT into ``submission_claim`` inside its own
transaction, before it acts; the row's unique key (owner, key) does the rest:

- a replay after the first committed finds the row (the INSERT does nothing) and is answered
  with the first answer, stored on the row by :func:`settle` before the commit;
- two concurrent duplicates: on PostgreSQL the second INSERT waits on the first's uncommitted
  row (``ON CONFLICT DO NOTHING`` waits, it does not fail), then does nothing if the first
  committed, or inserts if it rolled back; on SQLite the second waits on the writer lock
  (every writing transaction begins IMMEDIATE) and then finds the row.  No IntegrityError is
  raised, so nothing has to be caught and no transaction is left aborted;
- a refused request (422, 403, any rollback) rolls its claim back with everything else: the key
  stays usable, the user fixes the form and sends it again.

Claims are kept :data:`KEPT_FOR` (24 hours) and pruned by the timer worker's pass
(:func:`prune`); a replay later than that acts again.  The web edge decides which requests
carry a key and what a replay answers (``webapp/idempotency.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from webapp.core import clock
from webapp.core.models import SubmissionClaim
from webapp.extensions import db

#: How long a claim (and so the first answer) is kept.
KEPT_FOR = timedelta(hours=24)
#: Longest key accepted (a form token is 22 characters; clients send UUIDs).
MAX_KEY = 128

_TABLE = SubmissionClaim.__table__


@dataclass(frozen=True)
class Earlier:
    """The claim a replay found: the first request and its answer (status None: the first
    request committed its claim and has not stored its answer yet)."""

    request_line: str
    status: int | None
    location: str | None
    body: str | None


def claim(owner: str, key: str, request_line: str) -> Earlier | None:
    """Claim ``key`` for ``owner`` in the current transaction: None when it is now ours (act),
    else the earlier claim (do not act)."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(_TABLE)
        .values(owner=owner, key=key, request_line=request_line[:600], created_at=clock.now())
        .on_conflict_do_nothing(index_elements=["owner", "key"])
        .returning(_TABLE.c.id)  # a row when inserted, none when the key was claimed before
    )
    if db.session.execute(statement).scalar_one_or_none() is not None:
        return None
    row = db.session.execute(
        select(_TABLE.c.request_line, _TABLE.c.status, _TABLE.c.location, _TABLE.c.body).where(
            _TABLE.c.owner == owner, _TABLE.c.key == key
        )
    ).one()
    return Earlier(row.request_line, row.status, row.location, row.body)


def settle(owner: str, key: str, *, status: int, location: str | None, body: str | None) -> None:
    """Store the answer of the request that holds the claim (in its transaction)."""
    db.session.execute(
        update(_TABLE)
        .where(_TABLE.c.owner == owner, _TABLE.c.key == key)
        .values(status=status, location=location, body=body)
    )


def release(owner: str, key: str) -> None:
    """Give the claim up: the request did not act (a read, a refusal), the key stays usable."""
    db.session.execute(delete(_TABLE).where(_TABLE.c.owner == owner, _TABLE.c.key == key))


def prune() -> int:
    """Delete the claims older than :data:`KEPT_FOR`; how many were deleted."""
    cutoff = clock.now() - KEPT_FOR
    return db.session.execute(delete(_TABLE).where(_TABLE.c.created_at < cutoff)).rowcount
