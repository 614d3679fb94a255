"""A throw-away local PostgreSQL server for the tests: initdb, start on a free port, stop.

The server programs (initdb, pg_ctl) come from PATH or the Debian layout
(/usr/lib/postgresql/<version>/bin). PostgreSQL refuses to run as root: under root the server
runs as the `postgres` system user (which the Debian package creates), in a folder it owns.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = "install PostgreSQL 15 (Debian: apt-get install -y postgresql)"


class PostgresUnavailable(RuntimeError):
    """No local PostgreSQL server can be started here; the message says what to install."""


@dataclass(frozen=True)
class LocalPostgres:
    """A running server: connect as `user`, no password, to `database` on 127.0.0.1:`port`."""

    port: int
    user: str = "postgres"
    database: str = "postgres"
    host: str = "127.0.0.1"
    password: str = "unused"

    @property
    def url(self) -> str:
        """The connection string dlt's `postgres` destination takes as its credentials."""
        # The server trusts local connections; dlt requires a password all the same.
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{self.database}"


def _server_bin() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    if candidates:
        return candidates[0].parent
    raise PostgresUnavailable(f"no PostgreSQL server programs (pg_ctl, initdb): {INSTALL_HINT}")


def _as_server_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PostgresUnavailable("running as root without runuser to drop to the postgres user")
    try:
        import pwd

        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable(
            f"running as root and no `postgres` user: {INSTALL_HINT}"
        ) from None
    return [runuser, "-u", "postgres", "--"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def local_postgres() -> Iterator[LocalPostgres]:
    """Start a fresh server (C locale, trust authentication on 127.0.0.1) and stop it after.

    Raises:
        PostgresUnavailable: The server programs or a user to run them as are missing, or the
            server did not start (the message carries its log's last lines).
    """
    bin_dir = _server_bin()
    prefix = _as_server_user()
    folder = Path(tempfile.mkdtemp(prefix="fortnox-postgres-"))
    data = folder / "data"
    if prefix:
        shutil.chown(folder, user="postgres", group="postgres")
    port = _free_port()
    log = folder / "server.log"
    try:
        subprocess.run(
            [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
             "--auth=trust", "--locale=C", "--encoding=UTF8", "--no-sync"],
            check=True, capture_output=True,
        )  # fmt: skip
        started = subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
             "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -F", "start"],
            capture_output=True, text=True,
        )  # fmt: skip
        if started.returncode != 0:
            tail = log.read_text(errors="replace")[-500:] if log.exists() else started.stderr
            raise PostgresUnavailable(f"PostgreSQL did not start: {tail.strip()}")
        yield LocalPostgres(port=port)
    except subprocess.CalledProcessError as error:
        raise PostgresUnavailable(f"initdb failed: {error.stderr!r}") from None
    finally:
        if data.exists():
            subprocess.run(
                [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
            )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)
