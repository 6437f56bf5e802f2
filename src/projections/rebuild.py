"""Rebuilding the views from the log, what ``campaigns rebuild [--campaign CID]`` calls.

A full rebuild is expand-and-contract over projection generations (``projections.generations``):

1. **expand** - a new generation N+1 is recorded as ``building`` in the projection state; the
   log is replayed into it from the beginning of the change feed of ``events`` (the live views
   go on being served and updated from generation N meanwhile);
2. **verify** - for every campaign not written to meanwhile (same watermark in both), every
   document of N+1 must equal N's byte for byte; differences stop the rebuild (the new
   generation is removed) unless ``accept_differences`` (a projector fix is meant to change
   documents);
3. **switch** - the state's ``live`` becomes N+1; the feed is drained once more into N+1 (events
   the old generation received before the switch), and the incremental runner, which reads the
   state per batch, fills any remaining gap from the log;
4. **contract** - generation N, and any generation left by an interrupted rebuild, is
   recorded as units of work to remove (``projections.retirement``), which the change-feed
   processor, ``campaigns rebuild`` after its report or ``campaigns cleanup`` delete once the
   grace has passed (readers cache the state briefly); the rebuild ends when the new views are
   live. (Their room stays in an embedded file for the next rebuild.)

Readers never see a half-built generation: they read the live one until the switch.

``rebuild_campaign`` handles one campaign (a partition query of its log): it projects the
campaign aside in memory, compares it with the live documents, and then makes the live
generation hold exactly that, the snapshot written last. ``replay_dead_letters`` does the same
for the campaigns of dead letters and forgets the letters whose events now project.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from documentstore.port import VIEWS, DocumentStore
from domain.errors import CampaignNotFound, OperationFailed
from projections.dead_letters import DeadLetterBox
from projections.generations import ProjectionState, ProjectionStateStore
from projections.projectors.documents import tenant_partition
from projections.repair import CampaignRepair
from projections.replay import FeedReplay
from projections.replay_workers import StoreOpener
from projections.retirement import record_retirement
from projections.stored_views import Difference, generation_id_range, read_campaign_views
from projections.verification import CampaignCheck, check_campaign, watermark

PARTITIONS_PER_DELETE = 1_000
"""Partitions whose documents of a refused generation one ``delete_id_range`` call removes:
the removal reports progress, and commits, once per that many."""


@dataclass(frozen=True)
class RebuildProgress:
    """One step of a rebuild, for a progress bar: ``total`` is None while unknown."""

    phase: str  # "replay", "verify", "switch", "catch-up", "cleanup"
    done: int
    total: int | None
    detail: str = ""


ProgressCallback = Callable[[RebuildProgress], None]


@dataclass
class RebuildReport:
    """What a rebuild did; ``switched`` says whether reads now use ``generation``."""

    generation: int
    previous_generation: int
    events: int = 0
    campaigns: int = 0
    verified: int = 0
    written_meanwhile: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    dead_letters: int = 0
    switched: bool = False
    removed_documents: int = 0
    retiring_units: int = 0
    """Units of retired generations left to remove (``projections.retirement``)."""
    workers_cpu_seconds: float = 0.0
    """CPU the replay's worker processes used together (0 without workers)."""
    workers_peak_kib: int = 0
    """The largest peak resident memory of a replay worker (0 without workers)."""


def _ignore(_: RebuildProgress) -> None:
    """The default progress callback."""


def rebuild_views(
    store: DocumentStore,
    *,
    progress: ProgressCallback = _ignore,
    accept_differences: bool = False,
    workers: int = 1,
    open_store: StoreOpener | None = None,
    clock: Callable[[], float] = time.time,
) -> RebuildReport:
    """Replay the whole log into a new generation, verify it, switch reads to it, record the
    old one for removal (see the module docstring). With ``workers`` > 1 and ``open_store``,
    the replay projects campaigns side by side in that many processes
    (``projections.replay``)."""
    states = ProjectionStateStore(store)
    state = states.update(_started)
    assert state.building is not None
    generation = state.building
    report = RebuildReport(generation=generation, previous_generation=state.live)
    replay = FeedReplay(store, generation)
    replay.expand(
        _noting("replay", progress), workers=workers, open_store=open_store, live=state.live
    )

    _verify(
        store,
        live=state.live,
        generation=generation,
        campaigns=replay.campaigns,
        checked=replay.checks,
        report=report,
        progress=progress,
    )
    report.events, report.campaigns = replay.events, len(replay.campaigns)
    report.workers_cpu_seconds = sum(usage.cpu_seconds for usage in replay.workers)
    report.workers_peak_kib = max((usage.peak_kib for usage in replay.workers), default=0)
    if report.differences and not accept_differences:
        report.removed_documents = _remove_refused(store, generation, replay.campaigns, progress)
        states.update(
            lambda current: (
                current.with_changes(building=None) if current.building == generation else current
            )
        )
        report.dead_letters = replay.dead_letters
        return report

    def switched(current: ProjectionState) -> ProjectionState:
        if current.building != generation:
            raise OperationFailed(
                f"another rebuild took over (building {current.building}, not {generation})",
                code="rebuild-superseded",
            )
        return current.with_changes(
            live=generation, building=None, retired=(*current.retired, current.live)
        )

    states.update(switched)
    report.switched = True
    progress(RebuildProgress("switch", 1, 1, f"reads use generation {generation}"))
    replay.drain(_noting("catch-up", progress))
    report.events, report.campaigns = replay.events, len(replay.campaigns)
    report.dead_letters = replay.dead_letters
    _forget_dead_letters_of_other_generations(store, generation)

    recorded = record_retirement(store, states, _partitions_of(replay.campaigns), now=clock())
    report.retiring_units = len(recorded.retiring)
    return report


