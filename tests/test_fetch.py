"""Official downloads against a local HTTP server on 127.0.0.1 serving the shared files, with its faults.

No test here opens any other address: every URL is the loopback server's.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath

import pytest
from conftest import SHARED, snakemake

from coverage.errors import InputError
from coverage.france.sources.fetch import Downloads, Remote, fetch

HAD = SHARED / "facilities" / "sae-2023" / "HAD_2023r.csv"
COMMUNES_JSON = SHARED / "population" / "communes.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Server(ThreadingHTTPServer):
    """Serves ``files`` (name -> bytes) under paths naming a behaviour: ``/<behaviour>/<name>``."""

    def __init__(self, files: dict[str, bytes]):
        super().__init__(("127.0.0.1", 0), Handler)
        self.files = files
        self.requests: Counter[str] = Counter()
        self.ranges: list[str] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass

    def do_GET(self) -> None:
        behaviour, _, name = self.path.strip("/").partition("/")
        self.server.requests[self.path] += 1
        count = self.server.requests[self.path]
        data = self.server.files.get(name)
        if data is None:
            return self._send(404, b"not found")
        if behaviour == "wrong":
            data = data[::-1]
        if behaviour == "error500" or (behaviour == "error500-twice" and count <= 2):
            return self._send(500, b"server error")
        if behaviour == "slow" or (behaviour == "slow-once" and count == 1):
            time.sleep(1.5)
        offset = self._range_start()
        if behaviour == "truncated" and count == 1:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 3])
            self.wfile.flush()
            self.close_connection = True
            return None
        if offset:
            self.server.ranges.append(self.headers["Range"])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {offset}-{len(data) - 1}/{len(data)}")
            data = data[offset:]
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return None

    def _range_start(self) -> int:
        header = self.headers.get("Range", "")
        return int(header.removeprefix("bytes=").split("-")[0]) if header.startswith("bytes=") else 0

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def tgz_of(members: dict[str, bytes]) -> bytes:
    """A .tgz holding the members, like an npm package."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as bundle:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            bundle.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


PACKAGE_DATA = {
    f"package/data/{name}": (SHARED / "population" / name).read_bytes()
    for name in ("communes.json", "departements.json", "regions.json")
}


@pytest.fixture(scope="module")
def server():
    files = {
        "HAD_2023r.csv": HAD.read_bytes(),
        "communes.json": COMMUNES_JSON.read_bytes(),
        "decoupage.tgz": tgz_of(PACKAGE_DATA),
    }
    httpd = Server(files)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()


def downloads(
    cache: Path, url: str, expected: str = "", offline: bool = False, member: str = "", **policy
) -> Downloads:
    settings = {"retries": 3, "backoff_s": 0.05, "timeout_s": 5.0, **policy}
    return Downloads(
        offline=offline, cache=cache, files={"sae/HAD_2023r.csv": Remote(url, expected, member)}, **settings
    )


HAD_SHA = sha256(HAD.read_bytes())


def test_download_is_verified_and_then_skipped(server, tmp_path):
    settings = downloads(tmp_path / "cache", f"{server.base}/ok/HAD_2023r.csv", HAD_SHA)
    path = fetch("sae/HAD_2023r.csv", tmp_path / "empty-mirror", settings)
    assert sha256(path.read_bytes()) == HAD_SHA and path.parent == tmp_path / "cache" / "sae"
    before = server.requests["/ok/HAD_2023r.csv"]
    assert fetch("sae/HAD_2023r.csv", tmp_path / "empty-mirror", settings) == path
    assert server.requests["/ok/HAD_2023r.csv"] == before, "a verified copy must not be downloaded again"
    assert not list((tmp_path / "cache").rglob("*.part"))


def test_truncated_transfer_is_resumed_with_a_range_request(server, tmp_path):
    expected = sha256(COMMUNES_JSON.read_bytes())
    settings = downloads(tmp_path / "cache", f"{server.base}/truncated/communes.json", expected)
    path = fetch("sae/HAD_2023r.csv", tmp_path / "mirror", settings)
    assert sha256(path.read_bytes()) == expected
    offset = int(server.ranges[-1].removeprefix("bytes=").rstrip("-"))
    assert 0 < offset <= COMMUNES_JSON.stat().st_size // 3


def test_wrong_checksum_stops_and_leaves_nothing(server, tmp_path):
    settings = downloads(tmp_path / "cache", f"{server.base}/wrong/HAD_2023r.csv", HAD_SHA)
    with pytest.raises(InputError) as error:
        fetch("sae/HAD_2023r.csv", tmp_path / "mirror", settings)
    text = str(error.value)
    assert "/wrong/HAD_2023r.csv" in text and "[rule sha256]" in text and HAD_SHA in text
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


