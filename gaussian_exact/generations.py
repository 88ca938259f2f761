"""The recursive pipeline in the Gaussian world (THEORY.md section 2; Lemma F.1, the one-step identity,
the innovation inequality, Prop 3.1, Thm 3.4).

Generation 0 is `p0` (default: data, so D_0 = 0). For i = 0..N-1:
  * training law q_i: "replace": alpha_i data + (1 - alpha_i) p^i; "accumulate": the pool of all
    batches so far, q_i = 1/(i+1) sum_{j<=i} [alpha_j data + (1 - alpha_j) p^j];
  * learner: the moment-matched Gaussian G_i of q_i (the optimal affine score, THEORY.md section 4),
    or, with n_samples, the Gaussian fitted (sample mean, unbiased covariance) to a seeded
    training set of n_samples points (round(alpha n) fresh; in "accumulate" all batches so far);
    its score plus the injected error e_i;
  * p^{i+1} = reverse(learner, ...): exact. The ideal path P*_i uses the exact score of G_i (our
    stand-in for q_i's score); the total score error relative to it is e_i plus, with n_samples,
    the affine fitting fluctuation (Sig_t^-1 - SigHat_t^-1) x + a_t (SigHat_t^-1 mHat - Sig_t^-1 m).
Divergences D use chi2, KL, W2 of p^g to data (closed form); D_renyi2 = log(1 + D_chi2) carries chi2
in log space where it exceeds the float range (D_chi2 is then inf, as are the identity terms below). The identity terms use the
weight 1/data and are closed form (gaussian_integrals.py):
  chi2_q_data = chi2(q_i || data) (Lemma F.1: = (1 - alpha)^2 D_i in "replace"),
  cross = <p^i - data, p^{i+1} - q_i>, cross_q = <q_i - data, p^{i+1} - q_i>,
  J = int (p^{i+1} - q_i)^2 / data, so D_{i+1} = chi2_q_data + 2 cross_q + J exactly, and in
  "replace" D_{i+1} = (1-alpha)^2 D_i + 2 (1-alpha) cross + J.
I_chi2, I_kl = chi2, KL(p^{i+1} || q_i) to the mixture: numerical, with error estimates
I_chi2_se, I_kl_se (see mixture.py): quadrature in d = 1; in d >= 2 exact for a two-component q_i
("replace"; the characteristic function of the components' log-ratio, error about 1e-13), and
importance sampling (fixed seed, a standard error) for the more components of "accumulate"; like
D_chi2, I_chi2 is inf where it exceeds the float range (chi2_to_mixture raises Chi2BeyondFloatRange
there). I_chi2_gaussian, I_kl_gaussian: to G_i, exact.
kl_ideal, chi2_ideal: divergences of p^{i+1} to the ideal output (reverse with the exact score of
G_i, same grid and init): the quantities Prop 3.1 (kl_ideal <= epshat2 / 2) and Thm 3.4 bound
exactly; I_i in the paper equals chi2_ideal when the ideal sampler reproduces q_i (no t0, exact
init, Gaussian q_i).
hel_p_ideal = H(p^{i+1}, ideal output) (closed form) and hel_ideal_q_bound = (sum_j w_j H^2(ideal output,
q_i's component j))^{1/2} >= H(ideal output, q_i) (joint convexity of H^2; q_i is a mixture), for the
Hellinger accumulation law of THEORY.md section 8 (a larger bias term keeps the law valid).
TV likewise (total_variation.py, any dimension, with an error estimate: tv_with_error): D_tv = rho_g = TV(p^g, data),
tv_p_ideal = TV(p^{i+1}, ideal output), tv_ideal_q_bound = sum_j w_j TV(ideal output, q_i's component j)
>= b_i = TV(ideal output, q_i) (TV is convex in each argument), and tv_error the largest error estimate
of the TVs of transition i (those two and D_tv of generations i and i + 1).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .time_grid import keyword_form
from .affine_error import AffineError, add_errors
from .divergences import chi2, hellinger, kl, renyi2, w2
from .gaussian import Gaussian
from .gaussian_integrals import weighted_inner
from .linear_sde import check_error, check_schedule, propagate_learned_and_ideal
from .mixture import GaussianMixture, chi2_to_mixture, kl_to_mixture
from .two_component_divergences import Chi2BeyondFloatRange
from .observability import eta_of
from .total_variation import tv_with_error
from .ou import noise_variance, signal_scale
from .validation import count, real_scalar

TRANSITION_FIELDS = (
    "I_chi2", "I_chi2_se", "I_kl", "I_kl_se", "I_chi2_gaussian", "I_kl_gaussian", "kl_ideal",
    "chi2_ideal", "chi2_q_data", "cross", "cross_q", "J", "eps2", "epshat2", "eta",
    "hel_p_ideal", "hel_ideal_q_bound", "tv_p_ideal", "tv_ideal_q_bound", "tv_error",
)
LAW_FIELDS = ("D_chi2", "D_renyi2", "D_kl", "D_w2", "D_hel", "D_tv")


@dataclass
class GenerationsResult:
    """Per-generation arrays. Law fields (D_*) have N+1 entries (generations 0..N); transition
    fields (alpha and TRANSITION_FIELDS) have N entries, entry i describing generation i -> i+1.

    Built by `generations`; THEORY.md section 2 (the recursive pipeline).

    Parameters
    ----------
    alpha : numpy.ndarray, shape (N,)
        alpha_i of each transition.
    laws : list of Gaussian
        p^0, ..., p^N.
    learners : list of Gaussian
        The learner's target of each round (the fitted law when sampling).
    moment_matched : list of Gaussian
        The moment-matched training law G_i of each round.
    training : list of GaussianMixture
        The training law q_i of each round.
    ideal_outputs : list of Gaussian
        The output of the ideal (error-free) reverse path of each round.
    D_chi2, D_kl, D_w2, D_renyi2, D_hel, D_tv : numpy.ndarray, shape (N + 1,)
        Divergences of p^g to the data (D_hel: the Hellinger distance, closed form; D_tv: the total
        variation, to the error estimate in the tv_error field; NaN where no method resolved it).
    arrays : dict
        The TRANSITION_FIELDS arrays (also readable as attributes).
    settings : dict
        The run's settings.
    """

    alpha: np.ndarray
    laws: list
    learners: list
    moment_matched: list
    training: list
    ideal_outputs: list
    D_chi2: np.ndarray
    D_kl: np.ndarray
    D_w2: np.ndarray
    D_renyi2: np.ndarray
    D_hel: np.ndarray
    D_tv: np.ndarray
    arrays: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)

    def __getattr__(self, name):
        arrays = self.__dict__.get("arrays", {})
        if name in arrays:
            return arrays[name]
        raise AttributeError(name)

    @property
    def n_generations(self) -> int:
        return len(self.alpha)

    def rows(self) -> list[dict]:
        """One dict per generation g = 0..N: "generation", "alpha" (alpha_g, NaN for g = N), the D_*
        of p^g, and the transition fields of g -> g+1 (NaN for g = N)."""
        out = []
        for g in range(self.n_generations + 1):
            last = g == self.n_generations
            row = {"generation": g, "alpha": math.nan if last else float(self.alpha[g])}
            for name in LAW_FIELDS:
                row[name] = float(getattr(self, name)[g])
            for name in TRANSITION_FIELDS:
                row[name] = math.nan if last else float(self.arrays[name][g])
            out.append(row)
        return out


def _schedule(value, n: int, name: str, convert):
    if callable(value) and not isinstance(value, AffineError):
        return [convert(value(i)) for i in range(n)]
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) != n:
            raise ValueError(f"{name} schedule must have n_generations = {n} entries, got {len(value)}")
        return [convert(v) for v in value]
    return [convert(value)] * n


def _alpha(a) -> float:
    a = real_scalar("alpha", a)
    if not (0.0 <= a <= 1.0):
        raise ValueError(f"alpha must be in [0, 1], got {a}")
    return a


def _fit(samples: np.ndarray) -> Gaussian:
    return Gaussian(samples.mean(axis=0), np.atleast_2d(np.cov(samples, rowvar=False)))


def _fluctuation(exact: Gaussian, fitted: Gaussian) -> AffineError:
    """score_fitted - score_exact under the OU marginals: W(t) x + xi(t) (module docstring)."""
    lam, U = np.linalg.eigh(exact.cov)
    lam_h, U_h = np.linalg.eigh(fitted.cov)

    def inv(l, V, t):
        return (V / (signal_scale(t) ** 2 * l + noise_variance(t))) @ V.T

    def W(t):
        return inv(lam, U, t) - inv(lam_h, U_h, t)

    def xi(t):
        return signal_scale(t) * (inv(lam_h, U_h, t) @ fitted.mean - inv(lam, U, t) @ exact.mean)

    return AffineError(W=W, xi=xi)


def generations(data: Gaussian, alpha, n_generations: int, error=None, n_samples=None,
                mode: str = "replace", T: float = 4.0, t0: float = 0.02, steps=None, init="prior",
                p0: Gaussian | None = None, seed: int = 0, mixture_samples: int = 2 ** 16,
                compute_eta: bool = True, *, schedule=None) -> GenerationsResult:
    """Run the exact Gaussian pipeline (module docstring) for n_generations rounds.

    alpha: a number in [0, 1], a sequence of n_generations numbers, or a function i -> alpha_i.
    error: None, an AffineError, a sequence of them, or a function i -> AffineError (relative to
    the learner's target G_i). steps=None: continuous-time reverse; steps=K: the exact chain.
    mixture_samples: importance-sampling budget for I_chi2 / I_kl where they are sampled (d >= 2
    with more than two components); 0 skips them (NaN).

    Parameters
    ----------
    data : Gaussian
        The data law.
    alpha : float in [0, 1], sequence of n_generations floats, or callable
        Fraction of fresh data per round (a function i -> alpha_i).
    n_generations : int in [1, 10**6]
        Number of rounds N.
    error : None, AffineError, sequence of AffineError, or callable
        Score error of each round relative to the learner's target.
    n_samples : int in [d + 2, 10**8] or None
        Training samples per round (None: the exact moment-matched learner).
    mode : {"replace", "accumulate"}
        Train on the newest mixture, or on all rounds so far (default "replace").
    T : float in (0, MAX_TIME]
        Horizon of the forward process (default 4).
    t0 : float in [0, T)
        Early-stopping time (default 0.02).
    steps : int or None
        None: continuous-time reverse; K: the exact K-step chain.
    init : "prior", "exact" or Gaussian
        Initial law of the reverse path (default "prior").
    p0 : Gaussian or None
        Generation 0 (default: data).
    seed : int
        Seed of the training samples and the importance samplers (default 0).
    mixture_samples : int
        Importance-sampling budget in [2, 2**31], or 0 to skip I_chi2 / I_kl (default 2**16).
    compute_eta : bool
        Track the ideal path's accumulators to compute eta (default True).
    schedule : TimeGrid, optional
        T, t0, steps and init as one object (a uniform grid; time_grid.py), instead of the keywords.

    Returns
    -------
    GenerationsResult
        Per-generation laws, divergences and transition fields.

    Raises
    ------
    ValueError
        If data or p0 is not a Gaussian (of data's dimension), n_generations, n_samples,
        mixture_samples or steps is out of range, mode is not one of the two, T or t0 is out of
        range, an alpha is outside [0, 1], an alpha or error schedule does not have n_generations
        entries, an error is not an AffineError or None (or does not fit the dimension), or init is
        not "prior", "exact" or a Gaussian of data's dimension.
    """
    T, t0, steps, init = keyword_form(schedule, T, t0, steps, init)
    if not isinstance(data, Gaussian):
        raise ValueError(f"data must be a Gaussian, got {type(data).__name__}")
    n = count("n_generations", n_generations, 1, 10 ** 6)
    if mode not in ("replace", "accumulate"):
        raise ValueError(f"mode must be 'replace' or 'accumulate', got {mode!r}")
    T, t0, steps = check_schedule(T, t0, steps)
    alphas = _schedule(alpha, n, "alpha", _alpha)
    errors = _schedule(error, n, "error", lambda e: check_error(e, data.dim))
    if n_samples is not None:
        n_samples = count("n_samples", n_samples, data.dim + 2, 10 ** 8)
    if mixture_samples:
        mixture_samples = count("mixture_samples", mixture_samples, 2, 2 ** 31)
    p0 = data if p0 is None else p0
    if not isinstance(p0, Gaussian) or p0.dim != data.dim:
        raise ValueError(f"p0 must be a Gaussian of dimension {data.dim}")
    rng = np.random.default_rng(seed)

    laws, learners, matched, training, ideals = [p0], [], [], [], []
    rho, rho_error = tv_with_error(p0, data)
    D_tv = [rho]
    pool = []
    memo = {}   # integrals of pairs of laws against a base, shared by all generations
    cols = {name: np.full(n, math.nan) for name in TRANSITION_FIELDS}
    for i in range(n):
        a, p_i = alphas[i], laws[-1]
        if mode == "replace":
            q = GaussianMixture([a, 1 - a], [data, p_i])
        else:
            w = np.array([alphas[j] for j in range(i + 1)] + [1 - alphas[j] for j in range(i + 1)]) / (i + 1)
            q = GaussianMixture(w, [data] * (i + 1) + laws[: i + 1])
        G = q.moment_matched()
        matched.append(G)
        err = errors[i]
        learner = G
        if n_samples is not None:
            fresh = int(round(a * n_samples))
            batch = np.vstack([data.sample(fresh, rng), p_i.sample(int(n_samples) - fresh, rng)])
            pool = pool + [batch] if mode == "accumulate" else [batch]
            learner = _fit(np.vstack(pool))
            G = G.as_full()
            err = add_errors(_fluctuation(G, learner), err, data.dim)
        learned, ideal = propagate_learned_and_ideal(G, err, T, t0, steps, init=init, track_ideal=compute_eta)
        p_next = learned.out
        cols["epshat2"][i] = learned.energy
        cols["eps2"][i] = ideal.energy
        if compute_eta:
            cols["eta"][i] = eta_of(ideal)
        cols["I_chi2_gaussian"][i] = chi2(p_next, G)
        cols["I_kl_gaussian"][i] = kl(p_next, G)
        cols["kl_ideal"][i] = kl(p_next, ideal.out)
        cols["chi2_ideal"][i] = chi2(p_next, ideal.out)
        cols["hel_p_ideal"][i] = hellinger(p_next, ideal.out)
        cols["hel_ideal_q_bound"][i] = math.sqrt(sum(w * hellinger(ideal.out, g) ** 2
                                                     for w, g in zip(q.weights, q.components)))
        step, step_error = tv_with_error(p_next, ideal.out)
        weight_of = {}   # "accumulate" repeats the data law: one TV per distinct component
        for w, g in zip(q.weights, q.components):
            if w > 0:
                weight_of[id(g)] = (weight_of.get(id(g), (0.0, g))[0] + w, g)
        bias = [(w, *tv_with_error(ideal.out, g)) for w, g in weight_of.values()]
        rho_next, rho_next_error = tv_with_error(p_next, data)
        cols["tv_p_ideal"][i] = step
        cols["tv_ideal_q_bound"][i] = sum(w * t for w, t, _ in bias)
        cols["tv_error"][i] = max([rho_error, rho_next_error, step_error] + [e for _, _, e in bias])
        D_tv.append(rho_next)
        rho_error = rho_next_error
        if mixture_samples:
            try:
                cols["I_chi2"][i], cols["I_chi2_se"][i] = chi2_to_mixture(p_next, q, mixture_samples, seed + i)
            except Chi2BeyondFloatRange:   # finite beyond e^709.78: inf in this table, as D_chi2
                cols["I_chi2"][i], cols["I_chi2_se"][i] = math.inf, 0.0
            cols["I_kl"][i], cols["I_kl_se"][i] = kl_to_mixture(p_next, q, mixture_samples, seed + i)
        new_minus_q = [(1.0, p_next)] + q.terms(-1.0)
        q_minus_data = q.terms(1.0) + [(-1.0, data)]
        cols["chi2_q_data"][i] = weighted_inner(q_minus_data, q_minus_data, data, nonnegative=True, memo=memo)
        cols["cross"][i] = weighted_inner([(1.0, p_i), (-1.0, data)], new_minus_q, data, memo=memo)
        cols["cross_q"][i] = weighted_inner(q_minus_data, new_minus_q, data, memo=memo)
        cols["J"][i] = weighted_inner(new_minus_q, new_minus_q, data, nonnegative=True, memo=memo)
        laws.append(p_next)
        learners.append(learner)
        training.append(q)
        ideals.append(ideal.out)
    settings = dict(mode=mode, T=T, t0=t0, steps=steps, init=init, n_samples=n_samples, seed=seed,
                    mixture_samples=mixture_samples)
    return GenerationsResult(
        alpha=np.array(alphas), laws=laws, learners=learners, moment_matched=matched,
        training=training, ideal_outputs=ideals,
        D_chi2=np.array([chi2(p, data, memo) for p in laws]), D_kl=np.array([kl(p, data) for p in laws]),
        D_w2=np.array([w2(p, data) for p in laws]), D_renyi2=np.array([renyi2(p, data, memo) for p in laws]),
        D_hel=np.array([hellinger(p, data) for p in laws]), D_tv=np.array(D_tv), arrays=cols, settings=settings)
