"""Where OAuth2 tokens live between runs: one JSON file per profile, written atomically.

Fortnox refresh tokens are single use, so losing the newest one (a crash mid-write, two cron
runs refreshing at once) locks the user out until they log in again. Hence: write to a temp
file, fsync, rename over the old file (readers see the old or the new pair, never half of one),
mode 0600, and an inter-process lock per profile held by whoever refreshes.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import filelock
import platformdirs

from sources.fortnox import settings
from sources.fortnox.errors import AuthenticationRequired, ConfigurationError

_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_FORMAT_VERSION = 1


def default_token_dir() -> Path:
    """The user's config directory for this tool (`~/.config/fortnox-pipeline` on Linux)."""
    return Path(platformdirs.user_config_dir("fortnox-pipeline", appauthor=False))


@dataclass(slots=True)
class StoredToken:
    """A profile's token pair and what it is good for.

    Token values are excluded from `repr` so that a stray log line or traceback cannot leak them.
    """

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: float  # epoch seconds
    scope: str
    token_type: str = "bearer"
    tenant_id: int | None = None
    service_account: bool = False
    auth_base_url: str = settings.DEFAULT_AUTH_BASE_URL
    client_id: str = ""
    obtained_at: float = 0.0  # epoch seconds

    @property
    def scopes(self) -> list[str]:
        """The granted scopes, in the order Fortnox listed them."""
        return self.scope.split()

    def expires_within(self, seconds: float, now: float) -> bool:
        """Whether the access token is dead, or will be within `seconds` of `now`."""
        return self.expires_at - seconds <= now

    def to_json(self) -> dict[str, Any]:
        """The document written to the profile's file."""
        return {"format": _FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> StoredToken:
        """Rebuild from a profile file; raises KeyError/TypeError/ValueError if it is malformed."""
        known = {name: document[name] for name in cls.__dataclass_fields__ if name in document}
        stored = cls(**known)
        if not isinstance(stored.access_token, str) or not stored.access_token:
            raise ValueError("no access token")
        stored.expires_at = float(stored.expires_at)
        return stored


class TokenStore:
    """One JSON file per profile in `directory` (created 0700), each file 0600.

    Args:
        directory: where the profile files live; `default_token_dir()` in normal use.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path_for(self, profile: str) -> Path:
        """The token file of a profile."""
        return self.directory / f"{check_profile_name(profile)}.json"

    def lock(
        self, profile: str, timeout: float = settings.TOKEN_LOCK_TIMEOUT_SECONDS
    ) -> filelock.BaseFileLock:
        """The inter-process lock a refresh of this profile must hold.

        Args:
            profile: the profile name.
            timeout: seconds to wait for another process's refresh before giving up.
        """
        self._ensure_directory()
        return filelock.FileLock(
            self.directory / f"{check_profile_name(profile)}.lock", timeout=timeout, mode=0o600
        )

    def load(self, profile: str) -> StoredToken | None:
        """The stored token of a profile, or None if it never logged in (or logged out).

        Raises:
            AuthenticationRequired: the file exists but cannot be read as a token.
        """
        path = self.path_for(profile)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise AuthenticationRequired(profile, f"the token file {path} is unreadable") from error
        try:
            return StoredToken.from_json(document)
        except (KeyError, TypeError, ValueError) as error:
            raise AuthenticationRequired(profile, f"the token file {path} is malformed") from error

    def save(self, profile: str, token: StoredToken) -> Path:
        """Replace a profile's token atomically: temp file, fsync, rename, fsync the directory.

        Returns:
            The path written.
        """
        path = self.path_for(profile)
        self._ensure_directory()
        payload = json.dumps(token.to_json(), indent=2, sort_keys=True).encode("utf-8")
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{path.stem}.", suffix=".tmp", dir=self.directory
        )
        try:
            # mkstemp already creates the file 0600; chmod again in case of an odd umask policy.
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        self._fsync_directory()
        return path

    def delete(self, profile: str) -> bool:
        """Remove a profile's tokens; True if there was something to remove."""
        path = self.path_for(profile)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        self._fsync_directory()
        return True

    def profiles(self) -> list[str]:
        """Names of the profiles that have a token file, sorted."""
        if not self.directory.is_dir():
            return []
        return sorted(path.stem for path in self.directory.glob("*.json"))

    def _ensure_directory(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _fsync_directory(self) -> None:
        # Makes the rename itself durable; not possible on every platform, harmless to skip.
        try:
            descriptor = os.open(self.directory, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(descriptor)
        except OSError:
            pass
        finally:
            os.close(descriptor)


def check_profile_name(profile: str) -> str:
    """A valid profile name, unchanged: names become file names, so the alphabet is safe."""
    if not _PROFILE_NAME.match(profile):
        raise ConfigurationError(
            f"invalid profile name {profile!r}: use letters, digits, '.', '_' or '-'"
        )
    return profile
