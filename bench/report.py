"""What every benchmark section reports: a figure beside its baseline from the same run."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Result:
    """One measured figure, its same-run baseline (if any), and the target it is held to."""

    section: str
    measure: str
    kanban: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    #: For throughput higher is better; for latency, memory and time lower is.
    higher_is_better: bool = True
    #: e.g. "ratio >= 1.0", "<= 20 ms", "" (reported, no target)
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """kanban / baseline (for latency: baseline / kanban), so > 1 is always better."""
        if self.baseline is None or self.baseline == 0 or self.kanban == 0:
            return None
        return self.kanban / self.baseline if self.higher_is_better else self.baseline / self.kanban

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def print_results(results: list[Result], json_path: Path | None) -> None:
    """A section run alone (`python -m bench.replay`, ...): one plain line per figure."""
    for r in results:
        ratio = f"{r.ratio:.3f}" if r.ratio is not None else "-"
        met = "" if r.met is None else ("met" if r.met else "NOT met")
        baseline = f"{r.baseline:,.0f}" if r.baseline is not None else "-"
        print(
            f"{r.section:10} {r.measure:62} {r.kanban:>12,.0f} {r.unit:9} vs {baseline:>12} "
            f"ratio {ratio:>6} {r.target:>22} {met:8}\n    {r.note}"
        )
    if json_path:
        json_path.write_text(json.dumps([r.to_json() for r in results], indent=2))


@dataclass
class Bench:
    """What a section is given: the mode, a scratch dir, and the cores to pin to."""

    quick: bool
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="kanban-bench-")))
    #: The server under test runs on this core, the load generator on the other.
    server_core: int = 0
    load_core: int = 1

    def scale(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    @property
    def cores(self) -> int:
        return os.cpu_count() or 1
