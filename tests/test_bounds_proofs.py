"""Symbolic proofs for arbitrary densities (Lemma F.1, one-step identity, innovation) and
numeric checks on random discrete densities, with mutation controls."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import bounds
from bounds import symbols as S
from bounds.proofs import equality_holds, integrated_equality_holds, lower_bound_holds

cat = bounds.catalog()


def test_lemma_f1_and_identity_hold_pointwise():
    assert equality_holds(cat["lemmaF.1"])
    assert equality_holds(cat["identity"])


def test_lemma_f1_mutation_fails_the_identity():
    mutated = bounds.mutated("lemmaF.1", (1 - S.alpha) ** 2, 1 - S.alpha)
    assert not equality_holds(mutated)
    assert not integrated_equality_holds(mutated)


def test_identity_mutations_fail():
    assert not equality_holds(bounds.mutated("identity", 2 * (1 - S.alpha) * S.cross, (1 - S.alpha) * S.cross))
    assert not equality_holds(bounds.mutated("identity", (1 - S.alpha) ** 2, 1 - S.alpha))


def test_equalities_hold_after_integration_on_non_gaussian_densities():
    assert integrated_equality_holds(cat["lemmaF.1"])
    assert integrated_equality_holds(cat["identity"])


def test_innovation_inequalities_hold_pointwise():
    assert lower_bound_holds(cat["innovation.J"])
    assert lower_bound_holds(cat["innovation"])


def test_weaker_innovation_passes_stronger_fails():
    weaker = cat["innovation"].substitute(S.alpha / 2 * S.I, S.alpha / 4 * S.I)
    assert lower_bound_holds(weaker)
    assert not lower_bound_holds(cat["innovation"].substitute(S.alpha / 2 * S.I, S.alpha * S.I))
    assert not lower_bound_holds(cat["innovation.J"].substitute(S.alpha * S.I, 2 * S.alpha * S.I))


def discrete_quantities(data, p, p1, alpha):
    """All tracked quantities for densities on a finite set (sums replace integrals)."""
    q = alpha * data + (1 - alpha) * p
    return dict(
        D=np.sum((p - data) ** 2 / data), D_next=np.sum((p1 - data) ** 2 / data),
        I=np.sum((p1 - q) ** 2 / q), J=np.sum((p1 - q) ** 2 / data),
        cross=np.sum((p - data) * (p1 - q) / data), chi2_mix=np.sum((q - data) ** 2 / data))


def random_density(rng, k, spread):
    w = rng.gamma(spread, size=k)
    return w / w.sum()


@given(seed=st.integers(0, 10**6), k=st.integers(2, 40), alpha=st.floats(0, 1), spread=st.floats(0.05, 5))
def test_catalog_holds_on_random_discrete_densities(seed, k, alpha, spread):
    rng = np.random.default_rng(seed)
    data, p, p1 = (random_density(rng, k, spread) for _ in range(3))
    v = discrete_quantities(data, p, p1, alpha)
    assert cat["lemmaF.1"].holds(v["chi2_mix"], alpha=alpha, D=v["D"], rtol=1e-9, atol=1e-12)
    scale = v["D"] + 2 * abs(v["cross"]) + v["J"]  # the sum cancels: tolerance on the terms' size
    assert cat["identity"].holds(v["D_next"], alpha=alpha, D=v["D"], cross=v["cross"], J=v["J"],
                                 rtol=1e-9, atol=1e-12 * scale)
    assert cat["innovation.J"].holds(v["J"], alpha=alpha, I=v["I"])
    assert cat["innovation"].holds(alpha=alpha, D=v["D"], D_next=v["D_next"], I=v["I"])


def test_lemma_f1_mutation_fails_on_discrete_densities():
    rng = np.random.default_rng(0)
    data, p, p1 = (random_density(rng, 10, 1.0) for _ in range(3))
    mutated = bounds.mutated("lemmaF.1", (1 - S.alpha) ** 2, 1 - S.alpha)
    for alpha in (0.1, 0.5, 0.9):
        v = discrete_quantities(data, p, p1, alpha)
        assert not mutated.holds(v["chi2_mix"], alpha=alpha, D=v["D"])
