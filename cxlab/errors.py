"""Errors that cxlab reports to the analyst as a message, never as a traceback."""

from __future__ import annotations


class CxlabError(Exception):
    """An error in the analyst's input or set-up, stated in plain words.

    The command line prints the message and exits with status 2; notebooks show
    it as the exception text. Messages name the file, column, rows and rule.
    """


class ValidationError(CxlabError):
    """Input data broke a rule (range, type, uniqueness, required column...)."""


class RenderError(CxlabError):
    """A report could not be rendered (bad parameter, failing cell...)."""


class TooLittleData(CxlabError):
    """Too few rows, units or quarters (or no variation) for an estimate to mean anything.

    Raised where a statistic cannot be estimated on the data given, not where the
    data break a rule. A report whose cell raises it still renders
    (:func:`cxlab.render.render`): the sections shown so far, then this message under
    "Not enough data for this analysis", instead of stopping with no report.
    """
