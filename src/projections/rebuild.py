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
4. **contract** - after ``grace_seconds`` (readers cache the state briefly) generation N's
   documents are deleted, and with them any generation left by an interrupted rebuild.

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
from typing import Any

from documentstore.port import EVENTS, DocumentStore
from domain.errors import CampaignNotFound, OperationFailed
from projections.dead_letters import DeadLetterBox
from projections.events import campaign_of, is_event_document
from projections.generations import ProjectionStateStore
from projections.projectors import ViewKey, snapshot_key
from projections.projectors.documents import tenant_partition
from projections.repair import CampaignRepair
from projections.runner import ProjectionRunner
from projections.stored_views import (
    Difference,
    StoredView,
    compare,
    delete_documents,
    generation_ids,
    read_campaign_views,
)

REPLAY_PAGE_ITEMS = 1_000
"""Change-feed documents per page of a replay: a campaign's events mostly arrive in one page,
so its documents are read and written once rather than once per 100 events; memory stays
bounded by the page, whatever the log's length."""

DELETES_PER_COMMIT = 1_000
"""Documents of a retired generation deleted per ``execute_batches`` call (the SQLite store
commits them together): the cleanup commits once per that many, not once per partition."""

DEFAULT_GRACE_SECONDS = 3.0
"""Longer than the read model's cache of the live generation."""


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


def _ignore(_: RebuildProgress) -> None:
    """The default progress callback."""


class _Replay:
    """Drains the change feed of ``events`` into one generation, remembering its position."""

    def __init__(self, store: DocumentStore, runner: ProjectionRunner, generation: int) -> None:
        self._store = store
        self._runner = runner
        self._generation = generation
        self._positions: dict[str, str | None] = {}
        self.campaigns: dict[str, str] = {}
        self.events = 0
        self.dead_letters = 0

    def drain(self, phase: str, progress: ProgressCallback) -> None:
        """Project the feed page by page, each page's trailing campaign held back for the next
        page (``_held_back``), so that a campaign cut by a page boundary is written once."""
        for feed_range in self._store.feed_ranges(EVENTS):
            position = self._positions.get(feed_range)
            carried: list[dict[str, Any]] = []
            while True:
                page = self._store.read_feed(
                    EVENTS, feed_range, position, max_items=REPLAY_PAGE_ITEMS
                )
                position = page.continuation
                for document in page.items:
                    if is_event_document(document):
                        self._remember(document)
                documents, carried = (
                    _held_back([*carried, *page.items]) if page.items else (carried, [])
                )
                if documents:
                    outcome = self._runner.project(documents, generation=self._generation)
                    self.events += outcome.events
                    self.dead_letters += outcome.dead_lettered
                    progress(
                        RebuildProgress(
                            phase, self.events, None, f"{len(self.campaigns)} campaigns"
                        )
                    )
                if not page.items:
                    break
            self._positions[feed_range] = position

    def _remember(self, document: dict[str, object]) -> None:
        campaign = campaign_of(document)
        data = document.get("data")
        metadata = document.get("metadata")
        tenant = None
        if document.get("type") == "CampaignCreated" and isinstance(data, dict):
            tenant = data.get("tenantId")
        if tenant is None and isinstance(metadata, dict):
            tenant = metadata.get("tenantId")
        if campaign not in self.campaigns or document.get("type") == "CampaignCreated":
            self.campaigns[campaign] = str(tenant or "default")


