"""A periodic document's state, read from its process instance's business status code.

The BPMN's ``status`` property carries a code (webapp.core.states); each feature maps the codes
onto its own state enum and says which of its states may still be edited.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

S = TypeVar("S")


def instance_status(instance_id: int | None) -> str | None:
    """The business status code of the instance (None: no instance, or no status set yet)."""
    if instance_id is None:
        return None
    from webapp.engine import instance_business_status

    return instance_business_status(instance_id)


@dataclass(frozen=True)
class StateModel(Generic[S]):
    """One feature's states: status code → state, the state before any status, the editable ones."""

    #: The BPMN business status code → the feature's state.
    by_status: Mapping[str, S]
    #: The state of an instance whose status is unset or unmapped.
    default: S
    #: The states in which the unit may still change the document.
    editable: Collection[S]

    def of_status(self, status: str | None) -> S:
        return self.by_status.get(status or "", self.default)

    def of_instance(self, instance_id: int | None) -> S:
        return self.of_status(instance_status(instance_id))

    def is_editable(self, state: S) -> bool:
        return state in self.editable
