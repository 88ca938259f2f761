"""The summary text of a report (DIR/summary.md): counts, the checks by kind, how to read them."""
from __future__ import annotations

import bounds
from validate.checks.counts import NOTHING_BINDING, concerns_run, count_rows, counts_line
from validate.checks.learner_quality import summary_lines as learner_quality_lines
from validate.report.tables import render


def summary_title(manifest: dict) -> str:
    """The summary's title, by the kind of run: a `collapse reproduce` directory or one `collapse
    train` run (named by its target, learner and alpha).

    Parameters
    ----------
    manifest : dict
        The run's manifest (`validate.report.run_data.load_manifest`).

    Returns
    -------
    str
        The title.
    """
    if manifest.get("kind") == "train":
        return (f"collapse train: summary of one run ({manifest.get('target')}, {manifest.get('model')}, "
                f"alpha = {manifest.get('alphas', [None])[0]})")
    return "collapse reproduce: summary"


def summary_markdown(manifest: dict, checks: list, quality: list | None = None) -> str:
    """The Markdown of DIR/summary.md: binding checks, proofs and informative checks, then notes.

    Parameters
    ----------
    manifest : dict
        The run's manifest.
    checks : list of validate.checks.check.Check
        Every check.
    quality : list of dict or None
        Learner-quality rows, when measured.

    Returns
    -------
    str
        The Markdown text.
    """
    binding = [c for c in checks if c.binding]
    failed = [c for c in binding if c.failed]
    counts = count_rows([c.summary_row() for c in checks])
    lines = [f"# {summary_title(manifest)}", "",
             f"Scale `{manifest.get('scale')}`, seed {manifest.get('seed')}, alphas {manifest.get('alphas')}, "
             f"device `{manifest.get('device')}`.", "",
             f"**{counts_line(counts)}.**", "",
             "Run-specific checks measure this run; proof rows are symbolic proofs (true of any run), example "
             "rows worked examples computed beside it (the tight Brownian example, the limit law's reference "
             "mixtures): neither is counted with the run. A check fails when it is `violated` beyond two "
             "standard errors; a control, a deliberately false statement, fails unless it is `violated`. "
             "A check is `vacuous` when a measured value, bound or fitted constant is infinite, NaN or above "
             "1e12 in magnitude (or comes from a divergent integral), or an upper bound is at least the largest "
             "value its quantity can take (1 for TV and Hellinger): it says nothing, passes nothing and is "
             "counted apart, with its reason in the `reason` column. Informative checks concern results whose "
             "assumptions the numbers cannot certify (unknown constants, the small-error regime, tail "
             "conditions); their verdicts are reported, not enforced.", ""]
    if not concerns_run(counts):
        lines += [f"**No binding check concerns this run**: `collapse validate` exits {NOTHING_BINDING} on it.", ""]
    if failed:
        lines += ["Binding checks that did not pass:", ""] + [f"* {c.name}: {c.verdict}" for c in failed] + [""]
    lines += learner_quality_lines(quality or [])
    cols = ["check", "kind", "verdict", "reason", "min_margin", "constants", "passed", "note"]
    for title, group in (("Run-specific binding checks and controls", [c for c in binding if c.scope == "run"]),
                         ("Example rows (computed beside the run, not on it)", [c for c in binding if c.scope == "example"]),
                         ("Symbolic proofs (SymPy, for arbitrary densities or symbolic parameters)",
                          [c for c in binding if c.scope == "proof"]),
                         ("Informative checks", [c for c in checks if not c.binding])):
        if not group:
            continue
        lines += [f"## {title}", "", render([dict(c.summary_row()) for c in group], "markdown", columns=cols)]
    lines += discount_lines(manifest.get("alphas") or [])
    lines += ["## How to read this", "",
              "* Exact runs: Gaussian data, affine score error, every quantity in closed form "
              "(`gaussian_exact`); Prop 3.1 and Thm 3.4 are checked against the divergence of the "
              "learned output to the ideal output (the path-law comparison they rest on).",
              "* Constants C, c, c2 are fitted on the first half of the generations and checked, loosened "
              "by a factor 1.5, on the second half.",
              "* Thm 4.2's two additive bounds and the constants 1/4, 4 are reconstructed from the "
              "paper's statements (THEORY.md §3); see `bounds.catalog()[id].source`.",
              "* Neural estimates carry standard errors; a verdict within two standard errors of the "
              "bound is `inconclusive`. Neural tables show the mean over seeds with a 90% percentile "
              "bootstrap interval.",
              "* KDE learner and Prop 3.1: the KDE score is the exact score of another law (the KDE), so "
              "under both the learned and the ideal reverse process the path given its endpoint is the "
              "same OU bridge, and the data-processing step of Prop 3.1 loses nothing: KL(p^{i+1} || q_i) "
              "equals 1/2 epshat2 up to the start at N(0, I) and the discretization. The measured KL and "
              "1/2 epshat2 agree to a few per cent; a `violated` there measures the approximation (laws "
              "taken as the t0-smoothed KDE and mixture, not the sampler's chain), not the theorem.",
              "* The neural KDE runs use the paper's bandwidth h = 0.6 = sigma: the KDE doubles each "
              "component's variance, chi2 to data is infinite from generation 0 on, and eps2 is about 2, "
              "outside the small-error regime, so Thm 3.4 is inconclusive there by construction.",
              "* Grid-exact runs (THEORY.md §8): per generation the assumptions A1-A4 as informative rows, the "
              "proof's steps (a)-(e4) and Thm 3.4 / Prop 3.3 with the run's own constants C = K/8 + C', "
              "c = K + 2 C' as binding rows; where A1-A3 fail, the chi2 results read `not applicable` with "
              "the failing assumption (vacuous). The TV and Hellinger companion laws bind whatever the "
              "tails; their bias-dropped controls are shown violated on an exact Gaussian chain built for "
              "it, each proof step's mutated control on a case that makes the step tight (example rows).", ""]
    return "\n".join(lines)


def discount_lines(alphas) -> list[str]:
    """The discount per generation of chi2, TV and Hellinger side by side at each alpha of the run
    (`bounds.discount_table`; THEORY.md §8): a Markdown section, empty without alphas.

    Parameters
    ----------
    alphas : iterable of float
        The run's fresh fractions.

    Returns
    -------
    list of str
        The section's lines.
    """
    rows = []
    for alpha in alphas:
        d = bounds.discount_table(float(alpha))
        rows.append({"alpha": float(alpha), "chi2: (1-alpha)^2": float(d["chi2"]), "TV: 1-alpha": float(d["tv"]),
                     "Hellinger: sqrt(1-alpha)": float(d["hellinger"])})
    if not rows:
        return []
    return ["## Discount per generation, by divergence", "",
            "How much of the previous generation's distance to the data survives one mixing step "
            "(Lemma F.1 for chi2; the TV and Hellinger companion laws of THEORY.md §8).", "",
            render(rows, "markdown", columns=list(rows[0])), ""]
