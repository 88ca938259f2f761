"""The `collapse` command line (`validate.cli.main`): one module per subcommand."""
from validate.cli.main import UsageError, main
from validate.cli.parser import build_parser

__all__ = ["UsageError", "build_parser", "main"]
