"""
The optional RFC 3161 timestamp of a pack's signature (issue 18), against a real timestamp authority made here with
`openssl ts` (a test CA, a TSA certificate it issued, and a tiny HTTP responder running `openssl ts -reply`); and,
with no authority configured, proof that signing sends nothing anywhere.
"""

import http.server
import io
import socket
import subprocess
import threading
import zipfile

import pytest

from campaigns.packs import signature, timestamps
from tests.campaigns.test_pack_signing import (
    extract,
    openssl_commands,
    run,
    same_verdict,
    signing_key,  # noqa: F401 (a fixture)
    verify_pack,
)
from tests.campaigns.test_packs import build, request, unpack, verify

pytestmark = pytest.mark.django_db

TSA_CONFIG = """
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {folder}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture
def authority(tmp_path, settings):
    """A timestamp authority on a local port: its URL and CA file set in settings; yields the requests it answered."""
    folder = tmp_path / "tsa"
    folder.mkdir()
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=Test Timestamp CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr",
            "-subj", "/CN=Test Timestamp Authority", cwd=folder)
    (folder / "tsa.ext").write_text("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                                    "extendedKeyUsage=critical,timeStamping\n")
    openssl("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "tsa.pem", "-days", "2", "-extfile", "tsa.ext", cwd=folder)
    (folder / "serial").write_text("01\n")
    (folder / "tsa.cnf").write_text(TSA_CONFIG.format(folder=folder))
    answered = []
    lock = threading.Lock()

    class Responder(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the standard library's name)
            query = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                (folder / "query.tsq").write_bytes(query)
                subprocess.run(["openssl", "ts", "-reply", "-config", "tsa.cnf", "-queryfile", "query.tsq",
                                "-out", "reply.tsr"], cwd=folder, check=True, capture_output=True, timeout=60)
                reply = (folder / "reply.tsr").read_bytes()
                answered.append(self.headers["Content-Type"])
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Responder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.PACK_TIMESTAMP_AUTHORITY_URL = f"http://127.0.0.1:{server.server_address[1]}/tsr"
    settings.PACK_TIMESTAMP_AUTHORITY_CA_FILE = str(folder / "ca.pem")
    yield answered
    server.shutdown()
    server.server_close()


def test_a_configured_authority_timestamps_the_signature_and_the_verdict_shows_the_time(
        authority, signing_key, coordinator, group, pack_campaign, django_capture_on_commit_callbacks,  # noqa: F811
        own_private_storage, client, tmp_path, settings):
    pack = build(request(coordinator, group, pack_campaign.campaign, django_capture_on_commit_callbacks))
    data, files = unpack(pack)
    assert authority == ["application/timestamp-query"] and "manifest.sig.tsr" in files

    # openssl alone checks it, with the command VERIFY.txt gives and the authority's CA certificate.
    folder = extract(files, tmp_path / "pack")
    (folder / "tsa-ca.pem").write_bytes((tmp_path / "tsa" / "ca.pem").read_bytes())
    checked = run(openssl_commands(files)["ts"], folder)
    assert checked.returncode == 0 and "Verification: OK" in checked.stdout

    stamped_at = timestamps.decode_timestamp_response(files["manifest.sig.tsr"]).tst_info.gen_time.isoformat()
    verdict, _ = same_verdict(client, tmp_path, data)
    page = verify(client, "pack.zip", data).content.decode()
    assert verdict == "signed" and f"Timestamped at {stamped_at} by the site" in page
    out, accepted, _ = verify_pack(tmp_path, data)
    assert accepted and f"Timestamped at {stamped_at} by the site's timestamp authority (its signature checked)." in out

    # A timestamp of something else (here: of another signature) is named, not taken for this pack's.
    other = timestamps.request_timestamp(b"another signature entirely")
    swapped = io.BytesIO()
    with zipfile.ZipFile(swapped, "w") as archive:
        for name, content in {**files, "manifest.sig.tsr": other}.items():
            archive.writestr(name, content)
    out, _, _ = verify_pack(tmp_path, swapped.getvalue())
    assert "The timestamp is not of this pack's signature." in out

    # Without the CA certificate the time is still shown, saying it was not checked.
    settings.PACK_TIMESTAMP_AUTHORITY_CA_FILE = ""
    out, _, _ = verify_pack(tmp_path, data)
    assert f"Timestamped at {stamped_at} (the timestamp authority's signature was not checked" in out


def test_an_authority_that_does_not_answer_fails_the_pack_with_its_reason(
        signing_key, coordinator, group, pack_campaign, django_capture_on_commit_callbacks,  # noqa: F811
        own_private_storage, settings):
    from campaigns.tasks import build_briefing_pack

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.PACK_TIMESTAMP_AUTHORITY_URL = f"http://127.0.0.1:{port}/tsr"
    pack = request(coordinator, group, pack_campaign.campaign, django_capture_on_commit_callbacks)
    build_briefing_pack(pack.pk)
    pack.refresh_from_db()
    assert pack.status == "failed" and "could not be timestamped" in pack.error


@pytest.fixture
def outbound(monkeypatch):
    """Every address this process tries to connect to while the test runs."""
    attempts = []
    real_connect = socket.socket.connect

    def connect(sock, address):
        attempts.append(address)
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


def sign_a_manifest():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        signature.write_signed_manifest(archive, {"format": "disentangle-briefing-pack", "files": []})
    return zipfile.ZipFile(buffer).namelist()


def test_without_an_authority_signing_sends_nothing_anywhere(signing_key, outbound, settings):  # noqa: F811
    settings.PACK_TIMESTAMP_AUTHORITY_URL = ""
    assert sign_a_manifest() == ["manifest.json", "manifest.sig"]
    assert outbound == []


def test_the_outbound_check_sees_a_request_when_an_authority_is_set(signing_key, outbound, authority):  # noqa: F811
    # The control of the test above: the same signing with an authority set does connect, and the guard sees it.
    assert "manifest.sig.tsr" in sign_a_manifest()
    assert outbound and authority
