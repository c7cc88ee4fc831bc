"""`python -m qa.cli`: the privacy-qa command."""

from qa.cli.main import main

raise SystemExit(main())
