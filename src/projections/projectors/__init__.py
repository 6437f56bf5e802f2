"""Pure projectors: (document or None, event) -> document. They import the domain only."""
