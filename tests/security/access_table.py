"""The access walk's ONE table of expectations: who may read each page and API operation.

Keyed by ``"GET <endpoint>"`` as in ``app.url_map``; every GET route has an entry (or is in
:data:`NOT_WALKED` with the reason).  An entry gives the URL (``{name}`` filled from the world:
``{project}``, ``{report}``, ``{task}``... is the object at the org being probed, ``{org}`` that
org's code), the orgs whose objects are probed, and who may: the roles, and for org-bound
objects the relations (the user's org to the object's org) under which they may.  ``anywhere``
roles may at any relation (administrators).  ``lists`` names the markers whose presence in the
answer is checked: each one shown must belong to an org the user may see.

Written from the rules of docs/*.md and the permission table, not computed from it: a route
that checks the wrong action or the wrong object shows up as a difference.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.security.access_world import CITY, COUNTY, OTHER_CITY, PERIOD, PROVINCE
from webapp.core.permissions import DOWNWARD, Relation

ALL = frozenset({"clerk", "reviewer", "leader", "assessor", "admin", "auditor"})
WORKERS = frozenset({"clerk", "reviewer", "leader", "assessor"})
LEDGER = WORKERS
ADMIN = frozenset({"admin"})
OWN = frozenset({Relation.OWN})
AUDIT = frozenset({"auditor", "admin"})
ASSESSMENT = frozenset({"clerk", "reviewer", "leader", "assessor", "admin"})
REPORTING = frozenset({"reviewer", "leader", "assessor", "auditor", "admin"})
#: Objects probed at a county and at a city (and the province where it has one).
UNITS = (COUNTY, CITY, PROVINCE)
CITIES = (CITY, OTHER_CITY)


@dataclass(frozen=True)
class Entry:
    path: str
    roles: frozenset[str]
    #: None: the org plays no part (a global page); else the relations allowed.
    relations: frozenset[Relation] | None = None
    #: Orgs whose object (or org parameter) is probed; (None,) for a global page.
    at: tuple[str | None, ...] = (None,)
    #: Roles allowed whatever the relation.
    anywhere: frozenset[str] = frozenset()
    #: (role, user's org) pairs also allowed whatever the relation (the province's leader on a
    #: unit's score page: 调整得分 is the approving leader's, not a unit relation's).
    also: frozenset[tuple[str, str]] = frozenset()
    public: bool = False
    #: The markers shown in the answer are checked (see access_world.marker).
    lists: bool = False
    #: A status that also means "allowed": the right was granted, the object's state refused
    #: (e.g. 409 for a document that does not exist yet).
    allowed_status: int | None = None


def org_bound(
    path: str, roles: frozenset[str] = frozenset(), at: tuple[str, ...] = (), **kw: object
) -> Entry:
    kw.setdefault("relations", DOWNWARD)
    return Entry(path, roles, at=at, **kw)  # type: ignore[arg-type]


TABLE: dict[str, Entry] = {
    # core -------------------------------------------------------------------------------------
    "GET main.home": Entry("/", ALL),
    "GET main.section": Entry("/section/tasks", ALL),
    # 503 until a timer worker has written a heartbeat (none runs in the tests)
    "GET ops.healthz": Entry("/healthz", ALL, public=True, allowed_status=503),
    "GET main.favicon": Entry("/favicon.ico", ALL, public=True),
    # the home page's board of lower units, as Excel: as the 催报看板
    "GET main.board_export": org_bound(
        "/home/board.xlsx?org={org}", WORKERS, UNITS, anywhere=ADMIN
    ),
    "GET auth.login": Entry("/login", ALL, public=True),
    "GET auth.change_password": Entry("/account/password", ALL),
    "GET api_me.me": Entry("/api/v1/me", ALL),
    "GET api-docs.openapi_json": Entry("/api/v1/openapi.json", ALL, public=True),
    "GET api-docs.openapi_swagger_ui": Entry("/api/v1/docs", ALL, public=True),
    "GET admin.users": Entry("/admin/users", ADMIN),
    "GET admin.user_new": Entry("/admin/users/new", ADMIN),
    "GET admin.user_edit": Entry("/admin/users/{user}", ADMIN),
    "GET admin.orgs": Entry("/admin/orgs", ADMIN),
    # ledger -----------------------------------------------------------------------------------
    "GET ledger.index": Entry("/ledger/", LEDGER),
    "GET ledger.records": Entry("/ledger/projects/", LEDGER, lists=True),
    "GET ledger.export": Entry("/ledger/projects/export.xlsx", LEDGER, lists=True),
    "GET ledger.template": Entry("/ledger/projects/template.xlsx", LEDGER),
    "GET ledger.new": Entry("/ledger/projects/new", frozenset({"clerk"})),
    "GET ledger.import_page": Entry("/ledger/projects/import", frozenset({"clerk"})),
    # the progress of one's own import: 404 for a token one did not start (here: none)
    "GET ledger.import_progress": Entry(
        "/ledger/import/progress/" + "t" * 32, LEDGER, allowed_status=404
    ),
    "GET ledger.edit": org_bound("/ledger/projects/{project}", LEDGER, UNITS),
    "GET api_ledger.list_view": org_bound(
        "/api/v1/ledger/projects?org={org}", LEDGER, UNITS, lists=True
    ),
    "GET api_ledger.read": org_bound("/api/v1/ledger/projects/{project}", LEDGER, UNITS),
    #: The blank import template holds no data (the page version sits behind the ledger's gate).
    "GET api_ledger.template": Entry("/api/v1/ledger/projects/template.xlsx", ALL),
    # statistics -------------------------------------------------------------------------------
    "GET stats.index": Entry("/stats/", LEDGER),
    "GET stats.table": org_bound("/stats/table5?org={org}&period=" + PERIOD, LEDGER, UNITS),
    "GET stats.table_xlsx": org_bound(
        "/stats/table5.xlsx?org={org}&period=" + PERIOD, LEDGER, UNITS
    ),
    "GET stats.drill": org_bound(
        "/stats/drill?org={org}&period=" + PERIOD + "&group=registered", LEDGER, UNITS
    ),
    "GET stats.compare": Entry("/stats/compare", LEDGER),
    "GET api_stats.table": org_bound(
        "/api/v1/stats/table5?org={org}&period=" + PERIOD, LEDGER, UNITS
    ),
    # reports ----------------------------------------------------------------------------------
    #: Everyone's page (administrators open periods there); reports only for report.view.
    "GET reports.index": Entry("/reports/", ALL),
    #: The yearly 通报 of the reporting work: the province's staff (report.notice, OWN).
    "GET reports.notice_page": org_bound(
        "/reports/notice/2025",
        frozenset({"clerk", "reviewer", "leader"}),
        (PROVINCE,),
        relations=OWN,
    ),
    "GET reports.notice_document": org_bound(
        "/reports/notice/2025/document.docx",
        frozenset({"clerk", "reviewer", "leader"}),
        (PROVINCE,),
        relations=OWN,
        allowed_status=404,
    ),
    # the administrator, who opens the periods, follows every board (issue 18)
    "GET reports.board": org_bound(
        "/reports/board?org={org}&period=" + PERIOD, WORKERS, UNITS, anywhere=ADMIN
    ),
    "GET reports.report_page": org_bound("/reports/{report}", WORKERS, UNITS),
    "GET reports.document": org_bound("/reports/{report}/document.docx", WORKERS, (COUNTY,)),
    "GET reports.archived_document": org_bound(
        "/reports/documents/{report_doc}", WORKERS, (COUNTY,)
    ),
    # the document archive: the owning feature's rule (a report's file: who may see the report)
    "GET archive.download": org_bound("/archive/{report_doc}", WORKERS, (COUNTY,)),
    "GET archive.download_pdf": org_bound(
        "/archive/{report_doc}/pdf", WORKERS, (COUNTY,), allowed_status=404
    ),
    "GET api_reports.list_reports": org_bound(
        "/api/v1/reports?org={org}&period=" + PERIOD, WORKERS, UNITS
    ),
    "GET api_reports.get_report": org_bound("/api/v1/reports/{report}", WORKERS, UNITS),
    "GET api_reports.document": org_bound(
        "/api/v1/reports/{report}/document.docx", WORKERS, (COUNTY,)
    ),
    # accidents --------------------------------------------------------------------------------
    "GET accidents.index": org_bound("/accidents/?under={org}&open=0", WORKERS, UNITS, lists=True),
    "GET accidents.new": Entry("/accidents/new", frozenset({"clerk"})),
    "GET accidents.detail": org_bound("/accidents/{accident}", WORKERS, (COUNTY, CITY)),
    "GET api_accidents.list_accidents": org_bound(
        "/api/v1/accidents?under={org}", WORKERS, UNITS, lists=True
    ),
    "GET api_accidents.get_accident": org_bound(
        "/api/v1/accidents/{accident}", WORKERS, (COUNTY, CITY)
    ),
    # tasks and instances ----------------------------------------------------------------------
    "GET engine.inbox": Entry("/tasks/", ALL),
    "GET notifications.index": Entry("/notifications/", ALL),
    "GET api_notifications.list_notifications": Entry("/api/v1/notifications", ALL),
    "GET api_notifications.count_unread": Entry("/api/v1/notifications/unread-count", ALL),
    "GET engine.errors": Entry("/tasks/admin/errors", ADMIN),
    "GET engine.task_page": org_bound("/tasks/{task}", WORKERS, UNITS, anywhere=ADMIN),
    "GET engine.instance_page": org_bound(
        "/tasks/instances/{instance}", WORKERS, UNITS, anywhere=ADMIN
    ),
    "GET engine.diagram": org_bound(
        "/tasks/instances/{instance}/diagram.bpmn", WORKERS, UNITS, anywhere=ADMIN
    ),
    "GET api_tasks.list_tasks": Entry("/api/v1/tasks?view=todo", ALL),
    "GET api_tasks.get_task": org_bound("/api/v1/tasks/{task}", WORKERS, UNITS, anywhere=ADMIN),
    "GET api_instances.get_instance": org_bound(
        "/api/v1/instances/{instance}", WORKERS, UNITS, anywhere=ADMIN
    ),
    # workflow and template administration -----------------------------------------------------
    "GET workflow_admin.workflows": Entry("/admin/workflows/", ADMIN),
    "GET workflow_admin.workflows_detail": Entry("/admin/workflows/quarterly_report", ADMIN),
    "GET workflow_admin.workflows_edit": Entry("/admin/workflows/quarterly_report/edit", ADMIN),
    "GET workflow_admin.workflows_compare": Entry(
        "/admin/workflows/quarterly_report/compare", ADMIN
    ),
    "GET workflow_admin.workflows_download": Entry(
        "/admin/workflows/quarterly_report/versions/1.bpmn", ADMIN
    ),
    "GET api_workflows.list_definitions": Entry("/api/v1/workflows", ADMIN),
    "GET api_workflows.compare": Entry(
        "/api/v1/workflows/quarterly_report/compare?old=1&new=1", ADMIN
    ),
    "GET api_workflows.download": Entry(
        "/api/v1/workflows/quarterly_report/versions/1.bpmn", ADMIN
    ),
    "GET doc_templates.templates": Entry("/admin/doc-templates/", ADMIN),
    "GET doc_templates.templates_detail": Entry("/admin/doc-templates/quarterly_report", ADMIN),
    "GET doc_templates.templates_download": Entry(
        "/admin/doc-templates/quarterly_report/versions/1.docx", ADMIN, allowed_status=404
    ),
    # assessment -------------------------------------------------------------------------------
    "GET assessment.campaigns": Entry("/assessment/", ASSESSMENT),
    "GET assessment.campaign": Entry("/assessment/campaigns/{campaign}", ASSESSMENT),
    "GET assessment.sheets": Entry("/assessment/sheets", ASSESSMENT),
    "GET assessment.observations": Entry("/assessment/observations", ASSESSMENT),
    "GET assessment.sheet": Entry("/assessment/sheets/{sheet}", ASSESSMENT),
    "GET assessment.unit": org_bound("/assessment/units/{unit}", ASSESSMENT, CITIES),
    "GET assessment.sheet_docx": org_bound(
        "/assessment/units/{unit}/sheet.docx", ASSESSMENT, CITIES, allowed_status=409
    ),
    # The campaign (the province's) is not approved yet: its ranking is the province's own,
    # its results notice nobody's (tests/assessment covers both after approval).
    "GET assessment.ranking": org_bound(
        "/assessment/campaigns/{campaign}/ranking", ASSESSMENT, (PROVINCE,), relations=OWN
    ),
    "GET api_assessment.get_ranking": org_bound(
        "/api/v1/assessment/campaigns/{campaign}/ranking", ASSESSMENT, (PROVINCE,), relations=OWN
    ),
    "GET assessment.notice": Entry("/assessment/campaigns/{campaign}/notice.docx", frozenset()),
    "GET assessment.score": org_bound(
        "/assessment/units/{unit}/score",
        frozenset({"assessor"}),
        CITIES,
        also=frozenset({("leader", PROVINCE)}),
    ),
    "GET assessment.evidence": org_bound("/assessment/evidence/{evidence}", ASSESSMENT, CITIES),
    "GET api_assessment.list_campaigns": Entry("/api/v1/assessment/campaigns", ASSESSMENT),
    "GET api_assessment.get_campaign": Entry("/api/v1/assessment/campaigns/{campaign}", ASSESSMENT),
    "GET api_assessment.list_sheets": Entry("/api/v1/assessment/sheets", ASSESSMENT),
    "GET api_assessment.get_unit": org_bound("/api/v1/assessment/units/{unit}", ASSESSMENT, CITIES),
    # audit ------------------------------------------------------------------------------------
    "GET audit.records": Entry("/audit/", AUDIT),
    "GET audit.detail": Entry("/audit/{record}", AUDIT),
    "GET audit.timeline": Entry("/audit/timeline?object_type=user&object_id={user}", AUDIT),
    "GET audit.export_records": Entry("/audit/export.csv", AUDIT),
    "GET audit.verify_script": Entry("/audit/verify_audit_export.py", AUDIT),
    "GET audit.verify": Entry("/audit/verify", AUDIT),
    "GET audit.anchor_page": Entry("/audit/anchor", AUDIT),
    "GET audit.anchor_download": Entry("/audit/anchor.json", AUDIT),
    "GET audit.reporting_record": org_bound(
        "/audit/reporting?org={org}&year=2026", REPORTING, UNITS
    ),
    "GET audit.reporting_unit": org_bound("/audit/reporting/{org}?year=2026", REPORTING, UNITS),
    "GET api_audit.list_records": Entry("/api/v1/audit", AUDIT),
    "GET api_audit.get_record": Entry("/api/v1/audit/{record}", AUDIT),
    "GET api_audit.verify": Entry("/api/v1/audit/verify", AUDIT),
    "GET api_audit.anchor": Entry("/api/v1/audit/anchor", AUDIT),
    "GET api_audit.reporting_record": org_bound(
        "/api/v1/audit/reporting?org={org}&year=2026", REPORTING, UNITS
    ),
    # drafted texts: whoever reads the document reads its history (report.view and
    # publication.view alike; one kind per route so that both permissions are walked)
    "GET drafts.overview": org_bound("/drafts/publication_draft/{publication}/", WORKERS, UNITS),
    "GET drafts.section_history": org_bound(
        "/drafts/report_narrative/{report}/s01/", WORKERS, UNITS
    ),
    "GET drafts.version_page": org_bound(
        "/drafts/report_narrative/{report}/s01/1", WORKERS, (COUNTY,)
    ),
    "GET api_drafts.document_history": org_bound(
        "/api/v1/drafts/report_narrative/{report}", WORKERS, UNITS
    ),
    "GET api_drafts.section_history": org_bound(
        "/api/v1/drafts/publication_draft/{publication}/overview/versions", WORKERS, UNITS
    ),
    "GET api_drafts.get_version": org_bound(
        "/api/v1/drafts/report_narrative/{report}/s01/versions/1", WORKERS, (COUNTY,)
    ),
    # publication ------------------------------------------------------------------------------
    "GET publication.index": Entry("/publication/", ALL),
    "GET publication.workspace": org_bound("/publication/{publication}", WORKERS, UNITS),
    # the objections to the records the user's own unit approved
    "GET publication.objections": Entry(
        "/publication/objections", frozenset({"reviewer", "leader"})
    ),
    # a draft without accepted quarters cannot be rendered: 409 once the right was granted
    "GET publication.document": org_bound(
        "/publication/{publication}/document.docx", WORKERS, (COUNTY,), allowed_status=409
    ),
    "GET api_publication.list_publications": org_bound(
        "/api/v1/publications?org={org}", WORKERS, UNITS
    ),
    "GET api_publication.get_publication": org_bound(
        "/api/v1/publications/{publication}", WORKERS, UNITS
    ),
    # the public portal: open to everyone; a draft is reachable by nobody there
    "GET public.home": Entry("/public/", ALL, public=True),
    "GET public.records": Entry("/public/records", ALL, public=True),
    "GET public.quality_index": Entry("/public/index", ALL, public=True),
    "GET api_public.public_reports": Entry("/api/v1/public/reports", ALL, public=True),
    "GET api_public.public_records": Entry("/api/v1/public/records", ALL, public=True),
    "GET api_public.public_index": Entry("/api/v1/public/index", ALL, public=True),
    "GET public.report": org_bound("/public/reports/{publication}", frozenset(), UNITS),
    "GET public.document": org_bound(
        "/public/reports/{publication}/document.docx", frozenset(), (COUNTY,)
    ),
    "GET api_public.public_report": org_bound(
        "/api/v1/public/reports/{publication}", frozenset(), UNITS
    ),
}

#: GET routes the walk does not request, and why.
NOT_WALKED: dict[str, str] = {
    "GET static": "static files (CSS, JS), public by design",
    "GET assessment.static": "static files of the assessment pages",
    "GET workflow_admin.static": "static files of the BPMN editor",
}


#: State-changing routes on an object of some org: who MAY (a superset where the operation then
#: decides, e.g. the task's candidates among the workers of the subtree).  The write walk sends
#: an empty body as everyone else and expects a refusal (403/404; 401 or the login page when
#: anonymous) that changes nothing.  Performing them is the completeness walk's job
#: (tests/audit/routes/).
CLERK = frozenset({"clerk"})
TASKS = {"roles": WORKERS, "anywhere": ADMIN}
UNIT_STAFF = frozenset({"clerk", "reviewer", "leader", "assessor"})
PROVINCE_STAFF = {"relations": OWN, "anywhere": ADMIN}
WRITES: dict[str, Entry] = {
    "POST ledger.edit": org_bound("/ledger/projects/{project}", CLERK, UNITS),
    "POST ledger.delete": org_bound("/ledger/projects/{project}/delete", CLERK, UNITS),
    "PUT api_ledger.update": org_bound("/api/v1/ledger/projects/{project}", CLERK, UNITS),
    "DELETE api_ledger.delete": org_bound("/api/v1/ledger/projects/{project}", CLERK, UNITS),
    "POST api_ledger.import_file": org_bound(
        "/api/v1/ledger/projects/import?org={org}", CLERK, UNITS
    ),
    "POST reports.save_narrative": org_bound(
        "/reports/{report}/narrative", CLERK, UNITS, relations=OWN
    ),
    "POST reports.save_explanations": org_bound(
        "/reports/{report}/explanations", CLERK, UNITS, relations=OWN
    ),
    "POST reports.reuse": org_bound("/reports/{report}/reuse", CLERK, UNITS, relations=OWN),
    "POST reports.notice_start": org_bound(
        "/reports/notice/2025/start", CLERK, (PROVINCE,), relations=OWN, allowed_status=409
    ),
    "POST reports.notice_edit": org_bound(
        "/reports/notice/2025/edit", CLERK, (PROVINCE,), relations=OWN, allowed_status=404
    ),
    "POST reports.correction": org_bound(
        "/reports/{report}/correction", CLERK, UNITS, relations=OWN
    ),
    # 一键催办 of the late units of the user's own board (each one then checked as reports.remind)
    "POST main.remind_late_units": Entry(
        "/home/remind-late", frozenset({"clerk", "reviewer", "leader"})
    ),
    "POST reports.remind": org_bound(
        "/reports/{report}/remind",
        frozenset({"clerk", "reviewer", "leader"}),
        UNITS,
        relations=frozenset({Relation.DESCENDANT}),
    ),
    "POST accidents.followup": org_bound(
        "/accidents/{accident}/followups", CLERK, (COUNTY, CITY), relations=OWN
    ),
    "POST accidents.conclude": org_bound(
        "/accidents/{accident}/conclusion", frozenset({"reviewer"}), (COUNTY, CITY), relations=OWN
    ),
    "POST api_accidents.followup": org_bound(
        "/api/v1/accidents/{accident}/followups", CLERK, (COUNTY, CITY), relations=OWN
    ),
    "PUT api_reports.put_narrative": org_bound(
        "/api/v1/reports/{report}/narrative", CLERK, UNITS, relations=OWN
    ),
    "PUT api_reports.put_explanations": org_bound(
        "/api/v1/reports/{report}/explanations", CLERK, UNITS, relations=OWN
    ),
    "POST drafts.restore": org_bound(
        "/drafts/report_narrative/{report}/s01/1/restore", CLERK, UNITS, relations=OWN
    ),
    "POST api_drafts.restore": org_bound(
        "/api/v1/drafts/publication_draft/{publication}/overview/versions/1/restore",
        CLERK,
        UNITS,
        relations=OWN,
    ),
    **{
        f"POST engine.{verb}": org_bound(f"/tasks/{{task}}/{verb}", at=UNITS, **TASKS)
        for verb in ("claim", "unclaim", "complete", "withdraw", "transfer", "remind", "cc")
    },
    **{
        f"POST api_tasks.{verb}": org_bound(f"/api/v1/tasks/{{task}}/{verb}", at=UNITS, **TASKS)
        for verb in ("claim", "unclaim", "complete", "withdraw", "transfer", "remind", "cc")
    },
    "POST engine.retry": Entry("/tasks/admin/instances/{instance}/retry", ADMIN, at=UNITS),
    "POST api_instances.retry": Entry("/api/v1/instances/{instance}/retry", ADMIN, at=UNITS),
    "POST api_instance_migration.migrate": Entry(
        "/api/v1/instances/{instance}/migrate", ADMIN, at=UNITS
    ),
    "POST assessment.unit": org_bound("/assessment/units/{unit}", UNIT_STAFF, CITIES),
    #: Administrators see units (assessment.view) and reach the form; the operation then
    #: refuses their files (assessment.self).
    "POST assessment.upload_evidence": org_bound(
        "/assessment/units/{unit}/evidence", UNIT_STAFF | ADMIN, CITIES
    ),
    "POST assessment.score": org_bound("/assessment/units/{unit}/score", UNIT_STAFF, CITIES),
    "POST assessment.override": org_bound("/assessment/units/{unit}/override", UNIT_STAFF, CITIES),
    "POST assessment.self_action": org_bound(
        "/assessment/units/{unit}/self/submit", UNIT_STAFF, CITIES
    ),
    "PUT api_assessment.save_self": org_bound(
        "/api/v1/assessment/units/{unit}/self-assessment", UNIT_STAFF, CITIES
    ),
    "POST api_assessment.submit_self": org_bound(
        "/api/v1/assessment/units/{unit}/self-assessment/submit", UNIT_STAFF, CITIES
    ),
    "POST api_assessment.approve_self": org_bound(
        "/api/v1/assessment/units/{unit}/self-assessment/approve", UNIT_STAFF, CITIES
    ),
    "POST api_assessment.return_self": org_bound(
        "/api/v1/assessment/units/{unit}/self-assessment/return", UNIT_STAFF, CITIES
    ),
    "PUT api_assessment.score": org_bound(
        "/api/v1/assessment/units/{unit}/scores", UNIT_STAFF, CITIES
    ),
    "POST api_assessment.override": org_bound(
        "/api/v1/assessment/units/{unit}/overrides", UNIT_STAFF, CITIES
    ),
    **{
        f"POST assessment.{name}": org_bound(
            f"/assessment/campaigns/{{campaign}}/{path}", UNIT_STAFF, (PROVINCE,), **PROVINCE_STAFF
        )
        for name, path in (
            ("close_self", "close"),
            ("draw_sample", "sample"),
            ("rank", "rank"),
            ("approve", "approve"),
            ("return_results", "return"),
        )
    },
    **{
        f"POST api_assessment.{name}": org_bound(
            f"/api/v1/assessment/campaigns/{{campaign}}/{path}",
            UNIT_STAFF,
            (PROVINCE,),
            **PROVINCE_STAFF,
        )
        for name, path in (
            ("close_self", "close-self-assessment"),
            ("draw_sample", "sample"),
            ("rank", "rank"),
            ("approve", "approve"),
            ("return_results", "return"),
        )
    },
    "POST admin.user_edit": Entry("/admin/users/{user}", ADMIN),
    "POST admin.user_set_enabled": Entry("/admin/users/{user}/enabled", ADMIN),
    "POST admin.user_reset_password": Entry("/admin/users/{user}/password", ADMIN),
    "POST workflow_admin.workflows_deploy": Entry(
        "/admin/workflows/quarterly_report/deploy", ADMIN
    ),
    "POST workflow_admin.workflows_rollback": Entry(
        "/admin/workflows/quarterly_report/rollback", ADMIN
    ),
    "POST workflow_admin.workflows_migrate": Entry(
        "/admin/workflows/quarterly_report/migrate", ADMIN
    ),
    "POST api_workflows.rollback": Entry("/api/v1/workflows/quarterly_report/rollback", ADMIN),
    "POST doc_templates.templates_restore": Entry(
        "/admin/doc-templates/quarterly_report/restore", ADMIN
    ),
}
