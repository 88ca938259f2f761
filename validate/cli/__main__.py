"""`python -m validate.cli`: the `collapse` command."""
from validate.cli.main import main

raise SystemExit(main())
