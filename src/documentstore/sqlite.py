"""SQLite adapter of the document-store port: the embedded default."""
