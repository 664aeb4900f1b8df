"""Process definitions: deploy BPMN files as versions, and the cache of parsed specs."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from webapp.core import audit, clock
from webapp.core.errors import InvalidInput, NotFound
from webapp.core.models import User
from webapp.core.permissions import require
from webapp.engine.models import ProcessDefinition
from webapp.engine.parsing import ParsedBpmn, build_specs, parse_xml
from webapp.engine.validation import Problem, check_bpmn, validate_bpmn
from webapp.extensions import db

log = logging.getLogger(__name__)

#: Parsed specs keyed by (version id, content hash): ids can be reused after a rollback.
_cache: dict[tuple[int, str], ParsedBpmn] = {}
_cache_lock = threading.Lock()

#: What changed from one version to the next, for the deploy's audit record (the auditor reads
#: the change there: the definition pages are the administrators').  Set by
#: ``webapp.engine.versions``, which compares versions and imports this module.
ChangeSummary = Callable[[ProcessDefinition, ProcessDefinition], dict[str, list[str]]]
_describe_changes: list[ChangeSummary] = []


def describe_changes_with(summary: ChangeSummary) -> None:
    _describe_changes[:] = [summary]


def _changes(old: ProcessDefinition, new: ProcessDefinition) -> dict[str, list[str]] | None:
    if not _describe_changes:
        return None
    try:
        return _describe_changes[0](old, new)
    except Exception:  # the summary is a courtesy: a comparison failing never refuses a deploy
        log.exception("comparing %s v%s with v%s failed", new.key, old.version, new.version)
        return None


@dataclass
class DeployResult:
    definition: ProcessDefinition
    #: False when the file was identical to the latest version (nothing deployed)
    created: bool


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def specs_for(definition: ProcessDefinition) -> ParsedBpmn:
    """The parsed specs of a version, parsed once per process and kept."""
    cache_key = (definition.id, definition.content_hash)
    parsed = _cache.get(cache_key)
    if parsed is None:
        with _cache_lock:
            parsed = _cache.get(cache_key)
            if parsed is None:
                root = parse_xml(definition.content)
                parsed = build_specs(
                    root, filename=f"{definition.key}.bpmn", process_id=definition.key
                )
                _cache[cache_key] = parsed
    return parsed


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _latest(key: str) -> ProcessDefinition | None:
    return db.session.execute(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).scalar_one_or_none()


def latest_definition(key: str) -> ProcessDefinition:
    row = _latest(key)
    if row is None:
        raise NotFound(f"流程 {key} 尚未部署。")
    return row


def deploy_bpmn(actor: User | None, key: str | None, content: bytes) -> DeployResult:
    """Validate and deploy one BPMN document as the newest version of its process.

    ``key`` (the BPMN process id) is checked against the file when given.  An unchanged file
    returns the latest version with ``created=False``.  Problems raise InvalidInput whose
    ``details`` list every problem as ``{"element_id", "message"}``.
    """
    if actor is not None:
        require(actor, "workflow.admin")
    problems, parsed = check_bpmn(content, key=key)
    if problems or parsed is None:
        raise InvalidInput(
            "BPMN 校验未通过：" + "；".join(p.message for p in problems[:5]),
            details=[p.as_dict() for p in problems],
        )
    key = parsed.process_id
    digest = content_hash(content)
    latest = _latest(key)
    if latest is not None and latest.content_hash == digest:
        return DeployResult(latest, False)
    definition = ProcessDefinition(
        key=key,
        name=parsed.name,
        version=1 if latest is None else latest.version + 1,
        content_hash=digest,
        content=content,
        deployed_by_id=actor.id if actor is not None else None,
        deployed_at=clock.now(),
    )
    db.session.add(definition)
    db.session.flush()
    with _cache_lock:
        _cache[(definition.id, digest)] = parsed
    audit.record(
        "workflow.deploy",
        actor=actor,
        object_type="process_definition",
        object_id=definition.id,
        before=(
            {"version": latest.version, "hash": latest.content_hash} if latest is not None else None
        ),
        after={
            "key": key,
            "version": definition.version,
            "hash": digest,
            **({"changes": _changes(latest, definition)} if latest is not None else {}),
        },
    )
    return DeployResult(definition, True)


def deploy_definitions(actor: User | None, directory: str | Path) -> list[DeployResult]:
    """Deploy every ``*.bpmn`` of a directory (sorted by name); all or nothing."""
    results = []
    problems: list[dict[str, str | None]] = []
    for path in sorted(Path(directory).glob("*.bpmn")):
        try:
            results.append(deploy_bpmn(actor, None, path.read_bytes()))
        except InvalidInput as err:
            for p in err.details or [{"element_id": None, "message": err.message}]:
                problems.append({"file": path.name, **p})
    if problems:
        raise InvalidInput(
            "流程部署失败：" + "；".join(f"{p['file']}: {p['message']}" for p in problems[:5]),
            details=problems,
        )
    return results


__all__ = [
    "DeployResult",
    "Problem",
    "deploy_bpmn",
    "deploy_definitions",
    "latest_definition",
    "specs_for",
    "validate_bpmn",
]
