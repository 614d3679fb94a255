"""The token store: atomic, private, one file per profile, and never a token in a repr."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from sources.fortnox.errors import AuthenticationRequired, ConfigurationError
from sources.fortnox.token_store import StoredToken, TokenStore, default_token_dir


def _token(serial: int = 1) -> StoredToken:
    return StoredToken(
        access_token=f"access-{serial}",
        refresh_token=f"refresh-{serial}",
        expires_at=1_900_000_000.0 + serial,
        scope="bookkeeping invoice",
        tenant_id=42,
        obtained_at=1_899_996_400.0,
    )


def test_a_saved_token_loads_back_equal(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens")
    store.save("acme", _token())
    assert store.load("acme") == _token()
    assert store.load("acme").scopes == ["bookkeeping", "invoice"]  # type: ignore[union-attr]


def test_files_are_private_and_no_temp_file_is_left(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens")
    for serial in range(5):
        store.save("acme", _token(serial))
    path = store.path_for("acme")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    assert sorted(p.name for p in store.directory.iterdir()) == ["acme.json"]
    with store.lock("acme"):
        pass
    assert stat.S_IMODE((store.directory / "acme.lock").stat().st_mode) == 0o600
    assert json.loads(path.read_text())["refresh_token"] == "refresh-4"


def test_profiles_are_separate_files_and_never_fall_back(tmp_path: Path) -> None:
    store = TokenStore(tmp_path)
    store.save("acme", _token(1))
    assert store.load("globex") is None
    store.save("globex", _token(2))
    assert store.load("acme").refresh_token == "refresh-1"  # type: ignore[union-attr]
    assert store.profiles() == ["acme", "globex"]
    assert store.delete("acme") is True
    assert store.delete("acme") is False
    assert store.profiles() == ["globex"]


def test_repr_never_shows_token_values() -> None:
    text = repr(_token())
    assert "access-1" not in text and "refresh-1" not in text
    assert "tenant_id=42" in text


@pytest.mark.parametrize("profile", ["../etc", "a/b", "", ".hidden", "x" * 65])
def test_profile_names_cannot_escape_the_directory(tmp_path: Path, profile: str) -> None:
    with pytest.raises(ConfigurationError):
        TokenStore(tmp_path).path_for(profile)


def test_a_corrupt_file_asks_for_a_new_login(tmp_path: Path) -> None:
    store = TokenStore(tmp_path)
    store.path_for("acme").write_text("{not json")
    with pytest.raises(AuthenticationRequired, match="auth login --profile acme"):
        store.load("acme")
    store.path_for("acme").write_text(json.dumps({"scope": "x"}))
    with pytest.raises(AuthenticationRequired, match="malformed"):
        store.load("acme")


def test_default_dir_is_the_user_config_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert default_token_dir() == tmp_path / "xdg" / "fortnox-pipeline"
