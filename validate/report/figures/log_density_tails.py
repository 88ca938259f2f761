"""The log density of a learned 1-D law against the data's, with the condition for a finite chi2
(THEORY.md section 8, "Tails decide chi2"): chi2(p || data) = int p^2 / data - 1 is finite iff
``2 log p - log data`` tends to -inf in both tails, i.e. log p falls faster than half of log data.
The figure draws log p, log data and (log data) / 2 and names the side where the condition fails
(`tail_verdict`); a law whose score stays bounded far from the data has log p linear in |x| there,
above (log data) / 2 at large |x| for Gaussian-tailed data."""
import numpy as np

from validate.report.figures.style import new_figure, save


def tail_verdict(grid, log_p, log_data, beyond: float) -> str:
    """The chi2 tail condition read off the grid: on each side, over |x - centre| > `beyond`, the
    trend of ``2 log p - log data`` (its least-squares slope against |x|); rising or flat on a side
    means the integrand p^2 / data does not decay there: chi2 = inf.

    Parameters
    ----------
    grid, log_p, log_data : numpy.ndarray, shape (n,)
        The grid and the two log densities on it.
    beyond : float
        Distance from the grid's centre beyond which a point counts as tail.

    Returns
    -------
    str
        "finite" or the failing side(s) and the slopes.
    """
    centre = 0.5 * (grid[0] + grid[-1])
    failing = []
    for side, mask in (("x -> -inf", grid < centre - beyond), ("x -> +inf", grid > centre + beyond)):
        if mask.sum() < 3:
            continue
        f = 2 * log_p[mask] - log_data[mask]
        slope = np.polyfit(np.abs(grid[mask] - centre), f, 1)[0]
        if slope >= 0:
            failing.append(f"{side}: 2 log p - log data rises ({slope:.2g} per unit)")
    return "finite" if not failing else "\n".join(failing)


def log_density_tails(grid, log_p, log_data, path_stem, title: str = "", beyond: float = 10.0,
                      label: str = "learned $p$"):
    """Draw log p and log data on the grid with (log data) / 2, annotated with `tail_verdict`.

    Parameters
    ----------
    grid, log_p, log_data : array, shape (n,)
        The grid and the log densities (natural log).
    path_stem : str or path-like
        Output path without suffix (PNG and PDF).
    title : str
        Figure title.
    beyond : float
        Tail region for the verdict (default 10).
    label : str
        Legend label of p.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    grid, log_p, log_data = (np.asarray(a, dtype=float).ravel() for a in (grid, log_p, log_data))
    fig, axes = new_figure(1, width=6.0)
    ax = axes[0, 0]
    ax.plot(grid, log_data, "k-", lw=1.6, label="log data")
    ax.plot(grid, 0.5 * log_data, "k:", lw=1.0, label="(log data) / 2: chi2 finite iff log p falls below it")
    ax.plot(grid, log_p, "C3-", lw=1.2, label=f"log {label}")
    floor = max(float(np.min(log_p)), float(np.min(log_data))) - 10
    ax.set_ylim(floor, max(float(np.max(log_p)), float(np.max(log_data))) + 2)
    verdict = tail_verdict(grid, log_p, log_data, beyond)
    note = ("chi2(p || data) finite: log p falls faster than (log data) / 2" if verdict == "finite" else
            f"chi2(p || data) = inf (tails heavier than sqrt(data), THEORY.md section 8):\n{verdict}")
    ax.text(0.02, 0.02, note, transform=ax.transAxes, fontsize=7, va="bottom")
    ax.set_xlabel("x")
    ax.set_ylabel("log density")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title(title or "tails of the learned law against the data's", fontsize=9)
    return save(fig, path_stem)
