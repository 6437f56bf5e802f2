"""Benchmarks of Campaign Ledger: ``python -m bench`` (``make bench``) runs them all, side by side
in one run, and prints one table. Performance is measured here, never asserted in tests; the
latest results and how to read them are in ``docs/performance.md``."""
