"""Policy text in, ranked sections out: load Markdown policies, split them, tokenize, rank."""

from index.compiled import use_compiled

use_compiled(__name__, __path__)
