"""The built-in server and the send path under abuse (issue 8): oversized and
malformed request bodies, header values the MIME writer takes for line breaks,
addresses with control characters, text that is not UTF-8."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from mailtrap_cli.local.http import MAX_BODY

EMAIL = ["send", "email", "--from", "app@example.com", "--to", "user@example.com",
         "--subject", "Hi", "--text", "Hello"]
PAYLOAD = {"from": {"email": "app@example.com"}, "to": [{"email": "user@example.com"}],
           "subject": "Hi", "text": "Hello"}


def _raw(server, data: bytes, timeout: float = 5) -> bytes:
    with socket.create_connection((server.running.host, server.running.port),
                                  timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                piece = sock.recv(65536)
            except TimeoutError:
                break
            if not piece:
                break
            chunks.append(piece)
            if b"\r\n\r\n" in b"".join(chunks):
                break
        return b"".join(chunks)


def test_an_oversized_body_is_refused_from_content_length_before_reading(server):
    head = (f"POST /api/send HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
            f"Content-Type: application/json\r\nContent-Length: {3 * 1024 ** 3}\r\n\r\n")
    started = time.monotonic()
    answer = _raw(server, head.encode() + b"{")   # 3 GB announced, 1 byte sent
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert time.monotonic() - started < 3
    assert server.call("GET", "/_local/health").status_code == 200


@pytest.mark.parametrize("size_line", [b"-1", b"+10", b"0x10", b"fffffffffffffffffff"])
def test_a_bad_chunk_size_is_answered_400_without_blocking(server, size_line):
    head = (b"POST /api/send HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + size_line + b"\r\n{}\r\n0\r\n\r\n")
    started = time.monotonic()
    answer = _raw(server, head)
    assert answer.startswith(b"HTTP/1.1 400"), answer
    assert time.monotonic() - started < 3


def test_chunked_bodies_over_the_limit_are_413(server):
    size = MAX_BODY + 1
    head = (b"POST /api/send HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + f"{size:x}".encode() + b"\r\n")
    assert _raw(server, head).startswith(b"HTTP/1.1 413")


@pytest.mark.parametrize("value", ["a\u2028b", "a\vb", "a\fb", "a\x00b", "a\x85b"])
def test_header_values_with_line_breaks_are_refused_by_cli_and_server(cli, server, value):
    result = cli(*EMAIL, "--header", f"X-Trace: {value}")
    result.assert_clean_error(2)
    assert "line breaks" in result.stderr or "control characters" in result.stderr
    answer = server.call("POST", "/api/send", json={**PAYLOAD, "headers": {"X-Trace": value}},
                         headers={"Authorization": "Bearer t"})
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["success"] is False


@pytest.mark.parametrize("address", ["nul\x00@example.com", "del\x7f@example.com",
                                     "bell\x07@example.com"])
def test_addresses_with_control_characters_are_refused(cli, server, address):
    result = cli("send", "email", "--from", "app@example.com", "--to", address,
                 "--subject", "Hi", "--text", "Hello")
    result.assert_clean_error(2)
    answer = server.call("POST", "/api/send", json={**PAYLOAD, "to": [{"email": address}]},
                         headers={"Authorization": "Bearer t"})
    assert answer.status_code in (400, 422), answer.text
    assert server.call("GET", "/_local/deliveries").json() == []


@pytest.mark.parametrize("flag", ["--subject", "--header"])
def test_text_that_is_not_utf8_on_the_command_line_is_a_usage_error(run_mailtrap, server,
                                                                     flag):
    value = os.fsdecode(b"caf\xe9")          # what Python makes of Latin-1 argv bytes
    args = [a for a in EMAIL]
    if flag == "--subject":
        args[args.index("--subject") + 1] = value
    else:
        args += ["--header", f"X-Name: {value}"]
    result = run_mailtrap(*args, env={"MAILTRAP_PROFILE": "local",
                                      "MAILTRAP_BASE_URL": server.url})
    result.assert_clean_error(2)
    assert "not valid UTF-8" in result.stderr


def test_three_concurrent_oversized_posts_do_not_grow_the_server(server):
    head = (f"POST /api/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
            f"Content-Length: {1536 * 1024 ** 2}\r\n\r\n").encode()
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(_raw(server, head)))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(answers) == 3 and all(a.startswith(b"HTTP/1.1 413") for a in answers)


@pytest.mark.parametrize("header", ["X-A: a\u2028b", "X-A: a\vb", "X-A: a\fb", "X A: b"])
def test_api_refuses_request_headers_http_cannot_carry(cli, server, header):
    result = cli("api", "/api/accounts", "-H", header)
    result.assert_clean_error(2)
    assert server.requests(path="/api/accounts") == []
