"""Every figure writes a non-empty PNG and PDF from small arrays."""
import numpy as np

from validate.report import figures


def _written(paths):
    return all(p.exists() and p.stat().st_size > 1000 for p in paths)


def test_all_figures_write_png_and_pdf(tmp_path):
    rng = np.random.default_rng(0)
    g = np.arange(5)
    data = rng.normal(size=(200, 4))
    assert _written(figures.pca_scatter({(0.5, 0): data, (0.5, 4): data + 1}, data, tmp_path / "pca"))
    s = dict(generation=g, kl=g + 1.0, kl_bound=g + 2.0, chi2=g + 1.0, chi2_bound=g + 0.5)
    assert _written(figures.kl_and_chi2_vs_energy({0.5: s}, tmp_path / "kl"))
    b = dict(generation=g, chi2=g + 1.0, kl=g + 0.5, lower=g * 0 + 0.1, upper=g + 10.0)
    assert _written(figures.divergence_band({0.1: b, 0.9: b}, tmp_path / "band"))
    m = np.tril(rng.uniform(size=(5, 5)))
    assert _written(figures.contributions_heatmap({0.5: m}, tmp_path / "heat"))
    assert _written(figures.eta_by_error_type({"aligned": 0.4, "random": 0.2, "time-only": 0.9}, tmp_path / "eta"))
    assert _written(figures.eta_over_generations({0.5: dict(generation=g, eta=g / 10)}, tmp_path / "etag"))
    assert _written(figures.drift_envelope({0.5: dict(generation=g, D=g + 1e-3, envelope=g + 2e-3)}, tmp_path / "env"))


def test_tail_verdict_matches_the_gaussian_finiteness_condition(tmp_path):
    """chi2(N(0, a) || N(0, 1)) is finite iff a < 2 (THEORY.md section 8); a Laplace law never."""
    from validate.report.figures import log_density_tails
    from validate.report.figures.log_density_tails import tail_verdict
    x = np.linspace(-30, 30, 601)
    log_data = -0.5 * x ** 2 - 0.5 * np.log(2 * np.pi)
    for a, finite in ((0.5, True), (1.9, True), (2.2, False), (3.0, False)):
        log_p = -0.5 * x ** 2 / a - 0.5 * np.log(2 * np.pi * a)
        assert (tail_verdict(x, log_p, log_data, beyond=5.0) == "finite") == finite
    laplace = -np.abs(x) - np.log(2.0)
    verdict = tail_verdict(x, laplace, log_data, beyond=5.0)
    assert "x -> -inf" in verdict and "x -> +inf" in verdict
    assert all(p.is_file() for p in log_density_tails(x, laplace, log_data, tmp_path / "tails"))