def _held_back(
    documents: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(to project now, to carry to the next page)``: the event documents of the campaign
    the page ends with are carried (its next events are likely on the next page), unless they
    are a page's worth already (memory stays bounded by two pages)."""
    last = next((d for d in reversed(documents) if is_event_document(d)), None)
    if last is None:
        return documents, []
    campaign = campaign_of(last)
    carried = [d for d in documents if is_event_document(d) and campaign_of(d) == campaign]
    if len(carried) >= REPLAY_PAGE_ITEMS:
        return documents, []
    kept = [d for d in documents if not (is_event_document(d) and campaign_of(d) == campaign)]
    return kept, carried


def rebuild_views(
    store: DocumentStore,
    *,
    progress: ProgressCallback = _ignore,
    accept_differences: bool = False,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> RebuildReport:
    """Replay the whole log into a new generation, verify it, switch reads to it, remove the
    old one (see the module docstring)."""
    states = ProjectionStateStore(store)
    state = states.read()
    generation = state.next_generation()
    abandoned = (state.building,) if state.building is not None else ()
    state = states.save(
        state.with_changes(building=generation, retired=(*state.retired, *abandoned))
    )
    report = RebuildReport(generation=generation, previous_generation=state.live)
    runner = ProjectionRunner(store)
    replay = _Replay(store, runner, generation)
    replay.drain("replay", progress)

    _verify(
        store,
        live=state.live,
        generation=generation,
        campaigns=replay.campaigns,
        report=report,
        progress=progress,
    )
    report.events, report.campaigns = replay.events, len(replay.campaigns)
    if report.differences and not accept_differences:
        report.removed_documents = _remove(store, [generation], replay.campaigns, progress)
        current = states.read()
        if current.building == generation:
            states.save(current.with_changes(building=None))
        report.dead_letters = replay.dead_letters
        return report

    current = states.read()
    if current.building != generation:
        raise OperationFailed(
            f"another rebuild took over (building {current.building}, not {generation})",
            code="rebuild-superseded",
        )
    states.save(
        current.with_changes(
            live=generation, building=None, retired=(*current.retired, current.live)
        )
    )
    report.switched = True
    progress(RebuildProgress("switch", 1, 1, f"reads use generation {generation}"))
    replay.drain("catch-up", progress)
    report.events, report.campaigns = replay.events, len(replay.campaigns)
    report.dead_letters = replay.dead_letters
    _forget_dead_letters_of_other_generations(store, generation)

    sleep(grace_seconds)
    current = states.read()
    retired = [old for old in current.retired if old != current.live]
    report.removed_documents = _remove(store, retired, replay.campaigns, progress)
    latest = states.read()
    states.save(latest.with_changes(retired=tuple(g for g in latest.retired if g not in retired)))
    return report


def _verify(
    store: DocumentStore,
    *,
    live: int,
    generation: int,
    campaigns: dict[str, str],
    report: RebuildReport,
    progress: ProgressCallback,
) -> None:
    for done, campaign_id in enumerate(sorted(campaigns), start=1):
        old = read_campaign_views(store, live, campaign_id)
        new = read_campaign_views(store, generation, campaign_id)
        if _watermark(old, campaign_id) != _watermark(new, campaign_id):
            report.written_meanwhile.append(campaign_id)
        else:
            report.verified += 1
            report.differences += compare(
                campaign_id,
                {key: view.document for key, view in new.items()},
                {key: view.document for key, view in old.items()},
            )
        progress(RebuildProgress("verify", done, len(campaigns), campaign_id))


def _watermark(views: Mapping[ViewKey, StoredView], campaign_id: str) -> int:
    snapshot = views.get(snapshot_key(campaign_id))
    return int(snapshot.document["appliedVersion"]) if snapshot is not None else 0


def _remove(
    store: DocumentStore,
    generations: Iterable[int],
    campaigns: dict[str, str],
    progress: ProgressCallback,
) -> int:
    generations = list(generations)
    if not generations:
        return 0
    removed = 0
    partitions = sorted(campaigns) + sorted({tenant_partition(t) for t in campaigns.values()})
    pending: list[tuple[str, list[str]]] = []
    waiting: list[tuple[int, str]] = []
    for done, partition in enumerate(partitions, start=1):
        for generation in generations:
            ids = generation_ids(store, partition, generation)
            if ids:
                pending.append((partition, ids))
        waiting.append((done, partition))
        if done == len(partitions) or sum(len(ids) for _, ids in pending) >= DELETES_PER_COMMIT:
            removed += delete_documents(store, pending)
            for finished, name in waiting:
                progress(RebuildProgress("cleanup", finished, len(partitions), name))
            pending, waiting = [], []
    if removed:
        store.reclaim_space()  # an embedded file would otherwise keep their room for ever
    return removed


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
    if _watermark(stored, campaign_id) != preview.watermark:
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
