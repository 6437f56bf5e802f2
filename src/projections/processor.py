"""The local change-feed processor: the runner's second host, a pull loop over the port's
``read_feed`` of ``events``. It serves the embedded default (the HTTP service runs it in a
background thread) and the operator's ``campaigns follow``.

Each feed range has a checkpoint in ``leases`` (``checkpoint.<processor>.<range hash>``); the
checkpoint moves only after the runner has written a page's views, so a crash replays at most
that page (harmless: watermarks). ``stop`` finishes the page in hand, saves the checkpoints and
returns. Transient store faults wait for the store's ``retry_after``; any other error is logged
and retried with exponential backoff, never skipped: nothing is dropped silently.

Under load the loop may keep a ``pace``: after a round that projected something it lets that
many seconds pass before the next one (``wake`` does not cut this short; ``stop`` does), so the
events of many commands are projected, and each campaign's views written, once per round
rather than once per command, and the request threads get the store and the interpreter in
between. An idle processor still answers ``wake`` at once.

When idle, the loop also removes what rebuilds retired (``projections.retirement``): one unit
at a time, each holding the store's write lock for one unit's delete, with a look at the
projection state at most every ``retirement_check_seconds`` while nothing is due.

``publisher`` (default: none) receives each campaign's notifications once the runner has written
its views (the embedded service passes its in-process hub, which feeds the SSE route); it is
given to the runner the processor builds (a runner passed in brings its own).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from documentstore.port import EVENTS, LEASES, DocumentStore, Upsert
from domain.errors import StoreThrottled, StoreUnavailable
from projections.notifications import NotificationPublisher
from projections.retirement import DEFAULT_GRACE_SECONDS, remove_retired
from projections.runner import ProjectionOutcome, ProjectionRunner

logger = logging.getLogger(__name__)

DEFAULT_PROCESSOR = "views"
_RANGE_REFRESH_SECONDS = 30.0
_MAX_BACKOFF_SECONDS = 5.0
RETIREMENT_CHECK_SECONDS = 2.0


def checkpoint_id(processor: str, feed_range: str) -> str:
    """Feed-range names are opaque (they may hold any character): the id carries a hash."""
    digest = hashlib.sha256(feed_range.encode("utf-8")).hexdigest()[:20]
    return f"checkpoint.{processor}.{digest}"


@dataclass(frozen=True)
class Checkpoint:
    feed_range: str
    continuation: str | None
    updated_at: str | None


class Checkpoints:
    """The processor's positions in the feed of ``events``, one document per range."""

    def __init__(
        self,
        store: DocumentStore,
        processor: str = DEFAULT_PROCESSOR,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._processor = processor
        self._clock = clock

    def load(self, feed_range: str) -> Checkpoint:
        doc_id = checkpoint_id(self._processor, feed_range)
        document = self._store.read(LEASES, doc_id, doc_id)
        if document is None:
            return Checkpoint(feed_range, None, None)
        return Checkpoint(feed_range, document.get("continuation"), document.get("updatedAt"))

    def save(self, feed_range: str, continuation: str) -> None:
        doc_id = checkpoint_id(self._processor, feed_range)
        document = {
            "id": doc_id,
            "docType": "checkpoint",
            "processor": self._processor,
            "feedRange": feed_range,
            "continuation": continuation,
            "updatedAt": datetime.fromtimestamp(self._clock(), UTC).isoformat(),
        }
        self._store.execute_batch(LEASES, doc_id, [Upsert(document)])


class ChangeFeedProcessor:
    """Follows the change feed of ``events`` and feeds the runner (see the module docstring)."""

    def __init__(
        self,
        store: DocumentStore,
        runner: ProjectionRunner | None = None,
        *,
        name: str = DEFAULT_PROCESSOR,
        poll_interval: float = 0.05,
        max_items: int = 100,
        monotonic: Callable[[], float] = time.monotonic,
        publisher: NotificationPublisher | None = None,
        pace: float = 0.0,
        retirement_check_seconds: float | None = RETIREMENT_CHECK_SECONDS,
        retirement_grace_seconds: float = DEFAULT_GRACE_SECONDS,
    ) -> None:
        self._store = store
        self._pace = pace
        self._retirement_check_seconds = retirement_check_seconds
        self._retirement_grace_seconds = retirement_grace_seconds
        self._next_retirement_check = float("-inf")
        self._runner = runner or ProjectionRunner(store, publisher=publisher)
        self._checkpoints = Checkpoints(store, name)
        self._poll_interval = poll_interval
        self._max_items = max_items
        self._monotonic = monotonic
        self._positions: dict[str, str | None] = {}
        self._saved: dict[str, str | None] = {}
        self._ranges: list[str] = []
        self._ranges_read_at = float("-inf")
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one step ------------------------------------------------------------------------

    def run_once(self) -> ProjectionOutcome:
        """Read one page of every feed range and project it; checkpoints follow."""
        outcome, _ = self._round()
        return outcome

    def _round(self) -> tuple[ProjectionOutcome, int]:
        outcome = ProjectionOutcome()
        seen = 0
        for feed_range in self._feed_ranges():
            position = self._position(feed_range)
            page = self._store.read_feed(EVENTS, feed_range, position, max_items=self._max_items)
            if page.items:
                outcome.add(self._runner.project(page.items))
            self._positions[feed_range] = page.continuation
            if page.items:
                seen += len(page.items)
                self._save(feed_range)
        return outcome, seen

    def run_until_caught_up(self) -> ProjectionOutcome:
        """Project until a round finds nothing new (what ``follow --once`` and tests use)."""
        total = ProjectionOutcome()
        while True:
            outcome, seen = self._round()
            total.add(outcome)
            if not seen:
                self.flush()
                return total

    def flush(self) -> None:
        """Save every position that moved since it was last saved."""
        for feed_range in list(self._positions):
            if self._positions[feed_range] != self._saved.get(feed_range):
                self._save(feed_range)

    # --- the loop ------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None) -> None:
        """Follow the feed in this thread until ``stop`` (or ``self.stop()``) is set."""
        stop_signal = stop or self._stopping
        backoff = self._poll_interval
        while not stop_signal.is_set() and not self._stopping.is_set():
            try:
                _, seen = self._round()
            except (StoreThrottled, StoreUnavailable) as busy:
                logger.warning("store busy (%s); waiting %.1fs", busy, busy.retry_after)
                self._pause(busy.retry_after)
                continue
            except Exception:
                logger.exception("projection failed; retrying in %.2fs", backoff)
                self._pause(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_SECONDS)
                continue
            backoff = self._poll_interval
            if not seen and not self._removed_a_retired_unit():
                self._pause(self._poll_interval)
            elif self._pace:
                self._stopping.wait(self._pace)
        self.flush()

    def start(self) -> None:
        """Run the loop in a daemon thread (the embedded service's background processor)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self.run, name="change-feed-processor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the page in hand, save the checkpoints, return."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        else:
            self.flush()

    def wake(self) -> None:
        """Poll now instead of after the poll interval (after a command, for fresh reads)."""
        self._wake.set()

    # --- helpers -------------------------------------------------------------------------

    def _removed_a_retired_unit(self) -> bool:
        """Remove one unit of a retired generation when one is due (looking at most every
        ``retirement_check_seconds`` while none is); whether one went. A failure is logged and
        left for a later look: the views served are not concerned."""
        if self._retirement_check_seconds is None:
            return False
        now = self._monotonic()
        if now < self._next_retirement_check:
            return False
        try:
            removal = remove_retired(
                self._store, grace_seconds=self._retirement_grace_seconds, max_units=1
            )
        except Exception:
            logger.exception("removing a retired projection generation failed; trying later")
            removal = None
        if removal is None or not removal.units:
            self._next_retirement_check = now + self._retirement_check_seconds
            return False
        return True

    def _pause(self, seconds: float) -> None:
        """Sleep, unless ``wake`` or ``stop`` is called meanwhile."""
        self._wake.wait(seconds)
        self._wake.clear()

    def _feed_ranges(self) -> list[str]:
        if self._monotonic() - self._ranges_read_at > _RANGE_REFRESH_SECONDS:
            self._ranges = self._store.feed_ranges(EVENTS)
            self._ranges_read_at = self._monotonic()
        return self._ranges

    def _position(self, feed_range: str) -> str | None:
        if feed_range not in self._positions:
            continuation = self._checkpoints.load(feed_range).continuation
            self._positions[feed_range] = continuation
            self._saved[feed_range] = continuation
        return self._positions[feed_range]

    def _save(self, feed_range: str) -> None:
        continuation = self._positions[feed_range]
        if continuation is None:
            return
        self._checkpoints.save(feed_range, continuation)
        self._saved[feed_range] = continuation
