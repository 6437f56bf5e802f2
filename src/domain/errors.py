"""The one exception tree of Campaign Ledger.

Every error that crosses a module boundary is one of these. Foreign errors (the eventsourcing
library's, Cosmos DB's, SQLite's) are translated into this tree once, in the adapter that meets
them; nothing above the adapters catches a foreign exception. The HTTP layer maps each class to a
status and answers with the class's stable ``code`` (see ``docs/errors.md``).

The tree lives in the domain package because every layer may import the domain and the domain
imports nothing of ours.

    LedgerError
    ├── InvalidInput                  422  a value breaks a rule of shape
    │   ├── InvalidArtifactType       422  a context artifact type that is not registered
    │   └── InvalidContinuation       400  a continuation token the service did not issue
    ├── NotFound                      404
    │   ├── CampaignNotFound          404  unknown, foreign-tenant or soft-deleted campaign
    │   │   └── CampaignPurged        404  deleted for good (a create reusing its id: 409)
    │   ├── EntityNotFound            404  unknown entity named in the path
    │   └── VersionNotFound           404  a past the campaign does not have (atVersion, asOf)
    ├── RuleViolation                 409  the domain refuses the command
    │   ├── InvalidStatusTransition   409
    │   ├── InvalidRunTransition      409
    │   ├── UnknownReference          409  a body names an entity this campaign does not have
    │   ├── IdConflict                409  same id, different payload
    │   ├── DuplicateArtifactId       409
    │   ├── ContextCapacityExceeded   409
    │   └── RetryLimitReached         409  too many automatic (audit-failed) revisions in a row
    ├── PreconditionFailed            412  If-Match / expected version did not match
    ├── ConfigurationError                 bad settings or artifact-types file: stops start-up
    ├── OperationFailed                    an operator's maintenance run (rebuild) cannot go on
    └── StoreError                         the store failed or refused
        ├── CommandTooLarge           413  the append would exceed a transactional batch
        ├── ConcurrencyConflict            another writer appended first (internal: retried,
        │                                  or PreconditionFailed / WriteContention)
        ├── StoreDamaged                   the store lost or corrupted data: stops start-up
        ├── StorePressure                  retry after ``retry_after`` seconds
        │   ├── WriteContention       503  optimistic-concurrency retries exhausted
        │   ├── StoreThrottled        429
        │   └── StoreUnavailable      503  includes timeouts
        └── OperationRefused               a batch operation refused, at ``operation_index``
            ├── DocumentConflict           a create met an existing id (port level)
            ├── EtagMismatch               a conditional write met a newer etag (port level)
            └── DocumentNotFound           a replace or delete met no document (port level)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One field that broke a rule of shape: a dotted path (``brief.objective``) and why."""

    field: str
    message: str


class LedgerError(Exception):
    """Base of every error Campaign Ledger raises on purpose."""

    code: str = "ledger-error"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class InvalidInput(LedgerError):
    """A value breaks a rule of shape (missing, blank, too long, wrong enum, bad hash...)."""

    code = "validation-failed"

    def __init__(
        self,
        detail: str,
        errors: list[FieldError] | None = None,
        *,
        code: str | None = None,
    ) -> None:
        super().__init__(detail, code=code)
        self.errors: list[FieldError] = errors or []


class InvalidArtifactType(InvalidInput):
    """A context artifact type that is neither standard nor registered."""

    code = "invalid-artifact-type"


class InvalidContinuation(InvalidInput):
    """A continuation token the service did not issue: a bad request rather than a breach of
    a rule of shape, since clients only pass these tokens back."""

    code = "invalid-continuation"


class NotFound(LedgerError):
    """Something named in the path does not exist (for this tenant)."""

    code = "not-found"


class CampaignNotFound(NotFound):
    """Unknown campaign, a campaign of another tenant, or a soft-deleted one."""

    code = "campaign-not-found"


class CampaignPurged(CampaignNotFound):
    """A campaign deleted for good by a purge: answered like any campaign that does not exist,
    except that its id can never be used again (a create naming it is ``IdConflict``)."""


