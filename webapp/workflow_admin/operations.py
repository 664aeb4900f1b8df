"""BPMN administration: versions of every process, upload, roll back, migrate instances.

Everything that touches SpiffWorkflow is an engine function (``webapp.engine``); this module
only orders the steps, checks the administrator and writes the audit records of its own verbs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from webapp.core import audit
from webapp.core.errors import Conflict, DomainError, InvalidInput, NotFound, UploadRefused
from webapp.core.models import User
from webapp.core.operations import one_or_not_found
from webapp.core.permissions import require

# Engine submodules, not the package: its __init__ also wires the engine's views and API.
from webapp.engine import (
    MAX_BPMN_BYTES,
    InstanceState,
    ProcessDefinition,
    ProcessInstance,
    deploy_bpmn,
    hostile_bpmn,
    instance_title,
    latest_definition,
    migrate_instance,
    validate_bpmn,
)
from webapp.extensions import db

#: An upload is read up to this many bytes; the engine refuses anything over its own limit.
MAX_UPLOAD_BYTES = MAX_BPMN_BYTES + 1


@dataclass
class VersionInfo:
    definition: ProcessDefinition
    #: Instances running (or in error) on this version
    running: int = 0


@dataclass
class DefinitionSummary:
    key: str
    name: str
    versions: list[VersionInfo] = field(default_factory=list)

    @property
    def latest(self) -> ProcessDefinition:
        return self.versions[0].definition


def running_counts(key: str | None = None) -> dict[int, int]:
    """Definition id → number of its instances still running (or stopped in error)."""
    stmt = (
        select(ProcessInstance.definition_id, func.count())
        .where(ProcessInstance.state.in_((InstanceState.RUNNING.value, InstanceState.ERROR.value)))
        .group_by(ProcessInstance.definition_id)
    )
    if key is not None:
        stmt = stmt.where(ProcessInstance.process_key == key)
    return {int(d): int(n) for d, n in db.session.execute(stmt).all()}


def definitions_overview(key: str | None = None) -> list[DefinitionSummary]:
    """Every process (or one) with its versions, newest first, and their running instances."""
    stmt = select(ProcessDefinition).order_by(
        ProcessDefinition.key, ProcessDefinition.version.desc()
    )
    if key is not None:
        stmt = stmt.where(ProcessDefinition.key == key)
    counts = running_counts(key)
    out: dict[str, DefinitionSummary] = {}
    for d in db.session.execute(stmt).scalars():
        summary = out.setdefault(d.key, DefinitionSummary(d.key, d.name))
        summary.versions.append(VersionInfo(d, counts.get(d.id, 0)))
    return list(out.values())


def definition_summary(key: str) -> DefinitionSummary:
    found = definitions_overview(key)
    if not found:
        raise NotFound(f"流程 {key} 尚未部署。")
    return found[0]


def get_version(key: str, version: int) -> ProcessDefinition:
    return one_or_not_found(
        select(ProcessDefinition).where(
            ProcessDefinition.key == key, ProcessDefinition.version == version
        ),
        f"流程 {key} 没有第 {version} 版。",
    )


def running_instances(key: str, limit: int = 500) -> list[ProcessInstance]:
    return list(
        db.session.execute(
            select(ProcessInstance)
            .where(
                ProcessInstance.process_key == key,
                ProcessInstance.state.in_((InstanceState.RUNNING.value, InstanceState.ERROR.value)),
            )
            .order_by(ProcessInstance.id.desc())
            .limit(limit)
        ).scalars()
    )


def older_running(definition: ProcessDefinition) -> int:
    """Instances of ``definition``'s process still running (or stopped in error) on an older
    version: a deploy does not move them (each keeps the version it started on)."""
    return int(
        db.session.execute(
            select(func.count())
            .select_from(ProcessInstance)
            .where(
                ProcessInstance.process_key == definition.key,
                ProcessInstance.definition_id != definition.id,
                ProcessInstance.state.in_((InstanceState.RUNNING.value, InstanceState.ERROR.value)),
            )
        ).scalar_one()
    )


def deployed_message(
    definition: ProcessDefinition, older: int, *, from_version: int | None = None
) -> str:
    """What the administrator reads after a deploy or rollback (``from_version``: the version
    whose content was deployed again), on the pages, in the editor and in the API's answer."""
    text = (
        f"已部署 {definition.name} 第 {definition.version} 版，新发起的流程将使用此版本。"
        if from_version is None
        else f"已将第 {from_version} 版的内容部署为第 {definition.version} 版，"
        "新发起的流程将使用此版本。"
    )
    if older:
        text += (
            f"仍有 {older} 个运行中的流程实例按旧版本运行，不会自动改用新版本；"
            "如需改用，请在流程定义页“运行中的流程实例”中勾选后迁移。"
        )
    return text


