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
