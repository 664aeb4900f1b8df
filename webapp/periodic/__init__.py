"""The periodic drafted document: one unit's document per period, driven by a process instance.

The quarterly/annual report (webapp.reports) and the half-yearly public report
(webapp.publication) share one core (issue 14, item 3: "one drafted-document core"):

- :mod:`webapp.periodic.operations`: open a period for every unit (idempotent, audited) and start
  the scheduler process that opens each period on time;
- :mod:`webapp.periodic.flow`: the scheduler's service operations (``<feature>.next_window``,
  ``<feature>.open_scheduled``), registered by each feature with its own calendar;
- :mod:`webapp.periodic.state`: a document's state from its instance's business status code,
  and which states may still be edited;
- :mod:`webapp.periodic.cli`: the ``open`` and ``schedule`` commands of a feature's group.

The autosaved sections live in :mod:`webapp.drafts`.  This package imports no feature: each
feature passes what differs (its units, its rows, its calendar, its texts).
"""
