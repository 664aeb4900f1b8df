"""Loading the units (``flask org load``): a move carries the whole subtree; no cycle.

Found from outside (an auditor): a city moved to another parent by the CSV kept its counties'
old paths unless the file listed them too.  The path is what every subtree permission reads
(``Org.is_in_subtree_of``, the ``path LIKE`` queries), so the counties stayed inside the old
parent's reach and outside the new one's.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from webapp.core.errors import InvalidInput
from webapp.core.models import AuditRecord, Org
from webapp.core.operations import get_org, load_orgs
from webapp.extensions import db


@pytest.fixture(autouse=True)
def _orgs_put_back():
    """The units are kept between tests (tests/conftest.py KEEP_TABLES): a test that moves one
    puts every unit back as it found it, or the next test's 郑州市 would report to 开封市."""
    saved = {
        o.id: (o.parent_id, o.path, o.depth, o.name, o.tier)
        for o in db.session.execute(select(Org)).scalars()
    }
    yield
    db.session.rollback()
    for org in db.session.execute(select(Org)).scalars():
        org.parent_id, org.path, org.depth, org.name, org.tier = saved[org.id]
    db.session.commit()
    assert _paths_follow_parents() == []


def _row(code: str, name: str, tier: str, parent: str) -> dict[str, str]:
    return {"code": code, "name": name, "tier": tier, "parent_code": parent}


def _paths_follow_parents() -> list[str]:
    """Every unit whose path is not its parent's path plus its own code."""
    orgs = list(db.session.execute(select(Org)).scalars())
    by_id = {o.id: o for o in orgs}
    wrong = []
    for org in orgs:
        parent = by_id.get(org.parent_id)
        expected = (parent.path if parent else "") + org.code + "/"
        if org.path != expected or org.depth != expected.count("/") - 1:
            wrong.append(f"{org.code}: {org.path} != {expected}")
    return wrong


def test_moving_a_city_moves_its_counties(make_user):
    city, county = get_org("410100"), get_org("410102")
    assert county.path.startswith(city.path)
    # 郑州市 placed under 开封市 (a unit moved, however unlikely): its row only
    counts = load_orgs([_row("410100", "郑州市", city.tier, "410200")])
    db.session.commit()
    assert _paths_follow_parents() == []
    county = get_org("410102")
    assert county.path == "410000/410200/410100/410102/" and county.depth == 3
    assert county.is_in_subtree_of(get_org("410200"))
    below = db.session.execute(select(Org).where(Org.path.like(county.path[:-7] + "%"))).all()
    assert counts["updated"] == len(below)  # the city and every unit below it
    moved = db.session.execute(
        select(AuditRecord).where(
            AuditRecord.action == "org.update", AuditRecord.object_id == "410102"
        )
    ).scalar_one()
    assert moved.after == {"path": county.path, "depth": 3}


def test_a_unit_cannot_be_placed_below_itself():
    before = {o.code: o.path for o in db.session.execute(select(Org)).scalars()}
    with pytest.raises(InvalidInput, match="上级关系形成循环"):
        load_orgs([_row("410100", "郑州市", "city", "410102")])  # under its own county
    with pytest.raises(InvalidInput, match="上级关系形成循环"):
        load_orgs(
            [_row("410100", "郑州市", "city", "410200"), _row("410200", "开封市", "city", "410100")]
        )
    db.session.rollback()
    assert {o.code: o.path for o in db.session.execute(select(Org)).scalars()} == before


def test_loading_the_same_file_again_changes_nothing():
    rows = [
        _row(o.code, o.name, o.tier, o.parent_code or "")
        for o in db.session.execute(select(Org)).scalars()
    ]
    assert load_orgs(rows) == {"created": 0, "updated": 0, "unchanged": len(rows)}
