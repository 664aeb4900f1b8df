from __future__ import annotations

import pytest

from webapp.core.errors import PermissionDenied
from webapp.core.permissions import Relation, can, relation, require


@pytest.mark.parametrize(
    ("user_org", "target", "expected"),
    [
        ("410102", "410102", Relation.OWN),
        ("410100", "410102", Relation.DESCENDANT),
        ("410000", "410102", Relation.DESCENDANT),
        ("410102", "410100", Relation.PARENT),
        ("410102", "410000", Relation.ANCESTOR),
        ("410102", "410103", Relation.PEER),  # a sibling county
        ("410100", "410300", Relation.PEER),  # two cities
        ("410100", "410181", Relation.PEER),  # city and directly administered county
        ("410181", "410000", Relation.PARENT),  # 巩义 reports to the province, not 郑州
        ("410100", "410181", Relation.PEER),
        ("410102", "410302", Relation.PEER),  # counties of different cities: same depth
        ("410100", "410302", Relation.OTHER),  # 郑州 and a county of 洛阳
    ],
)
def test_relations(org, user_org, target, expected):
    assert relation(org(user_org), org(target)) == expected


def test_zhengzhou_clerk_cannot_read_luoyang_ledgers(make_user, org):
    clerk = make_user("clerk", "410100")
    assert can(clerk, "ledger.view", org("410100"))
    assert can(clerk, "ledger.view", org("410102"))  # a county of 郑州
    assert not can(clerk, "ledger.view", org("410300"))
    assert not can(clerk, "ledger.view", org("410302"))
    assert not can(clerk, "ledger.view", org("410181"))  # 巩义 is not under 郑州


def test_county_cannot_read_its_sibling(make_user, org):
    clerk = make_user("clerk", "410102")
    assert can(clerk, "ledger.view", org("410102"))
    assert not can(clerk, "ledger.view", org("410103"))
    assert not can(clerk, "ledger.view", org("410100"))  # nor its city's ledgers


def test_province_reads_everything(make_user, org):
    reviewer = make_user("reviewer", "410000")
    for code in ("410000", "410100", "410102", "410181", "410302"):
        assert can(reviewer, "ledger.view", org(code))


def test_peers_read_accepted_summaries_only(make_user, org):
    zhengzhou = make_user("reviewer", "410100")
    assert can(zhengzhou, "summary.view", org("410300"))
    assert not can(zhengzhou, "ledger.view", org("410300"))


def test_roles_matter(make_user, org):
    leader = make_user("leader", "410102")
    assert can(leader, "ledger.view", org("410102"))
    assert not can(leader, "ledger.edit", org("410102"))
    auditor = make_user("auditor", "410000")
    assert can(auditor, "audit.view")
    assert not can(auditor, "ledger.view", org("410102"))
    assert not can(auditor, "user.manage")
    with pytest.raises(PermissionDenied):
        require(auditor, "ledger.edit", org("410102"))


def test_anonymous_and_disabled_users(make_user, org):
    assert not can(None, "ledger.view", org("410102"))
    user = make_user("clerk", "410102")
    user.is_enabled = False
    assert not can(user, "ledger.view", org("410102"))


def test_unknown_action_is_a_programming_error(make_user):
    with pytest.raises(KeyError):
        can(make_user("clerk", "410102"), "no.such.action")
