"""gaussian_exact: exact ground truth for the theory of model collapse (numpy/scipy only).

With Gaussian targets and affine score errors every quantity of THEORY.md (divergences, reverse
outputs, path energies, observability, the recursive pipeline) is computed exactly. In one and two
dimensions, `GridLaw` targets take ANY score or error callable: `reverse`, `path_energy`,
`observability`, `kl` and `chi2` then give the exact law and quantities of the K-step Euler-Maruyama
chain on a grid (THEORY.md section 7; grid_law.py, grid_chain.py), and `block_result` /
`combine_blocks` extend them to products of such blocks (grid_products.py).
THEORY.md §8: tilted path moments and path Renyi divergences (`tilted_moment`, `path_renyi`, exact;
`path_renyi_mc`, Monte Carlo), the assumptions A1-A4 (`assumption_report`) and the proof's steps
(a)-(e) with computed constants (`proof_skeleton`).
The ideal recursion with early stopping and its limit law (THEORY.md §5, reconstructed):
`ideal_recursion`, `limit_law`, `hermite_coefficients`, `schedules`.
One schedule object, `TimeGrid` (T, t0 in [0, T), steps or an explicit grid, init), is accepted as
`schedule=` by the exact functions; any Gaussian-transition sampler (`euler_maruyama` on any grid,
`ddpm_ancestral`, THEORY.md §8) as `sampler=`, with the schedule and prediction adapters of
noise_schedules.py. DDPM's last, noiseless step x_0 = clip(m(x_1)) has its exact law too
(`FinalStepLaw`: atoms where clipping is active; `reverse(GridLaw, sampler=ddpm)` returns it).
"""
from .affine_error import AffineError
from .divergence_reason import DivergenceReason, DivergenceResult
from .divergences import chi2, chi2_reason, hellinger, kl, renyi2, w2
from .grid_divergences import chi2_good_set, good_set
from .gaussian import Gaussian
from .grid_chain import GridChainResult, StepFields, run_grid_chain
from .grid_law import GridLaw
from .grid_products import BlockResult, block_result, combine_blocks
from .hermite import hermite_coefficients, hermite_functions
from .ideal_recursion import ideal_recursion, limit_law
from .generations import GenerationsResult, generations
from .mixture import GaussianMixture, chi2_to_mixture, kl_to_mixture
from .observability import EtaEstimate, observability, observability_mc
from .ou import forward, forward_score, noise_variance, signal_scale
from .path_energy import path_energy
from .path_moments import path_renyi, tilted_moment
from .tilted_result import TiltedMoment
from .tilted_log_field import LogTiltedField
from .grid_path_moments import ConditionalPathQuantities, GridPathMoments, combine_tilted, grid_path_moments
from .path_renyi_mc import PathMomentEstimate, path_renyi_mc
from .proof_skeleton import InequalityRow, ProofSkeleton, proof_skeleton, skeleton_from_moments
from .assumptions import AssumptionReport, assumption_report
from .reverse import reverse
from .smoothed_mixture import SmoothedMixture
from .two_component_divergences import Chi2BeyondFloatRange
from .total_variation import TVNotResolved, tv, tv_with_error
from . import schedules
from .time_grid import TimeGrid
from .gaussian_sampler import GaussianSampler, ddpm_ancestral, euler_maruyama
from .gaussian_chain import GaussianChainLaw, gaussian_chain
from .final_step_law import FinalStepLaw, final_step_gaussian, final_step_law
from .noise_schedules import (cosine_betas, karras_sigmas, linear_betas, ou_time_from_sigma, ou_times_from_betas,
                              score_from_prediction, sigma_from_ou_time, vp_ou_time)

__all__ = [
    "AffineError", "BlockResult", "Chi2BeyondFloatRange", "EtaEstimate", "Gaussian", "GaussianMixture", "GenerationsResult", "GridChainResult", "GridLaw", "chi2",
    "block_result", "chi2_to_mixture", "combine_blocks", "forward", "forward_score", "generations", "kl", "kl_to_mixture",
    "noise_variance", "observability", "observability_mc", "path_energy", "renyi2", "reverse",
    "StepFields", "run_grid_chain", "signal_scale", "w2",
]
__all__ += ["DivergenceReason", "DivergenceResult", "chi2_good_set", "chi2_reason",
            "good_set"]  # THEORY.md section 8: why chi2 is infinite, the good-set chi2
__all__ += ["SmoothedMixture", "hermite_coefficients", "hermite_functions", "ideal_recursion", "limit_law",
            "schedules"]  # THEORY.md §5, the limit law (reconstructed)
__all__ += ["AssumptionReport", "ConditionalPathQuantities", "GridPathMoments", "InequalityRow", "PathMomentEstimate",
            "ProofSkeleton", "TiltedMoment", "assumption_report", "combine_tilted", "grid_path_moments", "path_renyi",
            "path_renyi_mc", "proof_skeleton", "skeleton_from_moments", "tilted_moment", "hellinger",
            "LogTiltedField"]  # THEORY.md §8
__all__ += ["GaussianChainLaw", "GaussianSampler", "TimeGrid", "cosine_betas", "ddpm_ancestral", "euler_maruyama",
            "gaussian_chain", "karras_sigmas", "linear_betas", "ou_time_from_sigma", "ou_times_from_betas",
            "score_from_prediction", "sigma_from_ou_time", "vp_ou_time", "FinalStepLaw",
            "final_step_gaussian", "final_step_law"]  # THEORY.md §8: any Gaussian-transition sampler, DDPM's final step
__all__ += ["TVNotResolved", "tv", "tv_with_error"]  # THEORY.md §8: exact TV between Gaussians (Imhof)
