"""What anyone may read, without logging in: published (and not withdrawn) reports, the
records published with the province's reports, and the quality index of published reports.

Every query here filters on ``published_at IS NOT NULL AND withdrawn_at IS NULL``; anything
else is "not found" (404), never "forbidden", so that a draft's existence does not leak.
Whatever leaves this module is built field by field from the frozen snapshot
(:func:`public_view`): no person's name, opinion, ledger row or internal id of a task.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, func, select

from webapp.core.errors import NotFound
from webapp.core.models import Org
from webapp.extensions import db
from webapp.publication.draft import numbered
from webapp.publication.index import is_current, worked_example
from webapp.publication.models import Publication, PublishedRecord, RecordKind
from webapp.publication.periods import parse_half_year
from webapp.publication.publicity import PublicRecordFields, public_records

#: Shown where a report was published with the index formula that counted enforcement records.
RETIRED_INDEX = (
    "本报告发布时采用的旧版质量指数（计入了不良行为记录、行政处罚和备案率）已停用，不再展示；"
    "现行指数只反映质量结果，见“质量指数”页。"
)

PUBLISHED = and_(Publication.published_at.is_not(None), Publication.withdrawn_at.is_(None))
MAX_PER_PAGE = 100


def public_publication(pub_id: int) -> Publication:
    if not 0 < pub_id <= 2**31 - 1:  # beyond the column's range: cannot exist
        raise NotFound("未找到该公开报告。")
    pub = db.session.execute(
        select(Publication).where(Publication.id == pub_id, PUBLISHED)
    ).scalar_one_or_none()
    if pub is None:
        raise NotFound("未找到该公开报告。")
    return pub


def published_reports(org_code: str | None = None, period: str | None = None) -> list[Publication]:
    stmt = (
        select(Publication)
        .join(Org, Publication.org_id == Org.id)
        .where(PUBLISHED)
        .order_by(Publication.period.desc(), Org.path)
    )
    if org_code:
        stmt = stmt.where(Org.code == org_code)
    if period:
        stmt = stmt.where(Publication.period == parse_half_year(period).code)
    return list(db.session.execute(stmt).scalars())


def published_units() -> list[Org]:
    """Units with at least one published report (the portal's unit filter)."""
    return list(
        db.session.execute(
            select(Org)
            .where(Org.id.in_(select(Publication.org_id).where(PUBLISHED)))
            .order_by(Org.path)
        ).scalars()
    )


def published_periods() -> list[str]:
    return list(
        db.session.execute(
            select(Publication.period)
            .where(PUBLISHED)
            .group_by(Publication.period)
            .order_by(Publication.period.desc())
        ).scalars()
    )


def _index(pub: Publication) -> dict[str, Any] | None:
    """The report's quality index when computed by the current formula (else None)."""
    index = ((pub.snapshot or {}).get("figures") or {}).get("index")
    return index if is_current(index) else None


def index_view(figures: Mapping[str, Any]) -> dict[str, Any]:
    """What the portal prints of a report's quality index (from its figures): the index with
    its parts, the worked example, each lower unit's index, or the retired formula's note.
    The leader's workspace shows the same before approving (what they approve is what is
    published)."""
    index = figures.get("index")
    index = index if is_current(index) else None
    return {
        "index": index,
        "index_example": worked_example(index) if index else [],  # type: ignore[arg-type]
        "index_units": (figures.get("unit_indexes") or []) if index else [],
        "index_retired": None if index else RETIRED_INDEX,
    }


def summary(pub: Publication) -> dict[str, Any]:
    snap = pub.snapshot or {}
    index = _index(pub) or {}
    return {
        "id": pub.id,
        "org_code": pub.org.code,
        "org_name": pub.org.name,
        "tier": pub.org.tier,
        "period": pub.period,
        "period_label": snap.get("period_label", pub.period),
        "title": f"{pub.org.name}{snap.get('period_label', '')}建设工程质量总体状况报告",
        "publication_date": pub.publication_date,
        "online_until": pub.online_until,
        "quality_index": index.get("value"),
    }


def _public_row(row: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "org_code",
        "org_name",
        "carried_over",
        "registered",
        "supervised",
        "completed",
        "filed",
        "under_construction",
        "filing_rate",
        "satisfaction_pct",
        "accidents",
    )
    return {k: row[k] for k in keys if k in row}


def public_view(pub: Publication) -> dict[str, Any]:
    """The full published report: text, figures, quality index with its parts."""
    snap = pub.snapshot or {}
    fig = snap.get("figures") or {}
    total = fig.get("total")
    return {
        **summary(pub),
        "sections": [
            {"key": s["key"], "number": s["number"], "heading": s["heading"], "text": p}
            for s in numbered(snap.get("sections") or {})
            for p in ["\n".join(s["paragraphs"])]
        ],
        "figures": {
            "quarters": [q["period"] for q in fig.get("quarters", [])],
            "total": _public_row(total) if total else None,
            "units": [_public_row(r) for r in fig.get("rows", []) if r["org_code"] != pub.org.code],
            "bad_records": fig.get("bad_records"),
            "penalties": fig.get("penalties"),
        },
        **index_view(fig),
        "previous": snap.get("previous"),
        "records": {
            kind.value: count_records(kind=kind.value, period=pub.period, under=pub.org.code)
            for kind in RecordKind
        },
    }


def count_records(**filters: Any) -> int:
    """How many records :func:`search_records` lists with the same filters (one query)."""
    stmt = public_records(**filters)
    return int(db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())


def search_records(
    kind: str | None = None,
    enterprise: str | None = None,
    period: str | None = None,
    page: int = 1,
    per_page: int = 20,
    under: str | None = None,
) -> tuple[list[PublishedRecord], int]:
    """Public records, newest first (``webapp.publication.publicity.public_records``);
    ``enterprise`` matches part of a unit, project or person name; ``under`` = published by
    this unit or a unit below it."""
    stmt = public_records(kind, enterprise, period, under)
    total = count_records(kind=kind, enterprise=enterprise, period=period, under=under)
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    pages = max(1, -(-int(total) // per_page))
    page = max(1, min(int(page), pages))
    rows = db.session.execute(
        stmt.order_by(PublishedRecord.recorded_on.desc(), PublishedRecord.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).scalars()
    return list(rows), int(total)


def record_view(rec: PublishedRecord) -> dict[str, Any]:
    return {
        "id": rec.id,
        "kind": rec.kind,
        "kind_label": RecordKind(rec.kind).label,
        **{key: getattr(rec, key) for key in PublicRecordFields.__annotations__},
        "public_until": rec.public_until,
        "period": rec.publication.period,
        "report_id": rec.publication_id,
    }


def index_series(org_code: str) -> list[dict[str, Any]]:
    """The published quality index of one unit, oldest half year first (the trend)."""
    out = []
    for pub in reversed(published_reports(org_code=org_code)):
        index = _index(pub)
        if index is None:
            continue  # published with the retired formula: not comparable
        out.append(
            {
                "period": pub.period,
                "period_label": (pub.snapshot or {}).get("period_label", pub.period),
                "report_id": pub.id,
                "value": index.get("value"),
                "parts": index.get("parts", []),
                "inputs": index.get("inputs", {}),
            }
        )
    return out


def index_table(period: str) -> list[dict[str, Any]]:
    """Every unit's published index for one half year, in the order of the org tree."""
    return [
        {
            "org_code": pub.org.code,
            "org_name": pub.org.name,
            "report_id": pub.id,
            "value": (_index(pub) or {}).get("value"),
        }
        for pub in published_reports(period=period)
    ]


def example(series: list[dict[str, Any]]) -> dict[str, Any]:
    """The worked example beside the formula: the unit's latest published index, or (none
    yet) a sample half year computed with the settings in force."""
    from decimal import Decimal

    from webapp.publication.index import Outcomes, quality_index

    if series:
        latest = series[-1]
        return {"label": f"{latest['period_label']}（已公开）", "lines": worked_example(latest)}  # type: ignore[arg-type]
    sample = Outcomes(
        acceptances=40,
        passed=38,
        filed=36,
        satisfied=33,
        area_10k_m2=Decimal("250.00"),
        accidents=1,
        deaths=0,
    )
    return {"label": "示例数据", "lines": worked_example(quality_index(sample))}


def current_weights() -> list[dict[str, Any]]:
    """The parts of the index with the weights and factors now in force (the formula box)."""
    from webapp.publication.index import current_settings, weighted_parts

    return [dict(part) for part in weighted_parts(*current_settings())]
