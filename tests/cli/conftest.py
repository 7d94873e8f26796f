"""Helpers the CLI tests of several commands share (pytest loads the fixtures of tests/conftest.py too)."""

from __future__ import annotations


def _ok(result):
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    return result
