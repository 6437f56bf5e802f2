"""Hypothesis strategies of JSON values, for the tests that compare the stores' encoder and
decoder with the standard library's."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


def json_values(scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Values built of ``scalars`` in lists and string-keyed dicts, a few levels deep."""
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=6), children, max_size=4)
        ),
        max_leaves=20,
    )