def test_server_errors_are_retried_with_back_off(server, tmp_path):
    settings = downloads(tmp_path / "cache", f"{server.base}/error500-twice/HAD_2023r.csv", HAD_SHA)
    started = time.monotonic()
    path = fetch("sae/HAD_2023r.csv", tmp_path / "mirror", settings)
    assert sha256(path.read_bytes()) == HAD_SHA and server.requests["/error500-twice/HAD_2023r.csv"] == 3
    assert time.monotonic() - started >= 0.05 + 0.1  # waited 0.05 s then 0.1 s


def test_persistent_server_error_is_reported_after_every_attempt(server, tmp_path):
    settings = downloads(tmp_path / "cache", f"{server.base}/error500/HAD_2023r.csv", HAD_SHA, retries=2)
    with pytest.raises(InputError, match=r"(?s)/error500/HAD_2023r.csv.*HTTP 500.*within 3 attempts \[rule download\]"):
        fetch("sae/HAD_2023r.csv", tmp_path / "mirror", settings)
    assert server.requests["/error500/HAD_2023r.csv"] == 3


def test_missing_file_on_the_server_fails_at_once(server, tmp_path):
    settings = downloads(tmp_path / "cache", f"{server.base}/ok/absent.csv", HAD_SHA)
    with pytest.raises(InputError, match="HTTP 404"):
        fetch("sae/HAD_2023r.csv", tmp_path / "mirror", settings)


def test_slow_server_times_out_then_is_retried(server, tmp_path):
    slow = downloads(tmp_path / "cache", f"{server.base}/slow/HAD_2023r.csv", HAD_SHA, timeout_s=0.3, retries=1)
    with pytest.raises(InputError, match=r"(?s)Timeout.*within 2 attempts"):
        fetch("sae/HAD_2023r.csv", tmp_path / "mirror", slow)
    once = downloads(tmp_path / "cache", f"{server.base}/slow-once/HAD_2023r.csv", HAD_SHA, timeout_s=0.3)
    assert sha256(fetch("sae/HAD_2023r.csv", tmp_path / "mirror", once).read_bytes()) == HAD_SHA


def test_offline_switch_makes_a_missing_file_an_error_without_any_request(server, tmp_path):
    before = sum(server.requests.values())
    settings = downloads(tmp_path / "cache", f"{server.base}/ok/HAD_2023r.csv", HAD_SHA, offline=True)
    with pytest.raises(InputError, match=r"(?s)mirror.*HAD_2023r.csv.*downloads are off.*\[rule present\]"):
        fetch("sae/HAD_2023r.csv", tmp_path / "mirror", settings)
    assert sum(server.requests.values()) == before


def test_mirror_file_of_another_edition_is_refused(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "sae").mkdir(parents=True)
    (mirror / "sae" / "HAD_2023r.csv").write_bytes(HAD.read_bytes() + b"X;Y\r\n")
    with pytest.raises(InputError, match=r"(?s)HAD_2023r.csv.*\[rule sha256\]"):
        fetch("sae/HAD_2023r.csv", mirror, downloads(tmp_path / "cache", "", HAD_SHA))


@pytest.mark.integration
def test_pipeline_downloads_the_population_from_the_official_archive(server, tmp_path):
    """End to end: an empty mirror, the npm archive of @etalab/decoupage-administratif served on loopback.

    The départements' régions, read when the workflow is planned, come from the same archive.
    """
    (tmp_path / "mirror").mkdir()
    files = {
        f"population/{PurePosixPath(member).name}": {
            "url": f"{server.base}/truncated/decoupage.tgz",
            "member": member,
            "sha256": sha256(data),
        }
        for member, data in PACKAGE_DATA.items()
    }
    config = {
        "mirror": str(tmp_path / "mirror"),
        "downloads": {"offline": False, "retries": 2, "backoff_s": 0.05, "timeout_s": 10, "cache": "cache",
                      "files": files},
        "calibration": None,  # its reference times, read when planning, have no download address
    }  # fmt: skip
    run = snakemake(tmp_path / "run", config, "data/raw/population.json")
    assert run.returncode == 0, run.stderr[-3000:]
    raw = tmp_path / "run" / "data" / "raw" / "population.json"
    assert raw.read_bytes() == COMMUNES_JSON.read_bytes()
    offline = snakemake(tmp_path / "offline", {**config, "downloads": {**config["downloads"], "offline": True}},
                        "data/raw/population.json")  # fmt: skip
    assert offline.returncode != 0 and "downloads are off" in offline.stdout + offline.stderr
