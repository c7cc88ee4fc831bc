"""Answering a question from the policy's own words: the assistant, its answers and their checks."""

from index.compiled import use_compiled

use_compiled(__name__, __path__)
