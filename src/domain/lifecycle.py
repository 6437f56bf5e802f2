"""The status machines of a campaign and of an orchestration run (API.md, "Rules")."""

from __future__ import annotations

from collections.abc import Mapping

from domain.errors import InvalidRunTransition, InvalidStatusTransition
from domain.values import CampaignStatus, RunStatus

_C = CampaignStatus
CAMPAIGN_TRANSITIONS: Mapping[CampaignStatus, frozenset[CampaignStatus]] = {
    _C.DRAFT: frozenset({_C.GENERATING, _C.CANCELLED}),
    _C.GENERATING: frozenset({_C.GENERATED, _C.CANCELLED}),
    _C.GENERATED: frozenset({_C.AUDITING, _C.GENERATING, _C.CANCELLED}),
    _C.AUDITING: frozenset({_C.COMPLETED, _C.GENERATING, _C.CANCELLED}),
    _C.COMPLETED: frozenset({_C.GENERATING, _C.CANCELLED}),
    _C.CANCELLED: frozenset(),
}
"""Which status may follow which; ``Cancelled`` is final."""

_R = RunStatus
RUN_TRANSITIONS: Mapping[RunStatus, frozenset[RunStatus]] = {
    _R.QUEUED: frozenset({_R.RUNNING, _R.CANCELLED}),
    _R.RUNNING: frozenset({_R.COMPLETED, _R.FAILED, _R.CANCELLED}),
    _R.COMPLETED: frozenset(),
    _R.FAILED: frozenset(),
    _R.CANCELLED: frozenset(),
}
"""Queued -> Running -> Completed | Failed | Cancelled; Queued may be cancelled too."""


def check_campaign_transition(current: str, target: CampaignStatus) -> None:
    """Refuse a campaign status change the machine does not allow (409)."""
    if target not in CAMPAIGN_TRANSITIONS[CampaignStatus(current)]:
        raise InvalidStatusTransition(f"a {current} campaign cannot become {target.value}")


def check_run_transition(run_id: str, current: str, target: RunStatus) -> None:
    """Refuse a run status change the machine does not allow (409)."""
    if target not in RUN_TRANSITIONS[RunStatus(current)]:
        raise InvalidRunTransition(f"run {run_id} is {current}; it cannot become {target.value}")
