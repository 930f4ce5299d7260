"""Find each input file in the mirror folder, else download its official edition: atomic, resumed, verified."""

from __future__ import annotations

import hashlib
import io
import tarfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import requests

from ...errors import InputError, Problem

CHUNK = 1 << 16


@dataclass(frozen=True)
class Remote:
    """Where the official edition of an input file is published and how to check it.

    Parameters
    ----------
    url
        Official address of the file, or of the archive holding it; empty when there is none.
    sha256
        Expected SHA-256 of the file itself (after extraction from an archive), when the edition is fixed.
    member
        Path of the file inside a ``.tgz``/``.tar.gz``/``.zip`` archive, when ``url`` is an archive.
    """

    url: str = ""
    sha256: str = ""
    member: str = ""


@dataclass(frozen=True)
class Downloads:
    """The ``downloads`` section of the config: policy, cache folder and the known remote files."""

    offline: bool
    retries: int
    backoff_s: float
    timeout_s: float
    cache: Path
    files: dict[str, Remote]

    @classmethod
    def from_config(cls, section: dict) -> Downloads:
        """Build from the config section (``files`` keyed by path relative to the mirror)."""
        return cls(
            offline=bool(section["offline"]),
            retries=int(section["retries"]),
            backoff_s=float(section["backoff_s"]),
            timeout_s=float(section["timeout_s"]),
            cache=Path(section["cache"]),
            files={key: Remote(**value) for key, value in section.get("files", {}).items()},
        )


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read by chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected: str, origin: str) -> None:
    """Raise when ``path`` does not have the expected SHA-256 (no check when none is expected)."""
    if expected and (found := sha256_of(path)) != expected.lower():
        problem = Problem(
            f"SHA-256 {expected} of the configured edition (from {origin}); a new edition needs its checksum "
            "updated under downloads.files in the config",
            value=found,
            rule="sha256",
        )
        raise InputError(path, problem)


def fetch(relative: str, mirror: Path, downloads: Downloads) -> Path:
    """Path of a verified copy of the input ``relative`` (to the mirror): the mirror's, the cache's or a download.

    Raises
    ------
    InputError
        When the file is in neither folder and cannot be downloaded (no URL, offline, server errors
        after every retry), or when its SHA-256 differs from the configured edition's.
    """
    remote = downloads.files.get(relative, Remote())
    local = mirror / relative
    if local.is_file():
        verify(local, remote.sha256, "the mirror folder")
        return local
    cached = downloads.cache / relative
    if cached.is_file() and (not remote.sha256 or sha256_of(cached) == remote.sha256.lower()):
        return cached
    if not remote.url:
        raise InputError(
            local, Problem("an existing file in the mirror folder (no official URL configured)", rule="present")
        )
    if downloads.offline:
        raise InputError(local, Problem("an existing file in the mirror folder (downloads are off)", rule="present"))
    cached.parent.mkdir(parents=True, exist_ok=True)
    part = cached.with_name(cached.name + ".part")
    download(remote.url, part, downloads)
    if remote.member:
        part.write_bytes(_extract(part, remote.member, remote.url))
    try:
        verify(part, remote.sha256, remote.url)
    except InputError as error:
        part.unlink()
        raise InputError(remote.url, error.problems) from None
    part.replace(cached)
    return cached


class _Incomplete(Exception):
    """The server closed the transfer before the announced length."""


def download(url: str, part: Path, downloads: Downloads) -> None:
    """Download ``url`` into ``part``, resuming a partial file and retrying with exponential back-off.

    Server errors (5xx, 429), timeouts, dropped connections and short transfers are retried;
    other client errors (404...) fail at once.
    """
    for attempt in range(downloads.retries + 1):
        try:
            _transfer(url, part, downloads.timeout_s)
            return
        except requests.HTTPError as error:
            status = error.response.status_code
            if status < 500 and status != 429:
                raise InputError(
                    url, Problem("a file the server serves", value=f"HTTP {status}", rule="download")
                ) from None
            last = f"HTTP {status}"
        except (requests.RequestException, _Incomplete) as error:
            last = f"{type(error).__name__}: {error}"
        if attempt < downloads.retries:
            time.sleep(downloads.backoff_s * 2**attempt)
    attempts = downloads.retries + 1
    raise InputError(url, Problem(f"a complete download within {attempts} attempts", value=last, rule="download"))


def _transfer(url: str, part: Path, timeout_s: float) -> None:
    """One attempt: ask for the bytes after those already in ``part`` and append them."""
    offset = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    with requests.get(url, headers=headers, stream=True, timeout=timeout_s) as response:
        if response.status_code == 416:
            part.unlink()
            raise _Incomplete("the partial file did not match the server's: starting again")
        response.raise_for_status()
        resumed = response.status_code == 206
        announced = response.headers.get("Content-Length")
        with open(part, "ab" if resumed else "wb") as handle:
            handle.writelines(response.iter_content(CHUNK))
        size = part.stat().st_size
        if announced is not None and size != int(announced) + (offset if resumed else 0):
            raise _Incomplete(f"{size} bytes received, {announced} announced")


def _extract(archive: Path, member: str, url: str) -> bytes:
    """The bytes of one member of a tar or zip archive."""
    data = archive.read_bytes()
    try:
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as bundle:
                return bundle.read(member)
        with tarfile.open(fileobj=io.BytesIO(data)) as bundle:
            handle = bundle.extractfile(member)
            if handle is None:
                raise KeyError(member)
            return handle.read()
    except (KeyError, tarfile.TarError, zipfile.BadZipFile) as error:
        archive.unlink()
        raise InputError(
            url, Problem(f"an archive holding {member}", value=str(error), rule="archive-member")
        ) from None


def check_present(configured: dict[str, str], mirror: Path, downloads: Downloads) -> None:
    """Raise one :class:`InputError` naming every configured input (config key -> path as configured) that is
    neither where it points (absolute, beside the config, or in ``mirror``) nor in the download cache nor
    downloadable: a planner's typo stops the planning, not a job minutes later."""
    problems = []
    for key, path in configured.items():
        downloadable = not downloads.offline and any(
            name == path or name.startswith(path.rstrip("/") + "/") for name, remote in downloads.files.items()
            if remote.url
        )  # fmt: skip
        if (mirror / path).exists() or (downloads.cache / path).exists() or downloadable:
            continue
        where = "" if Path(path).is_absolute() else f" (relative to the config file or to the mirror {mirror})"
        problems.append(Problem(f"an existing file or folder for {key}{where}", value=path, rule="present"))
    if problems:
        raise InputError("config", problems)
