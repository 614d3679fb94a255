"""Which profile (company) and token folder a command uses, and the persisted current profile.

A firm switches between client companies all day; `profiles use NAME` saves the choice so that
later commands need no `--profile`. The order is fixed and the same for every command: the
`--profile` flag, then `FORTNOX_PROFILE`, then the saved current profile, then `default`. A
saved pointer that cannot be read fails the command (it never falls back to another company's
tokens: loading the wrong company into a warehouse is worse than stopping).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sources.fortnox import settings
from sources.fortnox.errors import ConfigurationError
from sources.fortnox.token_store import check_profile_name, default_token_dir

CURRENT_PROFILE_FILE = "current-profile"


@dataclass(frozen=True, slots=True)
class ChosenProfile:
    """A profile name and where the choice came from (shown by `doctor` and `profiles`)."""

    name: str
    source: str  # "--profile", "FORTNOX_PROFILE", "profiles use", or "default"


def resolve_token_dir(flag: Path | None = None) -> Path:
    """`--token-dir`, else `FORTNOX_TOKEN_DIR`, else the user config directory."""
    if flag is not None:
        return Path(flag)
    from_environment = os.environ.get("FORTNOX_TOKEN_DIR")
    return Path(from_environment) if from_environment else default_token_dir()


def resolve_profile(flag: str | None, token_dir: Path) -> ChosenProfile:
    """The profile a command uses: flag > environment > current profile > `default`.

    Raises:
        ConfigurationError: the saved current profile exists but cannot be read or is invalid.
    """
    if flag:
        return ChosenProfile(check_profile_name(flag), "--profile")
    from_environment = os.environ.get("FORTNOX_PROFILE")
    if from_environment:
        return ChosenProfile(check_profile_name(from_environment), "FORTNOX_PROFILE")
    current = read_current_profile(token_dir)
    if current is not None:
        return ChosenProfile(current, "profiles use")
    return ChosenProfile(settings.DEFAULT_PROFILE, "default")


def read_current_profile(token_dir: Path) -> str | None:
    """The profile saved by `profiles use`, or None when none was saved.

    Raises:
        ConfigurationError: the pointer file exists but is unreadable or names no valid profile.
    """
    pointer = token_dir / CURRENT_PROFILE_FILE
    try:
        text = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(
            f"the current-profile file {pointer} is unreadable ({type(error).__name__}); "
            "choose a profile with `profiles use NAME` or pass --profile"
        ) from None
    try:
        return check_profile_name(text)
    except ConfigurationError:
        raise ConfigurationError(
            f"the current-profile file {pointer} does not name a valid profile; "
            "choose one with `profiles use NAME` or pass --profile"
        ) from None


def write_current_profile(token_dir: Path, name: str) -> Path:
    """Save `name` as the current profile, atomically (a crash leaves the old or the new name)."""
    check_profile_name(name)
    token_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    pointer = token_dir / CURRENT_PROFILE_FILE
    descriptor, temporary = tempfile.mkstemp(prefix=".current-profile.", dir=token_dir)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, pointer)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return pointer


def clear_current_profile(token_dir: Path) -> bool:
    """Forget the saved current profile; True if one was saved."""
    try:
        (token_dir / CURRENT_PROFILE_FILE).unlink()
    except FileNotFoundError:
        return False
    return True
