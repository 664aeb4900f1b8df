"""The periodic drafted document: one unit's document per period, driven by a process instance.

The quarterly/annual report (webapp.reports) and the half-yearly public report
(webapp.publication) share one core (issue 14, item 3: "one drafted-document core"):

- :mod:`webapp.periodic.operations`: open a period for every unit (idempotent, audited) and start
  the scheduler process that opens each period on time;
- :mod:`webapp.periodic.flow`: the scheduler's service operations (``<feature>.next_window``,
  ``<feature>.open_scheduled``), registered by each feature with its own calendar;
- :mod:`webapp.periodic.state`: a document's state from its instance's business status code,
  and which states may still be edited;
- :mod:`webapp.periodic.cli`: the ``open`` and ``schedule`` commands of a feature's group;
- :mod:`webapp.periodic.views`: the administrator's 开启 form;
- :func:`register_rules` (here): who may see, draft and open a feature's documents.

The autosaved sections live in :mod:`webapp.drafts`.  This package imports no feature: each
feature passes what differs (its units, its rows, its calendar, its texts).
"""

from __future__ import annotations

from webapp.core.models import Role
from webapp.core.permissions import ANY, DOWNWARD, Relation, register

#: Who reads a unit's documents (and its lower units'): every staff role but the administrator's
#: and the auditor's (they have their own pages).
STAFF = {Role.CLERK, Role.REVIEWER, Role.LEADER, Role.ASSESSOR}


def register_rules(prefix: str, *, view: str, draft: str, open: str) -> None:
    """The permissions ``<prefix>.view`` (staff, on their unit and below), ``<prefix>.draft``
    (the unit's own clerk) and ``<prefix>.open`` (the administrator opens a period), with
    their Chinese labels."""
    register(f"{prefix}.view", STAFF, DOWNWARD, label=view)
    register(f"{prefix}.draft", {Role.CLERK}, {Relation.OWN}, label=draft)
    register(f"{prefix}.open", {Role.ADMIN}, ANY, label=open)
