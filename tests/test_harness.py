"""The test harness itself says when a check is off: without ../shared the OpenAPI
check of every exchange cannot run, which the summary says, and which is an error
in CI (env CI set). Each case runs pytest on a sample file (pytester)."""

from __future__ import annotations

import pytest

from tests import spec_check

CONFTEST = '''
from pathlib import Path

import tests.spec_check

tests.spec_check.SPEC_DIR = Path({spec_dir!r})

from tests.conftest import *  # noqa: E402,F403
'''
SAMPLE = '''
def test_one(cli):
    assert cli("sandbox", "messages", "list").code == 0
'''


@pytest.fixture
def sample(pytester, monkeypatch):
    def make(spec_dir: str, ci: str | None):
        if ci is None:
            monkeypatch.delenv("CI", raising=False)
        else:
            monkeypatch.setenv("CI", ci)
        pytester.makeconftest(CONFTEST.format(spec_dir=spec_dir))
        pytester.makepyfile(test_sample=SAMPLE)
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")

    return make


def test_without_the_specs_the_summary_says_the_check_is_off(sample, tmp_path):
    result = sample(str(tmp_path / "missing"), None)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*OpenAPI spec check OFF*", "*missing not found*"])


@pytest.mark.parametrize("ci", ["1", "true"])
def test_without_the_specs_ci_is_an_error(sample, tmp_path, ci):
    result = sample(str(tmp_path / "missing"), ci)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*CI is set but*missing is missing*"])


def test_ci_false_is_not_ci(sample, tmp_path):
    result = sample(str(tmp_path / "missing"), "false")
    result.assert_outcomes(passed=1)


@pytest.mark.skipif(not spec_check.available(), reason="needs ../shared/mailtrap-openapi")
def test_with_the_specs_nothing_is_said(sample):
    result = sample(str(spec_check.SPEC_DIR), "1")
    result.assert_outcomes(passed=1)
    assert "OpenAPI spec check OFF" not in result.stdout.str()
