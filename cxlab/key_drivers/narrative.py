"""What a key-driver report says: the opening sentences and the conclusion (Markdown)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from cxlab._html import md_escape as e
from cxlab.key_drivers.performance import importance_performance
from cxlab.key_drivers.ranking import base_text, ranking_text

if TYPE_CHECKING:
    from cxlab.key_drivers.model import KeyDrivers

__all__ = ["conclusion", "lead"]

#: Below this many complete responses, importances of a battery are called unstable.
SMALL_BASE = 300


def _share(row: pd.Series) -> str:
    text = f"{100 * row['share']:.0f}%"
    if pd.notna(row.get("share_low")) and pd.notna(row.get("share_high")):
        text += f" ({100 * row['share_low']:.0f}-{100 * row['share_high']:.0f}%)"
    return text


def _names(names: list[str]) -> str:
    quoted = [f"**{e(n)}**" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


_ASSOCIATION = (
    "Importance is association in survey answers, not proven cause: attributes rated "
    "after a bad experience tend to be rated low together."
)


def _small_base(fit: KeyDrivers) -> str | None:
    if fit.n_ >= SMALL_BASE:
        return None
    return (
        f"Caution: only {fit.n_:,} complete responses; importances of this many "
        "attributes are unstable."
    )


def lead(fit: KeyDrivers, performance: pd.DataFrame | None = None) -> str:
    """At most three plain sentences a manager can act on (Markdown).

    What matters most, which of it is rated low (the *key weaknesses* of
    :func:`~cxlab.key_drivers.importance_performance`, where improvement pays
    most), and the main caveat (a small base, or that importance is an
    association). Names are escaped.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from cxlab.key_drivers import KeyDrivers
    >>> rng = np.random.default_rng(1)
    >>> x = rng.integers(0, 11, size=(400, 3)).astype(float)
    >>> df = pd.DataFrame(x, columns=["Price", "Staff", "Web"])
    >>> df["ltr"] = (0.6 * df.Price + 0.3 * df.Staff + rng.normal(0, 2, 400)).round()
    >>> print(lead(KeyDrivers(n_boot=0).fit(df, "ltr", ["Price", "Staff", "Web"])))
    **Price** and **Staff** matter most for likelihood to recommend: 77% and 23% of what the attributes explain (R² = 51%). **Price** is important and rated below average: improving it is where likelihood to recommend has most to gain. Importance is association in survey answers, not proven cause: attributes rated after a bad experience tend to be rated low together.
    """
    res = fit.importance_
    ip = importance_performance(fit) if performance is None else performance
    top = res.head(2 if len(res) > 1 else 1)
    shares = " and ".join(f"{100 * s:.0f}%" for s in top["share"])
    first = (
        f"{_names(top['driver'].tolist())} matter{'s' if len(top) == 1 else ''} most for "
        f"likelihood to recommend: {shares} of what the attributes explain "
        f"(R² = {fit.r2_:.0%})."
    )
    weak = ip.loc[ip["quadrant"] == "key weakness", "driver"].tolist()
    if weak:
        second = (
            f"{_names(weak)} {'is' if len(weak) == 1 else 'are'} important and rated below "
            f"average: improving {'it' if len(weak) == 1 else 'them'} is where likelihood to "
            "recommend has most to gain."
        )
    else:
        second = (
            f"{'It is' if len(top) == 1 else 'Neither is'} rated below the average of the "
            "attributes: protect "
            f"{'it' if len(top) == 1 else 'them'}."
        )
    return " ".join([first, second, _small_base(fit) or _ASSOCIATION])


def conclusion(fit: KeyDrivers, performance: pd.DataFrame | None = None) -> str:
    """The report's conclusion: top drivers with intervals, the ranking, weaknesses, caveat.

    Paragraphs of Markdown; every name escaped. See :func:`lead` for the short version.
    """
    res = fit.importance_
    ip = importance_performance(fit) if performance is None else performance
    top = res.head(3)
    lines = [
        "The attributes that matter most for likelihood to recommend are "
        + ", ".join(f"**{e(r['driver'])}** {_share(r)}" for _, r in top.iterrows())
        + f" of the explained variation (R² = {fit.r2_:.0%}; {base_text(fit)}).",
        ranking_text(fit),
    ]
    weak = ip.loc[ip["quadrant"] == "key weakness", "driver"].tolist()
    if weak:
        lines.append(
            "**Key weaknesses** (above-average importance, below-average rating): "
            + ", ".join(e(w) for w in weak)
            + ". Improving these is where LTR has most to gain."
        )
    lines += [text for text in (_small_base(fit), _ASSOCIATION) if text]
    return "\n\n".join(lines)
