"""Where a publication stands: its state from the engine's business status code and its dates."""

from __future__ import annotations

from webapp.core.models import Org
from webapp.publication.models import STATUS_TO_STATE, Publication, PublicationState


def publication_state(pub: Publication) -> PublicationState:
    if pub.withdrawn_at is not None:
        return PublicationState.WITHDRAWN
    if pub.published_at is not None:
        if pub.withdrawal_requested_at is not None:
            return PublicationState.WITHDRAWAL_REQUESTED
        return PublicationState.PUBLISHED
    status = None
    if pub.instance_id is not None:
        from webapp.engine import instance_business_status

        status = instance_business_status(pub.instance_id)
    return STATUS_TO_STATE.get(status or "", PublicationState.DRAFTING)


def editable(pub: Publication) -> bool:
    return publication_state(pub) in (PublicationState.DRAFTING, PublicationState.RETURNED)


def is_root(org: Org) -> bool:
    return org.parent_id is None
