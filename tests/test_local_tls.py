"""`local serve --tls`: the local CA, HTTPS on the API port, STARTTLS and implicit
TLS on SMTP, AUTH over both, and the official SDK over HTTPS trusting the CA
through REQUESTS_CA_BUNDLE (no patch beyond the host)."""

from __future__ import annotations

import smtplib
import ssl
import stat

import pytest
import requests

pytest.importorskip("cryptography")

RAW = "From: App <app@example.com>\r\nTo: Bob <bob@example.com>\r\nSubject: {s}\r\n\r\nhi\r\n"
LOGIN = ("local-sandbox-1", "local-password-1")


def _subjects(server) -> list[str]:
    return [r["subject"] for r in server.app.store.all("SELECT subject FROM messages ORDER BY id")]


def test_certificates_made_once_0600_in_a_0700_folder(tmp_path):
    from mailtrap_cli.local.tls import ensure

    folder = tmp_path / "tls"
    files = ensure(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in (files.ca, files.ca_key, files.cert, files.key, files.ca_bundle):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    first = files.ca.read_bytes(), files.cert.read_bytes()
    again = ensure(folder)
    assert (again.ca.read_bytes(), again.cert.read_bytes()) == first
    # the bundle is the CA plus public roots: an app trusting it still reaches others
    bundle = files.ca_bundle.read_bytes()
    assert bundle.startswith(files.ca.read_bytes()) and bundle.count(b"BEGIN CERTIFICATE") > 1


def test_server_certificate_renewed_when_expiring(tmp_path, monkeypatch):
    from mailtrap_cli.local import tls

    files = tls.ensure(tmp_path / "tls")
    old_ca, old_cert = files.ca.read_bytes(), files.cert.read_bytes()
    monkeypatch.setattr(tls, "RENEW_BEFORE_DAYS", tls.SERVER_DAYS + 1)
    renewed = tls.ensure(tmp_path / "tls")
    assert renewed.ca.read_bytes() == old_ca and renewed.cert.read_bytes() != old_cert


def test_https_api_trusts_only_the_local_ca(tls_server):
    assert tls_server.url.startswith("https://127.0.0.1:")
    assert tls_server.call("GET", "/api/accounts").status_code == 200
    by_name = tls_server.url.replace("127.0.0.1", "localhost")
    r = requests.get(by_name + "/api/accounts", headers={"Authorization": "Bearer x"},
                     verify=str(tls_server.tls.ca_bundle), timeout=5)
    assert r.status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_server.url + "/api/accounts", timeout=5)   # the public roots only


def test_plain_http_to_the_https_port_fails_without_hurting_the_server(tls_server):
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(tls_server.url.replace("https:", "http:") + "/api/accounts", timeout=5)
    assert tls_server.call("GET", "/api/accounts").status_code == 200


def test_smtp_starttls_then_auth(tls_server):
    context = ssl.create_default_context(cafile=str(tls_server.tls.ca))
    smtp_port = tls_server.running.smtp.port
    with smtplib.SMTP("localhost", smtp_port, timeout=5) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        client.starttls(context=context)
        client.ehlo()
        assert not client.has_extn("starttls")
        client.login(*LOGIN)
        client.sendmail("app@example.com", ["bob@example.com"], RAW.format(s="starttls"))
    assert _subjects(tls_server) == ["starttls"]


def test_smtp_auth_without_tls_still_works_on_loopback(tls_server):
    with smtplib.SMTP("127.0.0.1", tls_server.running.smtp.port, timeout=5) as client:
        client.login(*LOGIN)
        client.sendmail("app@example.com", ["bob@example.com"], RAW.format(s="plain"))
    assert _subjects(tls_server) == ["plain"]


def test_smtps_implicit_tls_and_auth(tls_server):
    context = ssl.create_default_context(cafile=str(tls_server.tls.ca))
    port = tls_server.running.smtps.port
    with smtplib.SMTP_SSL("127.0.0.1", port, timeout=5, context=context) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("local-sandbox-1", "wrong")
        client.login(*LOGIN)
        client.sendmail("app@example.com", ["bob@example.com"], RAW.format(s="smtps"))
    assert _subjects(tls_server) == ["smtps"]
    # sandboxes list both ports: plain/STARTTLS first, then implicit TLS
    box = tls_server.call("GET", "/api/sandboxes/1").json()
    assert box["smtp_ports"] == [tls_server.running.smtp.port, port]


def test_smtps_refuses_an_untrusting_client(tls_server):
    with pytest.raises(ssl.SSLError):
        smtplib.SMTP_SSL("127.0.0.1", tls_server.running.smtps.port, timeout=5,
                         context=ssl.create_default_context())


def test_sdk_over_https_with_the_ca_bundle(tls_server, monkeypatch):
    """The SDK unchanged but for its hard-coded host, trusting the server through
    REQUESTS_CA_BUNDLE, as `eval "$(mailtrap local env)"` sets it."""
    pytest.importorskip("mailtrap")
    import mailtrap
    import mailtrap.client

    from tests.test_local_sdk import ACCOUNT_ID, exercise_sdk

    hostport = tls_server.url.split("://", 1)[1]
    monkeypatch.setattr(mailtrap.client, "GENERAL_HOST", hostport)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_server.tls.ca_bundle))
    client = mailtrap.MailtrapClient(token="any-token", account_id=str(ACCOUNT_ID))
    exercise_sdk(client, hostport)


def test_servers_starting_at_once_make_one_consistent_ca(tmp_path):
    import threading

    from mailtrap_cli.local.tls import ensure

    folder = tmp_path / "tls"
    barrier = threading.Barrier(4)
    made = []

    def start() -> None:
        barrier.wait()
        made.append(ensure(folder))

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    files = made[0]
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
    cert.verify_directly_issued_by(ca)


def test_bundle_builds_on_the_roots_the_environment_names(tmp_path, monkeypatch):
    from mailtrap_cli.local.tls import ensure

    corporate = ensure(tmp_path / "other").ca       # any CA stands in for a corporate one
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(corporate))
    files = ensure(tmp_path / "tls")
    assert files.ca_bundle.read_bytes() == files.ca.read_bytes() + b"\n" + corporate.read_bytes()
    # a later run with the environment pointing at our own bundle does not nest it
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(files.ca_bundle))
    files.ca_bundle.unlink()
    again = ensure(tmp_path / "tls")
    assert again.ca_bundle.read_bytes().count(files.ca.read_bytes()) == 1
