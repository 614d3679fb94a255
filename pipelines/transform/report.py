"""What a build of the models did: per model, per check, and the wall time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ModelStatus = Literal["built", "skipped", "failed"]
CheckStatus = Literal["passed", "failed", "skipped", "error"]


@dataclass(frozen=True)
class ModelResult:
    """What happened to one model (or seed) in a build; `rows` is None for a view."""

    name: str
    status: ModelStatus
    seconds: float = 0.0
    rows: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class CheckResult:
    """What one check (a dbt test) found; `sample` holds a few offending rows as dicts."""

    name: str
    status: CheckStatus
    offending_rows: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""


@dataclass
class BuildReport:
    """The outcome of `build_models`: per-model and per-check results, and the wall time."""

    models: list[ModelResult] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0

    def model(self, name: str) -> ModelResult:
        """The result for one model, by name."""
        return next(result for result in self.models if result.name == name)

    def check(self, name: str) -> CheckResult:
        """The result for one check, by name."""
        return next(result for result in self.checks if result.name == name)

    @property
    def failed_models(self) -> list[ModelResult]:
        """Models whose SQL raised an error."""
        return [result for result in self.models if result.status == "failed"]

    @property
    def failed_checks(self) -> list[CheckResult]:
        """Checks that returned offending rows or could not run."""
        return [result for result in self.checks if result.status in ("failed", "error")]

    @property
    def ok(self) -> bool:
        """True when every model that could be built was built and every check held."""
        return not self.failed_models and not self.failed_checks
