"""The Hermite spectrum of the limit law (THEORY.md §5, reconstructed): |c_n| of data, of iterates and of
the limit against the predicted low-pass curve m_n |c_n^data|, and the transfer c_n(p_inf) / c_n(data)
by alpha against m_n(alpha, t0)."""
from __future__ import annotations

import numpy as np

from validate.report.figures.style import alpha_color, new_figure, save


def hermite_spectrum(spectra: dict, transfer: dict, path_stem, title: str = ""):
    """The Hermite spectrum figure: ``|c_n|`` by order, and the transfer ``c_n(p_inf) / c_n(data)``.

    Parameters
    ----------
    spectra : dict
        ``dict(modes, data, iterates={generation: c}, limit, predicted)`` for one alpha (the
        ``|c_n|`` panel; `validate.pipeline.limit_stage.spectrum_data` builds it).
    transfer : dict
        ``{alpha: dict(modes, measured, predicted)}`` (the ``c_n(p_inf) / c_n(data)`` panel against
        the multipliers m_n of THEORY.md §5, reconstructed).
    path_stem : str or path
        Where to write, without the suffix.
    title : str
        The figure's title.

    Returns
    -------
    list of Path: ``<stem>.png`` (150 dpi) and ``<stem>.pdf``.
    """
    fig, axes = new_figure(2, width=4.6, height=3.6)
    ax = axes[0, 0]
    n = np.asarray(spectra["modes"])
    ax.semilogy(n, np.abs(spectra["data"]), "ko", ms=5, label="data")
    for k, (g, c) in enumerate(sorted(spectra.get("iterates", {}).items())):
        ax.semilogy(n, np.abs(c), "s", ms=3, color=f"C{k + 1}", alpha=0.7, label=f"iterate {g}")
    ax.semilogy(n, np.abs(spectra["limit"]), "D", ms=4, mfc="none", color="C0", label="limit (exact)")
    ax.semilogy(n, np.abs(spectra["predicted"]), "-", color="C0", label=r"predicted $m_n |c_n^{data}|$")
    ax.set_xlabel("Hermite order n")
    ax.set_ylabel(r"$|c_n|$ of the density ratio to N(0,1)")
    ax.set_title(title or "Hermite spectrum", fontsize=9)
    ax.legend(fontsize=6)
    ax = axes[0, 1]
    for a, t in sorted(transfer.items()):
        col = alpha_color(a)
        ax.plot(t["modes"], t["predicted"], "-", color=col, label=rf"$m_n$, $\alpha$={a:g}")
        ax.plot(t["modes"], t["measured"], "o", ms=4, mfc="none", color=col)
    ax.set_xlabel("Hermite order n")
    ax.set_ylabel(r"$c_n(p_\infty) / c_n(\mathrm{data})$ (circles: measured)")
    ax.set_title("the limit is a low-pass filter", fontsize=9)
    ax.legend(fontsize=6)
    return save(fig, path_stem)
