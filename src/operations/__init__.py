"""Operations on a whole store, for operators: moving event logs between stores (export,
import, compare), purging campaigns whose restore window has passed, and backing up the
embedded store.

They work on the document-store port, the event log's documents (``eventstore.documents``) and
the campaign application, never on an adapter: the composition root hands them the store it
opened, and the CLI (and the Functions timer of the purge) only wire them.
"""
