"""Where a publication stands: its state from the engine's business status code and its dates."""

from __future__ import annotations

from webapp.core.models import Org
from webapp.periodic.state import StateModel
from webapp.publication.models import STATUS_TO_STATE, Publication, PublicationState

#: Codes → states before publication (published/withdrawn come from the publication's own
#: dates); the clerk may change the draft while drafting or returned.
STATES = StateModel(
    by_status=STATUS_TO_STATE,
    default=PublicationState.DRAFTING,
    editable=(PublicationState.DRAFTING, PublicationState.RETURNED),
)


def publication_state(pub: Publication) -> PublicationState:
    if pub.withdrawn_at is not None:
        return PublicationState.WITHDRAWN
    if pub.published_at is not None:
        if pub.withdrawal_requested_at is not None:
            return PublicationState.WITHDRAWAL_REQUESTED
        return PublicationState.PUBLISHED
    return STATES.of_instance(pub.instance_id)


def editable(pub: Publication) -> bool:
    return STATES.is_editable(publication_state(pub))


def is_root(org: Org) -> bool:
    return org.parent_id is None
