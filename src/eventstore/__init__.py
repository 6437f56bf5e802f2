"""The event store: the eventsourcing library's persistence module on the document-store port.

``eventstore.factory`` is the module to name in ``PERSISTENCE_MODULE``; ``eventstore.recorders``
holds the recorders and ``eventstore.documents`` the stored layout (docs/storage.md).
"""
