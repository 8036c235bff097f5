"""
A real IMAP server for the mailbox tests: Debian's Dovecot (`apt-get install dovecot-imapd`; .ci/run installs it),
started on 127.0.0.1 with a configuration of the test session's own in a temporary folder: one passwd-file user, a
maildir in the folder, IMAP over TLS only, with a self-signed certificate made here that the client trusts through
settings.MAILBOX_TLS_CA_FILE (a setting for tests only).
"""

import datetime
import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "replies", "correct horse battery staple"


@dataclass
class Dovecot:
    host: str
    port: int
    user: str
    password: str
    ca_file: str
    folder: Path
    process: subprocess.Popen

    def log(self):
        path = self.folder / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def make_certificate(folder):
    """A self-signed certificate for localhost and 127.0.0.1; returns (certificate path, key path)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _service_user():
    """Who the mail processes run as: this user, or Dovecot's own when the tests run as root (CI)."""
    if os.getuid() != 0:
        entry = pwd.getpwuid(os.getuid())
        return entry.pw_name, entry.pw_uid, entry.pw_gid
    entry = pwd.getpwnam("dovecot")
    return entry.pw_name, entry.pw_uid, entry.pw_gid


CONFIG = """\
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain
auth_failure_delay = 0
default_login_user = {login_user}
default_internal_user = {login_user}
first_valid_uid = {uid}
last_valid_uid = {uid}
mail_location = maildir:{folder}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {folder}/users
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


def start(folder):
    """Start Dovecot in `folder` (made and owned by the caller); returns a Dovecot once it accepts connections."""
    folder = Path(folder)
    cert, key = make_certificate(folder)
    login_user, uid, gid = _service_user()
    (folder / "mail").mkdir()
    (folder / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{folder}/home/{USER}\n")
    if os.getuid() == 0:
        os.chown(folder / "mail", uid, gid)
        os.chmod(folder, 0o755)
    port = free_port()
    config = folder / "dovecot.conf"
    config.write_text(CONFIG.format(folder=folder, cert=cert, key=key, login_user=login_user, uid=uid, port=port))
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL,
                               stderr=open(folder / "stderr.log", "wb"))  # noqa: SIM115 (kept open with the process)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Dovecot stopped at start: {(folder / 'stderr.log').read_text()} "
                               f"{(folder / 'dovecot.log').read_text() if (folder / 'dovecot.log').exists() else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("Dovecot did not accept connections within 15 s")
    return Dovecot(host="127.0.0.1", port=port, user=USER, password=PASSWORD, ca_file=str(cert), folder=folder,
                   process=process)


def stop(server):
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
