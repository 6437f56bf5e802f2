"""The results table: one row per benchmark, its target, what was measured and the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field

MET = "met"
MISSED = "MISSED"
REPORTED = "report"


@dataclass(frozen=True)
class Row:
    """One line of the table; ``verdict`` is ``met``, ``MISSED`` or ``report`` (no target)."""

    benchmark: str
    target: str
    measured: str
    verdict: str = REPORTED


def verdict(met: bool) -> str:
    return MET if met else MISSED


@dataclass
class ResultTable:
    """Rows in the order they were measured, plus free-form notes printed under the table."""

    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *rows: Row) -> None:
        self.rows.extend(rows)
        for row in rows:
            print(f"  {row.benchmark}: {row.measured} [{row.verdict}]", flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def markdown(self) -> str:
        """A Markdown table (also readable as plain text)."""
        lines = [
            "| Benchmark | Target | Measured | Verdict |",
            "|---|---|---|---|",
        ]
        for row in self.rows:
            cells = (row.benchmark, row.target, row.measured, row.verdict)
            lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
        if self.notes:
            lines.append("")
            lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile of ``samples`` (``fraction`` in 0..1); 0.0 for no samples."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, round(fraction * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]
