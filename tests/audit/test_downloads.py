"""Every file a user takes out of the product leaves a trace (docs/audit.md, issue 8: "documents
generated and downloaded").

The sweep reads every GET route of the access walk's table (tests/security/access_table.py) as a
user the table allows, at every org it probes; each answer that is a file (``Content-Disposition:
attachment``) must have written an audit record naming that user, the route's object and the
unit whose data left.  Only what carries no unit's data is exempt, each with its reason.
"""

from __future__ import annotations

from sqlalchemy import func, select

from tests.audit.helpers import misfiled
from tests.security.access_table import TABLE, Entry
from tests.security.access_world import build
from webapp.core.models import AuditRecord
from webapp.extensions import db

#: Files that carry no unit's data, or whose reading is already public.
EXEMPT = {
    "GET ledger.template": "a blank import template",
    "GET api_ledger.template": "a blank import template",
    "GET public.document": "a published report, open to anyone",
    "GET workflow_admin.workflows_download": "a process definition, no unit's data",
    "GET api_workflows.download": "a process definition, no unit's data",
    "GET engine.diagram": "a process definition's diagram, no unit's data",
    "GET doc_templates.templates_download": "a Word template, no unit's data",
    "GET audit.verify_script": "the auditor's verification script, no unit's data",
}


def reader(entry: Entry, world_clients: dict) -> tuple[str, str | None] | None:
    """One user the table allows: a worker of the object's own unit, else an administrator or
    an auditor (who may read anywhere); None when the world has nobody who may."""
    for role in ("clerk", "reviewer", "leader", "assessor", "auditor", "admin"):
        if role in entry.roles or role in entry.anywhere:
            for who in world_clients:
                if who[0] == role:
                    return who
    return None


def test_every_file_taken_out_is_audited(app, make_user):
    world = build(app, make_user)
    problems: list[str] = []
    files = 0
    for key, entry in TABLE.items():
        if key in EXEMPT or entry.public:
            continue
        for target in entry.at:
            path = entry.path.format(**world.at(target))
            who = reader(entry, world.clients)
            if who is None:
                continue  # e.g. a campaign's notice before approval: tested by its feature
            role, org = who
            # a unit's own user where the table probes a unit's object
            if target is not None and (role, target) in world.clients:
                org = target
            client = world.clients[(role, org)]
            db.session.commit()
            mark = db.session.execute(select(func.max(AuditRecord.id))).scalar() or 0
            response = client.get(path)
            response.get_data()
            response.close()
            if "attachment" not in response.headers.get("Content-Disposition", ""):
                continue
            files += 1
            db.session.commit()
            written = db.session.execute(
                select(AuditRecord).where(AuditRecord.id > mark, AuditRecord.actor_name != "")
            ).scalars()
            mine = [r for r in written if r.action not in ("permission.denied",)]
            if not mine:
                problems.append(f"{key}: {role}@{org} took {path} and nothing was recorded")
                continue
            record = mine[-1]
            if record.actor_id is None or not record.org_code:
                problems.append(f"{key}: {path}: the record {record.action} names no user or unit")
            problems += [f"{key}: {path}: {wrong}" for wrong in misfiled(mine)]
    assert files >= 15, f"only {files} files were taken: the sweep is vacuous"
    assert not problems, f"{len(problems)} downloads without a trace:\n" + "\n".join(problems)
