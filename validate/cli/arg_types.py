"""Argument types of the `collapse` command line: every value range declared once.

Each type parses a string and checks its range with the library's own checker (`bounds.validation`,
`validate.settings`), so the CLI, the configuration objects and sweep specs agree on what is allowed; a bad value becomes
argparse's one-line usage error (exit 2) naming the option.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import tempfile

from bounds.validation import check_nonnegative, check_unit_interval
from validate import settings


def typed(name: str, parse, check=None):
    """An argument type: `parse` (float, int or str) then ``check(name, value)`` (a range; None: any).

    Parameters
    ----------
    name : str
        Option name used in messages.
    parse : callable
        float, int or str.
    check : callable or None
        ``check(name, value)`` raising ValueError (`validate.settings`).

    Returns
    -------
    callable
        ``convert(text)``: the value, or argparse.ArgumentTypeError naming the option.
    """
    def convert(text: str):
        try:
            value = parse(text)
        except ValueError:
            kind = "an integer" if parse is int else "a number"
            raise argparse.ArgumentTypeError(f"{name} must be {kind}, got {text!r}") from None
        if check is not None:
            try:
                check(name, value)
            except ValueError as exc:
                raise argparse.ArgumentTypeError(str(exc)) from None
        return value

    convert.__name__ = name
    convert.scalar = parse  # float or int: what a value from a file (a sweep spec) must be
    convert.check = (lambda value: check(name, value)) if check is not None else (lambda value: None)
    return convert


def fraction(name: str):
    """A float in [0, 1] (alpha).

    Parameters
    ----------
    name : str
        Option name used in messages.

    Returns
    -------
    callable
        ``convert(text)``: the parsed value, or argparse.ArgumentTypeError naming the option when
        the text is not a number or the value is out of range.
    """
    return typed(name, float, check_unit_interval)


def nonnegative(name: str):
    """A float >= 0 (inf allowed): energies, divergences, D_0.

    Parameters
    ----------
    name : str
        Option name used in messages.

    Returns
    -------
    callable
        ``convert(text)``: the parsed value, or argparse.ArgumentTypeError naming the option when
        the text is not a number or the value is out of range.
    """
    return typed(name, float, check_nonnegative)


def positive(name: str):
    """A finite float > 0: times, bandwidths.

    Parameters
    ----------
    name : str
        Option name used in messages.

    Returns
    -------
    callable
        ``convert(text)``: the parsed value, or argparse.ArgumentTypeError naming the option when
        the text is not a number or the value is out of range.
    """
    return typed(name, float, settings.positive)


def finite(name: str):
    """Any finite float: slopes, biases.

    Parameters
    ----------
    name : str
        Option name used in messages.

    Returns
    -------
    callable
        ``convert(text)``: the parsed value, or argparse.ArgumentTypeError naming the option when
        the text is not a number or the value is out of range.
    """
    return typed(name, float, settings.finite)


def count(name: str, at_least: int = 0):
    """An integer >= at_least: generations, sizes, steps.

    Parameters
    ----------
    name : str
        Option name used in messages.
    at_least : int
        Smallest allowed value (default 0).

    Returns
    -------
    callable
        ``convert(text)``: the parsed int, or argparse.ArgumentTypeError naming the option when
        the text is not an integer or the value is out of range.
    """
    return typed(name, int, settings.at_least(at_least))


def _why_not_writable(path: pathlib.Path) -> str | None:
    """Why the directory `path` cannot be created or written (None when it can): a directory is
    created and removed in it, or in its nearest existing ancestor."""
    try:
        if path.exists() and not path.is_dir():
            return "it is a file, not a directory"
        where = next(p for p in (path, *path.parents) if p.exists())
    except OSError as exc:
        return str(exc.strerror or exc)
    if not where.is_dir():
        return f"{str(where)!r} is a file, not a directory"
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".collapse-write-probe-", dir=where))
    except OSError as exc:
        return f"{exc.strerror or exc} (in {str(where)!r})"
    return None


def output_directory(name: str):
    """A directory that can be created (with its parents) or that exists and can be written: an
    impossible output path (under /proc, a read-only mount, a file) is a usage error up front.

    Parameters
    ----------
    name : str
        Option name used in messages.

    Returns
    -------
    callable
        ``convert(text)``: the text unchanged, or argparse.ArgumentTypeError naming the option and
        the reason when the directory cannot be created or written (checked by creating and
        removing an empty directory in it or in its nearest existing ancestor).
    """
    def convert(text: str) -> str:
        why = _why_not_writable(pathlib.Path(text).expanduser())
        if why is not None:
            raise argparse.ArgumentTypeError(f"cannot create or write the directory {text!r}: {why}")
        return text

    convert.__name__ = name
    return convert
