"""The index's one error: a policy document that cannot be used."""

from __future__ import annotations


class PolicyError(Exception):
    """A policy document cannot be used; the message names the file, the problem and the fix."""
