"""The dbt project's files as a reader sees them: each model's grain comment and what it reads.

dbt knows the graph after a parse (seconds); this reads the `ref()` and `source()` calls straight
from the SQL (milliseconds), for the MCP server's schema description and for tests that pin
which model reads which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.transform.dbt_invocation import SQL_DIR

MODEL_LAYERS = ("staging", "intermediate", "marts")
_REF = re.compile(r"""\bref\(\s*['"]([A-Za-z0-9_]+)['"]\s*\)""")
_SOURCE = re.compile(
    r"""\b(?:source\(\s*['"]fortnox['"]\s*,|fortnox_source\()\s*['"]([A-Za-z0-9_]+)['"]\s*\)"""
)


@dataclass(frozen=True)
class ProjectFile:
    """One seed, model or check of the project.

    Attributes:
        name: The file stem: the relation a model or seed becomes, the name of a check.
        layer: `seeds`, `staging`, `intermediate`, `marts` or `checks`.
        path: The file.
        grain: The first comment line without `--` ("one row per ..."); a seed's is its file.
        model_inputs: Models and seeds it reads (`ref`).
        raw_inputs: Raw tables it reads (`source`).
    """

    name: str
    layer: str
    path: Path
    grain: str
    model_inputs: frozenset[str]
    raw_inputs: frozenset[str]


def _read(path: Path, layer: str) -> ProjectFile:
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[:1]
    grain = first[0].removeprefix("--").strip() if first and first[0].startswith("--") else ""
    return ProjectFile(
        name=path.stem,
        layer=layer,
        path=path,
        grain=grain,
        model_inputs=frozenset(_REF.findall(text)) - {path.stem},
        raw_inputs=frozenset(_SOURCE.findall(text)),
    )


def load_project(sql_dir: Path = SQL_DIR) -> tuple[list[ProjectFile], list[ProjectFile]]:
    """The seeds and models (seeds first, then layer by layer, by name), and the checks."""
    seeds = [
        ProjectFile(
            path.stem, "seeds", path, f"one row per line of {path.name}", frozenset(), frozenset()
        )
        for path in sorted((sql_dir / "seeds").glob("*.csv"))
    ]
    models = [
        _read(path, layer)
        for layer in MODEL_LAYERS
        for path in sorted((sql_dir / "models" / layer).glob("*.sql"))
    ]
    checks = [_read(path, "checks") for path in sorted((sql_dir / "checks").glob("*.sql"))]
    return seeds + models, checks