def check_content(actor: User, key: str | None, content: bytes) -> list[dict[str, str | None]]:
    """Every problem of a BPMN document as ``{"element_id", "message"}`` (empty: deployable)."""
    require(actor, "workflow.admin")
    return [p.as_dict() for p in validate_bpmn(content, key=key)]


def refuse_hostile(content: bytes) -> None:
    """An oversize file or one with a DOCTYPE is an attack: UploadRefused (audited at the edge).
    Other problems are listed with the rest by the deploy."""
    problem = hostile_bpmn(content)
    if problem:
        raise UploadRefused(problem)


def upload_version(actor: User, key: str | None, content: bytes) -> ProcessDefinition:
    """Deploy ``content`` as the newest version of ``key`` (taken from the file when None).

    Problems: InvalidInput whose ``details`` list each one with its element id; an unchanged
    file: Conflict.  The engine's ``workflow.deploy`` record holds the old and new hashes.
    """
    require(actor, "workflow.admin")
    if not content:
        raise InvalidInput("请选择 BPMN 文件。")
    refuse_hostile(content)
    result = deploy_bpmn(actor, key, content)
    if not result.created:
        raise Conflict(
            f"文件与当前最新版本（第 {result.definition.version} 版）相同，未生成新版本。"
        )
    return result.definition


def rollback(actor: User, key: str, version: int) -> ProcessDefinition:
    """Deploy an earlier version's content again, as the newest version."""
    require(actor, "workflow.admin")
    source = get_version(key, version)
    current = latest_definition(key)
    if current.content_hash == source.content_hash:
        raise Conflict(f"第 {version} 版的内容与当前最新版本（第 {current.version} 版）相同。")
    result = deploy_bpmn(actor, key, source.content)
    new = result.definition
    audit.record(
        "workflow.rollback",
        actor=actor,
        object_type="process_definition",
        object_id=new.id,
        before={"version": current.version, "hash": current.content_hash},
        after={
            "key": key,
            "version": new.version,
            "hash": new.content_hash,
            "from_version": version,
        },
        message=f"{key}：回滚到第 {version} 版的内容，成为第 {new.version} 版",
    )
    return new


@dataclass
class MigrationResult:
    instance_id: int
    business_key: str
    ok: bool
    message: str
    reasons: list[str] = field(default_factory=list)


def migrate_instances(actor: User, instance_ids: list[int]) -> list[MigrationResult]:
    """Migrate each selected instance to the newest version; each one on its own (a refusal
    leaves the others alone and writes nothing)."""
    require(actor, "workflow.admin")
    results = []
    for instance_id in instance_ids:
        instance = db.session.get(ProcessInstance, instance_id)
        bkey = instance.business_key if instance is not None else str(instance_id)
        # What the administrator reads names the instance (unit, period), never its key.
        title = instance_title(instance) if instance is not None else f"流程实例 {instance_id}"
        savepoint = db.session.begin_nested()
        try:
            migrated = migrate_instance(actor, instance_id)
            savepoint.commit()
        except DomainError as err:
            savepoint.rollback()
            reasons = err.details if isinstance(err.details, list) else []
            results.append(MigrationResult(instance_id, bkey, False, err.message, reasons))
            continue
        results.append(
            MigrationResult(
                instance_id,
                bkey,
                True,
                f"{title} 已迁移到第 {migrated.definition.version} 版",
            )
        )
    return results
