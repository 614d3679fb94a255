"""The `[sie_archive]` settings read without dlt resolve exactly as dlt resolves them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

_CASES = {
    "nothing": ({}, None, None),
    "config": ({}, '[sie_archive]\nenabled = false\ndir = "/srv/sie"\n', None),
    "secrets_win": ({}, '[sie_archive]\ndir = "/a"\n', '[sie_archive]\ndir = "/b"\n'),
    "environment_wins": ({"SIE_ARCHIVE__DIR": "/env"}, '[sie_archive]\ndir = "/a"\n', None),
    "other_sections": ({}, '[runtime]\nlog_level = "ERROR"\n', None),
}
_OURS = (
    "import json; from pipelines.archive_settings import _config;"
    " print(json.dumps([_config('enabled'), _config('dir')]))"
)
_DLTS = (
    "import json, dlt;"
    " print(json.dumps([dlt.config.get('sie_archive.enabled'), dlt.config.get('sie_archive.dir')]))"
)


@pytest.mark.parametrize("case", list(_CASES))
def test_settings_resolve_as_dlt_resolves_them(case: str, tmp_path: Path) -> None:
    extra, config, secrets = _CASES[case]
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DLT_", "SIE_ARCHIVE__"))
    }
    environment.update(extra, HOME=str(tmp_path / "home"))
    (tmp_path / ".dlt").mkdir()
    if config:
        (tmp_path / ".dlt" / "config.toml").write_text(config, encoding="utf-8")
    if secrets:
        (tmp_path / ".dlt" / "secrets.toml").write_text(secrets, encoding="utf-8")

    def resolved(code: str) -> object:
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return json.loads(out.strip().splitlines()[-1])

    assert resolved(_OURS) == resolved(_DLTS)
