"""Anchors: the chain head written down outside the database, to detect truncation and rewrites.

The hash chain proves that no record was edited, deleted or inserted *between* two records; it
cannot tell that the newest records were cut off, nor that someone with database access rebuilt
the whole chain with fresh hashes.  An anchor closes both gaps: it is the head of the chain
(record id, hash, time, number of records) exported daily (``flask audit anchor``, or the
download on the auditor's page) and kept elsewhere (paper, another system).  Later,
:func:`check_anchor` requires that record to still be there with the same hash and the same
number of records up to it; with an intact chain, that proves every record up to the anchor is
unchanged and nothing after it was truncated.  Anchors are not signed: their worth is that a
copy is out of the attacker's reach.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from webapp.core import clock
from webapp.core.audit import GENESIS, ChainReport, verify_chain
from webapp.core.errors import InvalidInput
from webapp.core.models import AuditRecord
from webapp.extensions import db

KIND = "hqr-audit-anchor"
VERSION = 1
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Anchor:
    #: Id of the newest record (0 for an empty chain).
    id: int
    hash: str
    #: When that record was written (UTC); None for an empty chain.
    created_at: datetime | None
    #: Number of records up to and including it.
    records: int
    #: When the anchor was taken (UTC).
    taken_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": KIND,
            "version": VERSION,
            "id": self.id,
            "hash": self.hash,
            "created_at": _iso(self.created_at),
            "records": self.records,
            "taken_at": _iso(self.taken_at),
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2) + "\n"

    def to_text(self) -> str:
        """The same as ``key=value`` lines, easy to print and to read back."""
        lines = [f"{KIND.upper()} v{VERSION}"]
        lines += [f"{k}={v}" for k, v in self.as_dict().items() if k not in ("kind", "version")]
        return "\n".join(lines) + "\n"


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(clock.UTC).isoformat(timespec="microseconds") if value else None


def chain_head() -> Anchor:
    """The current head of the chain, as an anchor taken now."""
    rec = db.session.execute(
        select(AuditRecord.id, AuditRecord.hash, AuditRecord.created_at)
        .order_by(AuditRecord.id.desc())
        .limit(1)
    ).first()
    taken = clock.now()
    if rec is None:
        return Anchor(id=0, hash=GENESIS, created_at=None, records=0, taken_at=taken)
    n = db.session.execute(select(func.count(AuditRecord.id))).scalar_one()
    return Anchor(id=rec.id, hash=rec.hash, created_at=rec.created_at, records=n, taken_at=taken)


def parse_anchor(text: str) -> Anchor:
    """Read an anchor back from its JSON or its ``key=value`` text form."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("锚点内容为空。")
    data: dict[str, Any]
    try:
        loaded = json.loads(text)
        data = loaded if isinstance(loaded, dict) else {}
    except ValueError:
        data = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                data[key.strip()] = value.strip()
    try:
        anchor_id = int(data["id"])
        records = int(data.get("records") or 0)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput("锚点格式不正确：缺少记录编号 id。") from exc
    digest = str(data.get("hash", "")).strip().lower()
    if not _HASH_RE.match(digest) or anchor_id < 0:
        raise InvalidInput("锚点格式不正确：哈希应为64位十六进制。")
    return Anchor(
        id=anchor_id,
        hash=digest,
        created_at=_parse_time(data.get("created_at")),
        records=records,
        taken_at=_parse_time(data.get("taken_at")),
    )


def _parse_time(value: Any) -> datetime | None:
    if not value or value == "None":
        return None
    try:
        return clock.as_utc(str(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class AnchorCheck:
    ok: bool
    #: "ok", "truncated" (the chain ends before the anchor), "missing" (the anchored record is
    #: gone), "mismatch" (its hash differs: rewritten), "count" (records before it differ).
    status: str
    message: str


def check_anchor(anchor: Anchor) -> AnchorCheck:
    """Does the chain still contain the anchored head, unchanged?"""
    if anchor.id == 0:
        return AnchorCheck(True, "ok", "锚点取自空的审计链，无需比对。")
    rec = db.session.get(AuditRecord, anchor.id)
    if rec is None:
        head = db.session.execute(select(func.max(AuditRecord.id))).scalar_one_or_none()
        if head is None or head < anchor.id:
            shown = head if head is not None else "无（审计链为空）"
            return AnchorCheck(
                False,
                "truncated",
                f"审计链比锚点短：当前最后一条记录 id={shown}，锚点记录 id={anchor.id}。"
                "锚点之后（含锚点记录）的记录已被截断删除。",
            )
        return AnchorCheck(False, "missing", f"锚点记录 id={anchor.id} 已不存在（被删除）。")
    if rec.hash != anchor.hash:
        return AnchorCheck(
            False,
            "mismatch",
            f"锚点记录 id={anchor.id} 的哈希与锚点不一致：该记录或其之前的记录已被改写。",
        )
    if anchor.records:
        n = db.session.execute(
            select(func.count(AuditRecord.id)).where(AuditRecord.id <= anchor.id)
        ).scalar_one()
        if n != anchor.records:
            change = "被删除" if n < anchor.records else "被插入"
            return AnchorCheck(
                False,
                "count",
                f"锚点时截至 id={anchor.id} 共有 {anchor.records} 条记录，现在有 {n} 条："
                f"锚点之前有 {abs(anchor.records - n)} 条记录{change}"
                "（其后的哈希若仍衔接，则链也被重新计算过）。",
            )
    return AnchorCheck(
        True,
        "ok",
        f"审计链包含锚点记录 id={anchor.id}，哈希一致：锚点及之前的记录未被改动，也未被截断。",
    )


@dataclass(frozen=True)
class Verification:
    chain: ChainReport
    anchor: AnchorCheck | None

    @property
    def ok(self) -> bool:
        return self.chain.ok and (self.anchor is None or self.anchor.ok)


def verify(anchor: Anchor | None = None) -> Verification:
    """The chain walk, and the anchor comparison when an anchor is given."""
    return Verification(verify_chain(), check_anchor(anchor) if anchor is not None else None)
