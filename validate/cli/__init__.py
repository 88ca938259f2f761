"""The `collapse` command line (`validate.cli.main`): one module per subcommand."""
from validate.cli.main import UsageError, build_parser, main

__all__ = ["UsageError", "build_parser", "main"]
