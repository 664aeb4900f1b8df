"""Resetting a workflow's tokens without leaving waiting events behind.

SpiffWorkflow's ``reset_from_task_id`` (and ``reset_branch`` under ``migrate_workflow``) drop
the descendants of the task they reset from the task tree, but not from the workflow's event
manager: a boundary timer or message subscription of the dropped step stays registered.  The
next ``refresh_timers`` (every ``do_engine_steps`` calls it) updates that orphan, whose parent
is gone: "'NoneType' object has no attribute 'data'", and the instance is in error.  An orphaned
message subscription would swallow a message meant for the reopened flow.

Every reset the engine does goes through here: :func:`reset_to` for 撤回, and
:func:`drop_stale_events` after any other operation that removes tasks (a version migration).
The saved state is unaffected either way (it is serialized from the tree, and loading rebuilds
the event manager from the waiting tasks); what goes wrong is the run that reset.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID


def reset_to(wf: Any, task_id: UUID) -> list[Any]:
    """Reset ``wf`` to the (completed) task ``task_id``, which becomes ready again; the waiting
    events of the removed tasks are dropped, those of the tasks that remain are kept."""
    removed = wf.reset_from_task_id(task_id)
    drop_stale_events(wf)
    return removed


def drop_stale_events(wf: Any) -> int:
    """Unregister every waiting event (timer, message, signal) whose task is no longer in the
    tree of ``wf`` or of one of its live subprocesses; returns how many were dropped."""
    manager = wf.event_manager
    stale = [task_id for task_id, task in manager.tasks.items() if not _in_tree(wf, task)]
    for task_id in stale:
        del manager.tasks[task_id]
    return len(stale)


def _in_tree(wf: Any, task: Any) -> bool:
    workflow = task.workflow
    if workflow is not wf and wf.subprocesses.get(workflow.parent_task_id) is not workflow:
        return False  # its subprocess was deleted
    return workflow.tasks.get(task.id) is task


__all__ = ["drop_stale_events", "reset_to"]
