"""TLS for `mailtrap local serve --tls`: a local certificate authority and a
certificate for localhost / 127.0.0.1 / ::1, made once with the `cryptography`
package (the optional extra `mailtrap-cli[tls]`) and kept in a 0700 folder
next to the database, every file 0600.

- `ca.pem`         the CA certificate: what apps trust (NODE_EXTRA_CA_CERTS)
- `ca-bundle.pem`  the CA plus the usual public roots (REQUESTS_CA_BUNDLE,
                   SSL_CERT_FILE), so an app trusting it still reaches the internet
- `ca.key`         the CA's private key (re-issues the server certificate)
- `server.pem`, `server.key`   the server's certificate and key

The server certificate is re-issued when it expires within 30 days; the CA
lasts ten years. Nothing here is secret beyond this machine: the CA can sign
for any name, which is why its key never leaves the 0600 file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CA_DAYS = 3650
SERVER_DAYS = 397          # what browsers and Apple's TLS accept for a leaf
RENEW_BEFORE_DAYS = 30
NAMES = ("localhost",)
ADDRESSES = ("127.0.0.1", "::1")


class TlsUnavailable(Exception):
    """The `cryptography` package is not installed."""


@dataclass(frozen=True)
class TlsFiles:
    folder: Path
    ca: Path
    ca_bundle: Path
    ca_key: Path
    cert: Path
    key: Path

    @classmethod
    def under(cls, folder: Path) -> TlsFiles:
        return cls(folder, folder / "ca.pem", folder / "ca-bundle.pem", folder / "ca.key",
                   folder / "server.pem", folder / "server.key")

    def server_context(self) -> Any:
        """An ssl.SSLContext serving the certificate (TLS 1.2+)."""
        import ssl

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(str(self.cert), str(self.key))
        return context

    def client_context(self) -> Any:
        """An ssl.SSLContext trusting only the local CA (tests, `sandbox smtp-test`)."""
        import ssl

        return ssl.create_default_context(cafile=str(self.ca))


def tls_folder(db: str) -> Path:
    """Where the certificates live: `tls/` next to the database file (the data
    folder for `:memory:`)."""
    if db == ":memory:":
        from mailtrap_cli.local.transport import default_db

        return default_db().parent / "tls"
    return Path(db).expanduser().resolve().parent / "tls"


def ensure(folder: Path) -> TlsFiles:
    """The TLS files under `folder`, made or renewed as needed."""
    try:
        from cryptography import x509  # noqa: F401
    except ImportError:
        raise TlsUnavailable("--tls needs the `cryptography` package") from None
    files = TlsFiles.under(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _locked(folder / ".lock"):   # two servers starting at once make one CA
        if not (files.ca.exists() and files.ca_key.exists()):
            _make_ca(files)
        if not (files.cert.exists() and files.key.exists()) or _expiring(files.cert):
            _make_server_cert(files)
        if not files.ca_bundle.exists() \
                or files.ca_bundle.stat().st_mtime < files.ca.stat().st_mtime:
            _write(files.ca_bundle, files.ca.read_bytes() + b"\n" + _public_roots(files.ca_bundle))
    return files


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            import fcntl
        except ImportError:     # Windows: no advisory lock; first starts rarely race
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# -- making ------------------------------------------------------------------
def _write(path: Path, data: bytes) -> None:
    """Write a 0600 file atomically (a half-written key is never read)."""
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _cert_pem(cert: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM)


def _now() -> Any:
    from datetime import datetime, timedelta, timezone

    return datetime.now(timezone.utc) - timedelta(minutes=5)   # small clock skews


def _make_ca(files: TlsFiles) -> None:
    import socket
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    key = _key()
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mailtrap-cli local server"),
        x509.NameAttribute(NameOID.COMMON_NAME,
                           f"mailtrap-cli local CA ({socket.gethostname()[:40]})"),
    ])
    start = _now()
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    _write(files.ca_key, _key_pem(key))
    _write(files.ca, _cert_pem(cert))
    # A new CA invalidates the old server certificate.
    for stale in (files.cert, files.key):
        stale.unlink(missing_ok=True)


def _make_server_cert(files: TlsFiles) -> None:
    import ipaddress
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_cert = x509.load_pem_x509_certificate(files.ca.read_bytes())
    ca_key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
    key = _key()
    start = _now()
    names = [x509.DNSName(n) for n in NAMES]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ADDRESSES]
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=SERVER_DAYS))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                ca_ski), critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write(files.key, _key_pem(key))
    _write(files.cert, _cert_pem(cert))


def _expiring(cert_path: Path) -> bool:
    from datetime import datetime, timedelta, timezone

    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except ValueError:
        return True
    left = cert.not_valid_after_utc - datetime.now(timezone.utc)
    return left < timedelta(days=RENEW_BEFORE_DAYS)


def _public_roots(own: Path) -> bytes:
    """The roots an app would trust without us: a bundle the environment names
    (corporate CAs included), else the system's, else certifi's."""
    import ssl

    paths = ssl.get_default_verify_paths()
    candidates = [os.environ.get("REQUESTS_CA_BUNDLE"), os.environ.get("SSL_CERT_FILE"),
                  paths.cafile, paths.openssl_cafile]
    try:
        import certifi

        candidates.append(certifi.where())
    except ImportError:
        pass
    for candidate in candidates:
        if not candidate or Path(candidate).resolve() == own.resolve():  # never our own
            continue
        try:
            data = Path(candidate).read_bytes()
        except OSError:
            continue
        if b"BEGIN CERTIFICATE" in data:
            return data
    return b""
