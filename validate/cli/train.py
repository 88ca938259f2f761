"""`collapse train`: recursive retraining of a score model, resumable (neural.retraining).

collapse train --target gmm --model kde --alpha 0.5 --generations 3 --n 512 --steps 50 \
    --seed 0 --device cpu --out DIR [--mode replace|accumulate] [--alpha-schedule 0.9 0.5 ...] \
    [--metrics D_chi2 I_chi2 eps2 epshat2 eta] [--exact auto|grid|off]

Rerunning the same command on the same --out resumes after the last finished generation (a larger
--generations extends the run). Bad settings are usage errors (one line, exit 2), found by
the argument types (generated from the fields of `neural.config.RetrainingConfig`) and by the
configuration's own checks, before anything is written; the message names the option.
"""
from __future__ import annotations

import argparse

from neural.retraining import Retraining
from validate.cli.main import UsageError
from validate.cli.train_options import add_train_arguments, train_config
from validate.pipeline.train_settings import TRAIN_SETTINGS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the subcommand's options.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser.
    """
    add_train_arguments(parser)


#: the headline metrics of `collapse train`'s line per generation
SHOWN = ("fresh_fraction", "D_kl", "D_chi2", "I_kl", "I_chi2", "eps2", "epshat2", "eta", "w2_to_data",
         "tv_p_data", "hel_p_data")


def run(args) -> int:
    """Run (or resume) one recursive retraining run.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options.

    Returns
    -------
    int
        Exit status (0).

    Raises
    ------
    UsageError
        If the settings are refused (ValueError), or the learner (a user's "module:factory") does not
        build or lacks a member of `neural.Learner`: before anything is written.
    """
    try:
        config = train_config(args)
        engine = Retraining(config, args.out, progress=not args.quiet)   # builds and checks the learner
    except ValueError as exc:   # a setting refused with another ("hidden needs model mlp"): name its option
        message = str(exc)
        name = message.split(maxsplit=1)[0] if message else ""
        if name in TRAIN_SETTINGS:
            message = f"argument --{name.replace('_', '-')}: {message}"
        raise UsageError(message) from None
    rows = engine.run()
    for row in rows:
        print(generation_line(row))
    print(f"{len(rows)} generation(s) in {args.out} (every metric, its standard error and estimator: metrics.jsonl)")
    return 0


def generation_line(row: dict) -> str:
    """One short line per generation: the headline metrics present, with their standard errors."""
    parts = []
    for k in SHOWN:
        v = row.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            se = row.get(f"{k}_se")
            parts.append(f"{k} {v:.4g}" + (f" +- {se:.2g}" if isinstance(se, (int, float)) and se else ""))
    return f"generation {row.get('generation')}: " + ", ".join(parts)
