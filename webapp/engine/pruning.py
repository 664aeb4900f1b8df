"""Keep the serialized state of an instance from growing with return-for-correction loops.

SpiffWorkflow keeps every task it ever ran: a loop back to 填报 adds the loop's tasks below
the previous ones, so the tree (and the JSON restored and serialized at every step) grows by one
iteration per return, and every walk of the tree with it (issue 19, goal 2).  Before a state is
serialized, :func:`prune` cuts the earlier iterations out of the chain of completed tasks that
leads to the last completed task:

    Start → start → 填报₁ → 审核₁ → gw₁ → 填报₂ → 审核₂ → gw₂ → 填报₃ (ready)
    Start → start → 填报₂ → 审核₂ → gw₂ → 填报₃ (ready)

A cut removes ``spine[i:j]`` and hangs ``spine[j]`` where ``spine[i]`` was; both run the same
task spec, so the tree that is left is one the process could have taken (start → 填报 is a real
flow), and every task left keeps its own data.  What makes it safe (each checked):

- only COMPLETED tasks on the path to ``last_task`` are cut, with side branches (cancelled
  boundary events, the other branches of a finished parallel or multi-instance) that are
  finished throughout; nothing waiting, ready or predicted is touched, so timers, messages and
  open multi-instances are as before;
- ``spine[j]`` lies strictly before the last completed *user* task on that path: the one task
  whose parent changes can never be the target of a withdrawal (撤回 resets only the latest
  completed user task, and copies its data from the parent), and the last completed user task,
  its parent and everything after them stay as they were;
- sub-processes of removed tasks go with them; the removed elements are remembered (the
  instance diagram still marks them completed).

What is not in the tree was never the record: history (``workflow_event``), the audit chain,
task rows, return counts and the business data (the live tasks' data) live in our tables or in
the tasks kept.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.util.task import TaskState

#: attribute of a restored/pruned top workflow: BPMN ids of the completed tasks cut out so far
PRUNED_ATTR = "hqr_pruned_elements"


def pruned_elements(workflow: Any) -> set[str]:
    """BPMN element ids of completed tasks that pruning removed from the workflow's tree."""
    return getattr(workflow, PRUNED_ATTR, None) or set()


def prune(top: Any) -> int:
    """Cut earlier loop iterations out of the top workflow and its sub-processes; returns the
    number of tasks removed (0: nothing to cut)."""
    removed = 0
    for workflow in [top, *top.subprocesses.values()]:
        if workflow is not top and workflow.parent_task_id not in top.subprocesses:
            continue  # its owner went with an earlier cut of this pass
        removed += _prune_workflow(top, workflow)
    return removed


def _spine(workflow: Any) -> list[Any]:
    """The completed tasks from the root down to ``last_task`` (empty: nothing to cut)."""
    last = workflow.last_task
    if last is None or last.workflow is not workflow or last.state != TaskState.COMPLETED:
        return []
    path = []
    task = last
    while task is not None:
        if task.state != TaskState.COMPLETED:
            return []
        path.append(task)
        task = task.parent
    path.reverse()
    return path


def _sub_finished(task: Any, top: Any) -> bool:
    """The task's own sub-process (a call activity or embedded sub-process), if any, ended."""
    sub = top.subprocesses.get(task.id)
    return sub is None or bool(sub.completed)


def _subtree_finished(task: Any, top: Any) -> bool:
    """Is every task under ``task`` (itself included), and every sub-process of them,
    finished?"""
    stack = [task]
    while stack:
        current = stack.pop()
        if not current.has_state(TaskState.FINISHED_MASK) or not _sub_finished(current, top):
            return False
        stack.extend(current.children)
    return True


def _prune_workflow(top: Any, workflow: Any) -> int:
    removed = 0
    while True:
        cut = _find_cut(top, _spine(workflow))
        if cut is None:
            return removed
        removed += _cut(top, workflow, *cut)


def _find_cut(top: Any, spine: list[Any]) -> tuple[list[Any], Any] | None:
    """The longest removable segment ``spine[i:j]`` (same spec at i and j), or None."""
    users = [n for n, t in enumerate(spine) if isinstance(t.task_spec, UserTask)]
    if not users:
        return None
    limit = users[-1]  # spine[j] strictly before the last completed user task
    # side branches of each spine task finished throughout (or the task cannot be removed)
    removable = [
        _sub_finished(t, top) and all(c is nxt or _subtree_finished(c, top) for c in t.children)
        for t, nxt in zip(spine, [*spine[1:], None], strict=True)
    ]
    blocked = [0]  # blocked[k]: how many of spine[:k] cannot be removed
    for ok in removable:
        blocked.append(blocked[-1] + (not ok))
    seen: dict[Any, list[int]] = {}
    best: tuple[int, int] | None = None
    for j in range(1, limit):
        earlier = seen.setdefault(spine[j].task_spec, [])
        # the earliest i of the same spec whose segment spine[i:j] is removable throughout
        i = next((i for i in earlier if blocked[j] == blocked[i]), None)
        earlier.append(j)
        if i is not None and (best is None or j - i > best[1] - best[0]):
            best = (i, j)
    if best is None:
        return None
    i, j = best
    return spine[i:j], spine[j]


def _cut(top: Any, workflow: Any, segment: list[Any], keep: Any) -> int:
    """Remove ``segment`` (a chain, with its finished side branches) and hang ``keep`` (the
    task after it) where the segment's first task was."""
    first = segment[0]
    parent = first.parent
    gone: list[Any] = []
    stack = list(segment)
    on_chain = {t.id for t in segment}
    while stack:
        task = stack.pop()
        gone.append(task)
        stack.extend(c for c in task.children if c.id not in on_chain and c is not keep)
    elements = getattr(top, PRUNED_ATTR, None)
    if elements is None:
        elements = set()
        setattr(top, PRUNED_ATTR, elements)
    inner: list[Any] = []  # the tasks of the removed tasks' (finished) sub-processes
    for task in gone:
        if isinstance(task.task_spec, SubWorkflowTask) and task.id in top.subprocesses:
            inner.extend(top.delete_subprocess(task))
    for task in [*gone, *inner]:
        if task.state == TaskState.COMPLETED and task.task_spec.bpmn_id:
            elements.add(task.task_spec.bpmn_id)
    for task in gone:
        top.event_manager.remove_task(task)  # finished, so not waiting: for certainty
        workflow.tasks.pop(task.id, None)
    parent._children[parent._children.index(first.id)] = keep.id
    keep._parent = parent.id
    return len(gone)