def _started(state: ProjectionState) -> ProjectionState:
    """A new generation recorded as ``building``; one an interrupted or overtaken rebuild was
    building is retired."""
    abandoned = (state.building,) if state.building is not None else ()
    return state.with_changes(
        building=state.next_generation(), retired=(*state.retired, *abandoned)
    )


def _noting(phase: str, progress: ProgressCallback) -> Callable[[int, int], None]:
    def note(events: int, campaigns: int) -> None:
        progress(RebuildProgress(phase, events, None, f"{campaigns} campaigns"))

    return note


def _verify(
    store: DocumentStore,
    *,
    live: int,
    generation: int,
    campaigns: dict[str, str],
    checked: Mapping[str, CampaignCheck],
    report: RebuildReport,
    progress: ProgressCallback,
) -> None:
    """Each campaign checked against the live generation (``projections.verification``), in
    the order of their ids: by the replay's workers already (``checked``), else here."""
    for done, campaign_id in enumerate(sorted(campaigns), start=1):
        check = checked.get(campaign_id)
        if check is None:
            check = check_campaign(store, campaign_id, live=live, generation=generation)
        if check.written_meanwhile:
            report.written_meanwhile.append(campaign_id)
        else:
            report.verified += 1
            report.differences += check.differences
        progress(RebuildProgress("verify", done, len(campaigns), campaign_id))


def _remove_refused(
    store: DocumentStore, generation: int, campaigns: dict[str, str], progress: ProgressCallback
) -> int:
    """Delete the documents of a generation the verify refused in every partition the
    campaigns use, a range of ids per partition (``DocumentStore.delete_id_range``): nobody
    ever read it, so it goes at once."""
    removed = 0
    partitions = _partitions_of(campaigns)
    progress(RebuildProgress("cleanup", 0, len(partitions)))
    for start in range(0, len(partitions), PARTITIONS_PER_DELETE):
        chunk = partitions[start : start + PARTITIONS_PER_DELETE]
        removed += store.delete_id_range(VIEWS, chunk, *generation_id_range(generation))
        progress(RebuildProgress("cleanup", start + len(chunk), len(partitions), chunk[-1]))
    return removed


def _partitions_of(campaigns: dict[str, str]) -> list[str]:
    """The partitions of ``views`` the campaigns use: theirs, then their tenants'."""
    return sorted(campaigns) + sorted({tenant_partition(t) for t in campaigns.values()})


def _forget_dead_letters_of_other_generations(store: DocumentStore, generation: int) -> None:
    """After a switch, letters recorded by older builds are stale: the new build recorded
    again (with its own generation) every event that still fails."""
    box = DeadLetterBox(store)
    box.remove(letter.id for letter in box.list() if letter.generation != generation)


def rebuild_campaign(
    store: DocumentStore,
    campaign_id: str,
    *,
    progress: ProgressCallback = _ignore,
    accept_differences: bool = False,
) -> RebuildReport:
    """Project one campaign from its log aside, verify it against the live documents, then
    write it over them (snapshot last). Refused differences leave the live views untouched."""
    repair = CampaignRepair(store)
    live = ProjectionStateStore(store).read().live
    report = RebuildReport(generation=live, previous_generation=live, campaigns=1)
    preview = repair.reproject(live, campaign_id, write=False)
    progress(RebuildProgress("replay", preview.events, preview.events, campaign_id))
    if preview.events == 0:
        raise CampaignNotFound(f"campaign {campaign_id} has no events")
    report.events = preview.events
    stored = read_campaign_views(store, live, campaign_id)
    if watermark(stored, campaign_id) != preview.watermark:
        report.written_meanwhile.append(campaign_id)
    else:
        report.verified = 1
        report.differences = preview.differences
    progress(RebuildProgress("verify", 1, 1, campaign_id))
    if report.differences and not accept_differences:
        return report
    written = repair.reproject(live, campaign_id, write=True)
    report.dead_letters = len(written.failures)
    report.switched = True
    progress(RebuildProgress("switch", 1, 1, campaign_id))
    return report


@dataclass
class ReplayReport:
    """Dead letters replayed: which now project, which still fail."""

    campaigns: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    still_failing: list[str] = field(default_factory=list)


def replay_dead_letters(
    store: DocumentStore,
    letter_ids: Iterable[str] | None = None,
    *,
    campaign_id: str | None = None,
    progress: ProgressCallback = _ignore,
) -> ReplayReport:
    """Re-project the campaigns of the given dead letters (default: all; with ``campaign_id``,
    that campaign's only) from their logs (``campaigns replay-dead-letters``)."""
    box = DeadLetterBox(store)
    wanted = None if letter_ids is None else set(letter_ids)
    letters = [
        letter
        for letter in box.list()
        if (wanted is None or letter.id in wanted)
        and (campaign_id is None or letter.campaign_id == campaign_id)
    ]
    repair = CampaignRepair(store, dead_letters=box)
    live = ProjectionStateStore(store).read().live
    report = ReplayReport()
    campaigns = sorted({letter.campaign_id for letter in letters})
    for done, campaign in enumerate(campaigns, start=1):
        result = repair.reproject(live, campaign, write=True)
        failing = {failure.event.version for failure in result.failures}
        for letter in letters:
            if letter.campaign_id != campaign:
                continue
            if letter.version is not None and letter.version not in failing:
                report.resolved.append(letter.id)
            else:
                report.still_failing.append(letter.id)
        report.campaigns.append(campaign)
        progress(RebuildProgress("replay", done, len(campaigns), campaign))
    box.remove(report.resolved)
    return report
