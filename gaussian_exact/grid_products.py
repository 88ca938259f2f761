"""Products of independent blocks of coordinates (THEORY.md section 7, "Products").

When the target and the score error factor over blocks of coordinates (the paper's 10-D mixture is a
2-D mixture in (x1, x2) times eight independent N(0, 0.36) coordinates; a coordinate-wise error such
as beta tanh(x) keeps the factoring), the reverse chain factors too: the output law is the product of
the blocks' outputs, the paths are independent, and (derived)
* KL, eps2 and epshat2 add over blocks;
* 1 + chi2 multiplies (int p^2/q of a product is the product of the integrals);
* eta = sum_f eta_f eps2_f / sum_f eps2_f (M = sum_f M_f with independent terms, so the variances
  of E[M | Y] and of M add).
Mixing breaks the factoring: q = alpha data + (1 - alpha) p of two product laws is not a product, so
this holds for one generation from a product law (or alpha in {0, 1}), not along the pipeline.
Blocks are GridLaws (d = 1, 2, any callable error) or Gaussians (AffineError, closed form).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .time_grid import keyword_form
from .divergences import chi2, kl
from .gaussian import Gaussian
from .grid_chain import run_grid_chain
from .grid_law import GridLaw
from .linear_sde import propagate_learned_and_ideal
from .observability import eta_of


@dataclass
class BlockResult:
    """One block's (or a combined product's) divergences of the learned output to a reference law and
    its path quantities; `multiplicity` counts identical copies of the block.

    Parameters
    ----------
    kl : float
        KL of the learned output to the reference law.
    chi2 : float
        chi2 of the learned output to the reference law.
    eps2 : float
        Ideal-path energy.
    epshat2 : float
        Learned-path energy.
    eta : float
        Observability (NaN when eps2 = 0).
    multiplicity : int
        Identical copies of this block (default 1).
    """

    kl: float
    chi2: float
    eps2: float
    epshat2: float
    eta: float
    multiplicity: int = 1


def block_result(target, error=None, T: float = 4.0, t0: float = 0.02, steps=None, init="prior",
                 score=None, reference="ideal", multiplicity: int = 1, *, schedule=None) -> BlockResult:
    """Run one block's learned and ideal chains and measure the learned output against `reference`.

    Parameters
    ----------
    target : GridLaw or Gaussian
        The block's training law.
    error, score : callable (GridLaw) or AffineError (Gaussian)
    T, t0, steps, init : as in `reverse` (steps required for a GridLaw)
    reference : "ideal", "target", or a law of the block's kind
        KL and chi2 are those of the learned output to the ideal chain's output, to the target, or to
        the given law.
    multiplicity : int >= 1
        Number of identical independent copies of this block.
    schedule : TimeGrid, optional
        T, t0, steps and init as one object (a uniform grid; time_grid.py), instead of the keywords.

    Returns
    -------
    BlockResult

    Raises
    ------
    ValueError
        Naming target (neither GridLaw nor Gaussian), reference or multiplicity.
    """
    T, t0, steps, init = keyword_form(schedule, T, t0, steps, init)
    if isinstance(multiplicity, bool) or int(multiplicity) != multiplicity or multiplicity < 1:
        raise ValueError(f"multiplicity must be an integer >= 1, got {multiplicity}")
    if isinstance(target, GridLaw):
        r = run_grid_chain(target, error, T, t0, steps, init, score, learned=True, ideal=True, track_eta=True)
        learned, ideal, eps2, epshat2, eta = r.learned, r.ideal, r.eps2, r.epshat2, r.eta
    elif isinstance(target, Gaussian):
        if score is not None:
            raise ValueError("score= is for GridLaw blocks; give a Gaussian block an AffineError")
        le, idl = propagate_learned_and_ideal(target, error, T, t0, steps, init=init, track_ideal=True)
        learned, ideal, eps2, epshat2 = le.out, idl.out, idl.energy, le.energy
        eta = eta_of(idl)
    else:
        raise ValueError(f"target must be a GridLaw or a Gaussian, got {type(target).__name__}")
    ref = ideal if (isinstance(reference, str) and reference == "ideal") else (
        target if (isinstance(reference, str) and reference == "target") else reference)
    if isinstance(ref, str):
        raise ValueError(f"reference must be 'ideal', 'target' or a law, got {reference!r}")
    return BlockResult(kl(learned, ref), chi2(learned, ref), eps2, epshat2, eta, int(multiplicity))


def combine_blocks(blocks) -> BlockResult:
    """The product's quantities from its blocks' (module docstring); multiplicities expanded.

    Parameters
    ----------
    blocks : iterable of BlockResult
        The blocks of a product law.

    Returns
    -------
    BlockResult
        Summed KL and energies, chi2 = prod (1 + chi2_b) - 1 (inf beyond the float range), eta
        weighted by eps2 (NaN when the total eps2 is 0), multiplicity 1.

    Raises
    ------
    ValueError
        When `blocks` is empty.
    """
    blocks = list(blocks)
    if not blocks:
        raise ValueError("blocks must hold at least one BlockResult")
    kl_sum = sum(b.multiplicity * b.kl for b in blocks)
    log_one_plus = sum(b.multiplicity * math.log1p(b.chi2) for b in blocks)
    chi2_total = math.inf if log_one_plus > 700 else math.expm1(log_one_plus)
    eps2 = sum(b.multiplicity * b.eps2 for b in blocks)
    epshat2 = sum(b.multiplicity * b.epshat2 for b in blocks)
    weighted = [(b.multiplicity * b.eps2, b.eta) for b in blocks if b.eps2 > 0]
    eta = sum(w * e for w, e in weighted) / eps2 if eps2 > 0 else math.nan
    return BlockResult(kl_sum, chi2_total, eps2, epshat2, eta, 1)
