"""Policy text in, ranked sections out: load Markdown policies, split them, tokenize, rank."""
