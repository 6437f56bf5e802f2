"""SQLite adapter of the document-store port: the embedded default.

One database file holds every container in one table. WAL mode lets readers run beside the one
writer; each batch applies entirely or not at all, behind a savepoint of its own in a
``BEGIN IMMEDIATE`` transaction. Batches that this process's writers hand in at the same time
share one transaction and one commit (``group_commit``), each keeping its own checks and its own
outcome; nobody is answered before the commit is on disk (``synchronous = FULL``). Writers of
one process take turns through a first-come, first-served lock (``FairLock``) rather than
spinning on SQLite's busy handler; writers of other processes still queue on its busy timeout.
Connections come from a small pool, so the HTTP service and the change-feed processor can share
one store across threads.

A document is encoded once per write (``documentstore.port.stored_json``, shared with the size
check) and the written document is answered without decoding it again.

The change feed of a container is a sequence number (``position``) that every write of a
document moves to the container's next value: a document written twice appears once, at its
latest position, and a reader resumes after the position its continuation names. The whole
container is one feed range.

Modules: ``store`` (the port), ``connections`` (the pool, the schema and the writers' turns),
``fair_lock``, ``group_commit`` (concurrent writers in one transaction), ``batches`` (applying
batches in a transaction), ``queries`` (the SQL of queries and of the change feed) and
``faults`` (SQLite's errors translated, once).
"""

from documentstore.sqlite.fair_lock import FairLock
from documentstore.sqlite.queries import FEED_RANGE
from documentstore.sqlite.store import SqliteDocumentStore

__all__ = ["FEED_RANGE", "FairLock", "SqliteDocumentStore"]
