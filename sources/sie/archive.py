"""Content-addressed archive of raw SIE files: each distinct file stored once, never rewritten.

Layout: `<archive>/<org_number or "unknown">/<year or "unknown">/<sha256>.se` plus
`<archive>/manifest.jsonl`, one JSON line per stored file (sha256, size, source, file_name, at,
path). The archive is the audit trail: what we loaded can always be re-read byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock

MANIFEST_NAME = "manifest.jsonl"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class ArchivedFile:
    """Where a file lives in the archive, and whether this call stored it."""

    sha256: str
    path: Path
    stored: bool


def archive_sie_file(
    data: bytes,
    *,
    archive_dir: Path,
    org_number: str | None,
    year: int | None,
    source: str,
    file_name: str,
) -> ArchivedFile:
    """Store the bytes under their SHA-256 unless an identical file is already archived.

    The file is written to a temporary name in the target folder and linked into place, so a
    reader never sees a partial file and an existing file is never replaced. A manifest line is
    appended only when the file is newly stored.

    Args:
        data: the raw file, exactly as received.
        archive_dir: the archive root (created when missing).
        org_number: the company's organisation number (NNNNNN-NNNN), None when unknown.
        year: the financial year's start year (#RAR 0), None when unknown.
        source: where the file came from, e.g. `file:/path/books.se` or `fortnox:/3/sie/4`.
        file_name: the name it arrived under (kept in the manifest only).

    Returns:
        The archived file's sha256 and path, `stored` False when it was already there.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    folder = archive_dir / (org_number or UNKNOWN) / (str(year) if year else UNKNOWN)
    target = folder / f"{sha256}.se"
    if target.exists():
        return ArchivedFile(sha256=sha256, path=target, stored=False)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".incoming-", delete=False) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
        temporary = Path(handle.name)
    # Read-only on disk too: an archived file is evidence, and a slip of an editor must not
    # change it (`sie export` would then refuse it, rightly, but the original would be gone).
    temporary.chmod(0o444)
    try:
        os.link(temporary, target)  # fails if the target exists: never overwrite
    except FileExistsError:
        return ArchivedFile(sha256=sha256, path=target, stored=False)
    finally:
        temporary.unlink()
    _append_manifest(archive_dir, sha256, len(data), source, file_name, target)
    return ArchivedFile(sha256=sha256, path=target, stored=True)


def archive_sie_path(
    path: Path,
    *,
    sha256: str,
    archive_dir: Path,
    org_number: str | None,
    year: int | None,
    source: str,
) -> ArchivedFile:
    """`archive_sie_file` for a file on disk, copied in blocks (never held whole in memory).

    Args:
        path: the file; `sha256` is its digest, already computed by the reader's first pass
            (and checked again here, so a file changed meanwhile is not archived under it).
    """
    folder = archive_dir / (org_number or UNKNOWN) / (str(year) if year else UNKNOWN)
    target = folder / f"{sha256}.se"
    if target.exists():
        return ArchivedFile(sha256=sha256, path=target, stored=False)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with (
        path.open("rb") as source_file,
        tempfile.NamedTemporaryFile(dir=folder, prefix=".incoming-", delete=False) as handle,
    ):
        temporary = Path(handle.name)
        while block := source_file.read(1 << 20):
            digest.update(block)
            size += len(block)
            handle.write(block)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        if digest.hexdigest() != sha256:
            raise ValueError(f"{path.name} changed while it was being loaded: not archived")
        os.link(temporary, target)  # fails if the target exists: never overwrite
    except FileExistsError:
        return ArchivedFile(sha256=sha256, path=target, stored=False)
    finally:
        temporary.unlink()
    _append_manifest(archive_dir, sha256, size, source, path.name, target)
    return ArchivedFile(sha256=sha256, path=target, stored=True)


def _append_manifest(
    archive_dir: Path, sha256: str, size: int, source: str, file_name: str, target: Path
) -> None:
    entry = {
        "sha256": sha256,
        "size": size,
        "source": source,
        "file_name": file_name,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "path": target.relative_to(archive_dir).as_posix(),
    }
    manifest = archive_dir / MANIFEST_NAME
    with FileLock(f"{manifest}.lock"), manifest.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


def read_manifest(archive_dir: Path) -> list[dict[str, object]]:
    """All manifest entries, oldest first; empty when nothing has been archived yet."""
    manifest = archive_dir / MANIFEST_NAME
    if not manifest.exists():
        return []
    return [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines() if line]
