"""The origin config in a REAL nginx on 127.0.0.1: cache and security headers, gzip, 404 and
410 pages, and the 410 list following ROOT/current without a reload (SPEC §7)."""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from publish import deploy
from publish.nginx import IMMUTABLE, REVALIDATE, SHORT, NginxValueInvalid, nginx_conf
from publish.publish import publish
from publish.settings import load_settings
from tests.support import FIXTURE_AS_OF, FIXTURE_CONTENT, copy_content, served_files

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
GONGSHI = str(Path(sys.executable).with_name("gongshi"))
PREFIX = "/gongshi/"
GONE_CASE = "cases/2023/2023-0003/"  # expired in the fixture corpus as of FIXTURE_AS_OF
LATER = dt.date(2028, 12, 1)

pytestmark = pytest.mark.nginx  # 2026-0031's window (ends 2028-11-23) is over by then


def _require_nginx() -> None:
    if not os.access(NGINX, os.X_OK):
        pytest.fail(f"nginx not found at {NGINX}: run `make system-deps` (Debian package nginx)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_nginx(root: Path, workdir: Path, prefix: str = PREFIX):
    """A real nginx serving ``gongshi nginx-conf`` for ``root``; yields its base URL."""
    _require_nginx()
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    (workdir / "site.conf").write_text(nginx_conf(root, listen=f"127.0.0.1:{port}", prefix=prefix))
    temp = "\n".join(f"  {kind}_temp_path {workdir}/{kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (workdir / "nginx.conf").write_text(f"""
user {pwd.getpwuid(os.getuid()).pw_name};
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log;
events {{ worker_connections 64; }}
http {{
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
{temp}
  include {workdir}/site.conf;
}}
""")
    check = subprocess.run([NGINX, "-t", "-q", "-e", str(workdir / "error.log"), "-p", str(workdir),
                            "-c", str(workdir / "nginx.conf")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr + (workdir / "error.log").read_text()
    proc = subprocess.Popen([NGINX, "-e", str(workdir / "error.log"), "-p", str(workdir),
                             "-c", str(workdir / "nginx.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_listening(port, proc)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait_listening(port: int, proc: subprocess.Popen) -> None:
    for _ in range(200):
        assert proc.poll() is None, "nginx exited at start-up"
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.02)
    pytest.fail("nginx did not start listening")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """(status, lower-cased headers, body) of one GET, errors included, redirects not followed."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _OPENER.open(request, timeout=10) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """(content, root): the fixture corpus published once."""
    base = tmp_path_factory.mktemp("nginx")
    content = copy_content(FIXTURE_CONTENT, base / "content")
    publish(content, base / "root", FIXTURE_AS_OF, load_settings())
    return content, base / "root"


@pytest.fixture(scope="module")
def server(published, tmp_path_factory):
    with running_nginx(published[1], tmp_path_factory.mktemp("nginx-run")) as base:
        yield base + PREFIX


def _site_file(root: Path, pattern: str) -> str:
    """The site-relative path of the first served file matching ``pattern`` (a glob)."""
    site = root / "current" / "site"
    found = [p for p in served_files(site) if p.match(pattern)]
    assert found, f"no {pattern} in the built site"
    return found[0].relative_to(site).as_posix()


SECURITY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
}


def test_pages_are_short_lived_revalidated_and_secured(server):
    """SPEC §7: HTML is short-lived and revalidated (ETag), with a strict CSP on every response."""
    status, headers, body = fetch(server)
    assert status == 200 and "<html" in body.decode()
    assert headers["cache-control"] == SHORT
    assert "etag" in headers and headers["content-type"].startswith("text/html")
    csp = headers["content-security-policy"]
    for part in ("default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "object-src 'none'",
                 "frame-ancestors 'none'", "base-uri 'self'", "img-src 'self' data:"):
        assert part in csp
    assert "unsafe-inline" not in csp
    for name, value in SECURITY.items():
        assert headers[name] == value
    again, _, _ = fetch(server, {"If-None-Match": headers["etag"]})
    assert again == 304


def test_hashed_index_files_are_immutable_entry_files_are_not(server, published):
    """SPEC §7: content-hashed Pagefind files are immutable; the entry files always revalidate."""
    root = published[1]
    fragment = _site_file(root, "*.pf_fragment")
    status, headers, _ = fetch(server + fragment)
    assert status == 200 and headers["cache-control"] == IMMUTABLE
    for name in ("pagefind-entry.json", "pagefind.js"):
        status, headers, _ = fetch(server + _site_file(root, name))
        assert status == 200 and headers["cache-control"] == REVALIDATE, name
    status, headers, _ = fetch(server + "theme/site.css")
    assert status == 200 and headers["cache-control"] == SHORT  # not fingerprinted


def test_text_is_gzipped(server):
    """SPEC §7: text responses are compressed for the CDN and browsers."""
    for path in ("", "theme/site.css"):
        status, headers, body = fetch(server + path, {"Accept-Encoding": "gzip"})
        assert status == 200 and headers.get("content-encoding") == "gzip", path
        assert "Accept-Encoding" in headers.get("vary", "")
        assert len(gzip.decompress(body)) > len(body)


def test_expired_urls_answer_410_with_the_site_page(server):
    """R-RET5/R-RET2, SPEC §7: an expired result's URL is 410 Gone in every spelling."""
    for path in (GONE_CASE, GONE_CASE.rstrip("/"), GONE_CASE + "index.html"):
        status, headers, body = fetch(server + path)
        assert status == 410, path
        assert "页面不存在" in body.decode() and headers["cache-control"] == SHORT
        assert headers["x-frame-options"] == "DENY"


def test_404_page_links_work_at_any_depth(server):
    """SPEC §6/§7: the 404 page served for a deep URL links to the site root, not relative to it."""
    status, _, body = fetch(server + "cases/2099/no-such-case/deeper/")
    html = body.decode()
    assert status == 404 and "页面不存在" in html
    links = re.findall(r'(?:href|src|action)="([^"#]+)"', html)
    assert links and all(link.startswith(PREFIX) for link in links), links
    css = next(link for link in links if link.endswith(".css"))
    assert fetch(server.removesuffix(PREFIX) + css)[0] == 200


def test_directory_redirects_are_relative(server):
    """SPEC §7: behind a CDN the origin never redirects to its own host and port."""
    status, headers, _ = fetch(server.rstrip("/"))
    assert status == 301 and headers["location"] == PREFIX
    status, headers, _ = fetch(server + "cases/2026/2026-0012")
    assert status == 301 and headers["location"] == PREFIX + "cases/2026/2026-0012/"


def test_410_list_follows_current_without_reload(published, tmp_path):
    """SPEC §7: switching current (publish, rollback) switches pages and 410s together,
    with no nginx reload."""
    content = copy_content(published[0], tmp_path / "content")
    root = tmp_path / "root"
    shutil.copytree(published[1], root, symlinks=True)
    first = deploy.current_release(root)
    case = "cases/2026/2026-0031/"
    with running_nginx(root, tmp_path / "nginx") as base:
        assert fetch(base + PREFIX + case)[0] == 200
        publish(content, root, LATER, load_settings())
        assert fetch(base + PREFIX + case)[0] == 410
        assert fetch(base + PREFIX + GONE_CASE)[0] == 410
        deploy.switch_current(root, first)  # what rollback --force does
        assert fetch(base + PREFIX + case)[0] == 200


def test_root_prefix_and_bad_values(tmp_path):
    """SPEC §7: the config also serves from '/', and refuses values that would inject into it."""
    text = nginx_conf(tmp_path, prefix="/")
    assert "location ^~ / {" in text and "error_page 404 /404.html;" in text
    for kind, value in (("prefix", "gongshi"), ("server_name", "a; include /etc/x"),
                        ("listen", "80; evil"), ("root", "/a b")):
        kwargs = {kind: value} if kind != "root" else {}
        with pytest.raises(NginxValueInvalid):
            nginx_conf(Path(value) if kind == "root" else tmp_path, **kwargs)


CORRECTION = """id: GZ-2026-900
case: 2026-0020
received_on: 2026-11-02
applicant: 申请人测试
contact: "13900000000"
claim: 退回金额表述有误。
evidence: 缴款凭证
decision: accepted
decided_on: 2026-11-20
changes:
  - field: facts
    old: "{old}"
    new: "{new}"
reply_on: 2026-11-21
reply: 经核实，已予以更正。
"""


def test_apply_correction_is_served_by_nginx(published, tmp_path):
    """R-CORR (002 第十七条 及时更正): from `gongshi apply-correction` starting to nginx
    serving the corrected page; the measured time is printed."""
    content = copy_content(published[0], tmp_path / "content")
    root = tmp_path / "root"
    shutil.copytree(published[1], root, symlinks=True)
    case_file = content / "cases" / "2026" / "2026-0020.md"
    text = case_file.read_text(encoding="utf-8")
    old = re.search(r"^facts: (.+)$", text, re.M).group(1).strip()
    new = old + "（已更正）"
    case_file.write_text(text.replace(old, new, 1), encoding="utf-8")
    (content / "corrections" / "GZ-2026-900.yaml").write_text(CORRECTION.format(old=old, new=new),
                                                              encoding="utf-8")
    with running_nginx(root, tmp_path / "nginx") as base:
        url = base + PREFIX + "cases/2026/2026-0020/"
        assert "（已更正）" not in fetch(url)[2].decode()
        started = time.perf_counter()
        run = subprocess.run([GONGSHI, "apply-correction", "GZ-2026-900",
                              "--content", str(content), "--root", str(root),
                              "--as-of", FIXTURE_AS_OF.isoformat(), "--quiet"],
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr + run.stdout
        while "（已更正）" not in fetch(url)[2].decode():
            assert time.perf_counter() - started < 300
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    assert "corrected page live at https://ybj.ceshi.gov.cn/gongshi/cases/2026/2026-0020/" in run.stdout
    print(f"\napply-correction → served by nginx: {elapsed:.2f}s")
