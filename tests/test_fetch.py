"""`chancery fetch` against a loopback HTTP server serving corpus files (never the internet)."""

from __future__ import annotations

import hashlib
import http.server
import socket
import subprocess
import sys
import tarfile
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from conftest import corpus_path

from chancery.archive import Archive
from chancery.fetch.dfat import fetch_dfat
from chancery.fetch.frus import fetch_frus
from chancery.fetch.http import Fetcher, FetchError, git_blob_sha1, read_sums

VOLUME = "frus1917-72PubDip"  # a small real volume: 44 documents
DFAT_DOCS = ("338-", "335-", "299-")  # three documents of DFAT volume 2


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with directory listings and `Range: bytes=N-` support; records each request."""

    log: list[tuple[str, str | None]] = []

    def log_message(self, *args: object) -> None:
        pass

    def send_head(self):  # type: ignore[override]
        _Handler.log.append((self.path, self.headers.get("Range")))
        path = Path(self.translate_path(self.path))
        spec = self.headers.get("Range")
        if not spec or not path.is_file():
            return super().send_head()
        start = int(spec.removeprefix("bytes=").split("-")[0])
        size = path.stat().st_size
        if start >= size:
            self.send_error(416)
            return None
        handle = path.open("rb")
        handle.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        return handle


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("mirror")
    (root / "volumes").mkdir()
    gz = corpus_path("frus", "volumes", f"{VOLUME}.xml.gz").read_bytes()
    (root / "volumes" / f"{VOLUME}.xml").write_bytes(zlib.decompress(gz, 16 + zlib.MAX_WBITS))
    folder = root / "_volumes" / "volume-2-1939"
    folder.mkdir(parents=True)
    with tarfile.open(corpus_path("dfat", "volume-2-1939.tar.gz")) as tar:
        for member in tar:
            name = Path(member.name).name
            if member.isfile() and name.startswith(DFAT_DOCS):
                handle = tar.extractfile(member)
                assert handle is not None
                (folder / name).write_bytes(handle.read())
    tree = {
        "tree": [
            {"path": f"_volumes/volume-2-1939/{p.name}", "type": "blob", "sha": git_blob_sha1(p)}
            for p in sorted(folder.iterdir())
        ]
        + [{"path": "_volumes/volume-2-1939", "type": "tree", "sha": "0" * 40}]
    }
    (root / "tree.json").write_bytes(orjson.dumps(tree))

    def handler(*args, **kwargs):
        return _Handler(*args, directory=str(root), **kwargs)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()
    httpd.server_close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fetch_frus_from_loopback_and_ingest(server, tmp_path):
    base, root = server
    db, dest = tmp_path / "a.db", tmp_path / "dl"
    run = subprocess.run(
        [sys.executable, "-m", "chancery", "fetch", "frus", VOLUME, "--from", base, "--to", str(dest)]
        + ["--ingest", "--db", str(db), "--interval", "0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    got = dest / "frus" / f"{VOLUME}.xml"
    assert _sha(got) == _sha(root / "volumes" / f"{VOLUME}.xml")
    assert read_sums(got.parent) == {got.name: _sha(got)}
    assert "1 fetched" in run.stderr and "ingested 44 documents" in run.stderr
    with Archive.open(str(db)) as archive:
        assert archive.document(f"{VOLUME}/d2").date.when == "1917-08-13"


def test_resume_from_part_file_and_skip_when_complete(server, tmp_path):
    base, root = server
    source = root / "volumes" / f"{VOLUME}.xml"
    part = tmp_path / "frus" / f".{VOLUME}.xml.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(source.read_bytes()[:5000])  # an interrupted download
    _Handler.log.clear()
    (result,) = fetch_frus([VOLUME], tmp_path, base, Fetcher(interval=0))
    assert result.status == "resumed" and not part.exists()
    assert (f"/volumes/{VOLUME}.xml", "bytes=5000-") in _Handler.log
    assert _sha(result.path) == _sha(source) == result.sha256
    _Handler.log.clear()
    (again,) = fetch_frus([VOLUME], tmp_path, base, Fetcher(interval=0))
    assert again.status == "unchanged" and _Handler.log == []  # checked against .SHA256SUMS, not fetched


def test_fetch_dfat_from_tree_listing_and_from_directory_listing(server, tmp_path):
    base, root = server
    from_tree = fetch_dfat(["2"], tmp_path / "a", base, f"{base}/tree.json", Fetcher(interval=0))
    from_index = fetch_dfat(["2"], tmp_path / "b", base, None, Fetcher(interval=0))
    names = sorted(r.path.name for r in from_tree)
    assert len(names) == 3 and names == sorted(r.path.name for r in from_index)
    for r in from_tree:
        assert r.path.parent == tmp_path / "a" / "dfat" / "volume-2-1939"
        assert _sha(r.path) == _sha(root / "_volumes" / "volume-2-1939" / r.path.name)
    with pytest.raises(FetchError, match="no DFAT volume 9"):
        fetch_dfat(["9"], tmp_path / "c", base, None, Fetcher(interval=0))


def test_checksum_mismatch_is_refused(server, tmp_path):
    base, _ = server
    fetcher = Fetcher(interval=0)
    with pytest.raises(FetchError, match="checksum mismatch"):
        fetcher.download(f"{base}/volumes/{VOLUME}.xml", tmp_path / "v.xml", git_sha1="0" * 40)
    assert not (tmp_path / "v.xml").exists() and not (tmp_path / ".v.xml.part").exists()


def test_missing_volume_and_offline_messages(server, tmp_path):
    base, _ = server
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch_frus(["frus1800v99"], tmp_path, base, Fetcher(interval=0))
    with pytest.raises(FetchError, match="not a FRUS volume id"):
        fetch_frus(["../etc/passwd"], tmp_path, base, Fetcher(interval=0))
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = subprocess.run(
        [sys.executable, "-m", "chancery", "fetch", "frus", VOLUME, "--from", f"http://127.0.0.1:{port}"]
        + ["--to", str(tmp_path), "--interval", "0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (
        run.returncode == 2
        and "are you offline?" in " ".join(run.stderr.split())
        and "Traceback" not in run.stderr
    )


def test_requests_keep_a_polite_interval(server):
    base, _ = server
    fetcher = Fetcher(interval=0.3)
    start = time.monotonic()
    for _ in range(3):
        fetcher.get_bytes(f"{base}/tree.json")
    assert time.monotonic() - start >= 0.6