class EntityNotFound(NotFound):
    """An artifact, version, run... named in the path that the campaign does not have."""

    code = "entity-not-found"


class VersionNotFound(NotFound):
    """A past the campaign does not have: a stream version above its current one, or an
    instant before its creation (``?atVersion=``, ``?asOf=``)."""

    code = "version-not-found"


class RuleViolation(LedgerError):
    """The domain refuses the command; ``code`` says which rule (kebab-case, stable)."""

    code = "rule-violation"


class InvalidStatusTransition(RuleViolation):
    code = "invalid-status-transition"


class InvalidRunTransition(RuleViolation):
    code = "invalid-run-transition"


class UnknownReference(RuleViolation):
    """A body references an entity that does not exist in this campaign."""

    code = "unknown-reference"


class IdConflict(RuleViolation):
    """A create repeated an existing id with a different payload."""

    code = "id-conflict"


class DuplicateArtifactId(RuleViolation):
    code = "duplicate-artifact-id"


class ContextCapacityExceeded(RuleViolation):
    code = "context-capacity-exceeded"


class RetryLimitReached(RuleViolation):
    """An ``audit-failed`` revision past the campaign's consecutive automatic retries."""

    code = "retry-limit-reached"


class PreconditionFailed(LedgerError):
    """The caller pinned an expected stream version and the campaign is elsewhere."""

    code = "precondition-failed"

    def __init__(self, detail: str, *, expected: int, actual: int) -> None:
        super().__init__(detail)
        self.expected = expected
        self.actual = actual


class ConfigurationError(LedgerError):
    """Settings or a configuration file are wrong; raised at start-up, never per request."""

    code = "configuration-error"


class OperationFailed(LedgerError):
    """An operator's maintenance run (a projection rebuild) cannot go on: not a domain rule and
    never an answer to a client's request; the CLI prints it and exits 1."""

    code = "operation-failed"


class StoreError(LedgerError):
    """The store failed or refused; subclasses say how."""

    code = "store-error"


class StoreDamaged(StoreError):
    """The store's data is damaged or gone (an emptied file, a write-ahead log removed after a
    crash, overwritten bytes, missing tables): found at start-up, which it stops."""

    code = "store-damaged"


class CommandTooLarge(StoreError):
    """The events of one command would not fit one transactional batch (100 ops, 2 MB)."""

    code = "command-too-large"


class ConcurrencyConflict(StoreError):
    """Another writer appended to the campaign between this command's load and its append.

    Internal: the service reloads and decides the command again, or answers
    ``PreconditionFailed`` (a pinned version) or ``WriteContention`` (retries exhausted).
    """

    code = "concurrency-conflict"


class StorePressure(StoreError):
    """The request was valid but could not be served now; the same request may succeed after
    ``retry_after`` seconds (what ``Retry-After`` tells the client)."""

    def __init__(self, detail: str, *, retry_after: float = 1.0) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class WriteContention(StorePressure):
    """Concurrent writers kept winning until the bounded retries ran out; retry later."""

    code = "write-contention"


class StoreThrottled(StorePressure):
    """The store answered 429 and our retries ran out; ``retry_after`` in seconds."""

    code = "store-throttled"


class StoreUnavailable(StorePressure):
    """The store could not be reached or timed out and our retries ran out."""

    code = "store-unavailable"


class OperationRefused(StoreError):
    """The store refused one operation of a batch, so none of the batch applied (port level);
    ``operation_index`` is that operation's position in the batch, when known."""

    def __init__(self, detail: str, *, operation_index: int | None = None) -> None:
        super().__init__(detail)
        self.operation_index = operation_index


class DocumentConflict(OperationRefused):
    """A create met an existing document id (port level; callers translate further)."""

    code = "document-conflict"


class EtagMismatch(OperationRefused):
    """A conditional write met a document changed since its etag was read (port level)."""

    code = "etag-mismatch"


class DocumentNotFound(OperationRefused):
    """A replace or delete met no document (port level)."""

    code = "document-not-found"
