"""The quarterly notebook rendered end to end (papermill, a real kernel) against PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

import cxlab
from cxlab import report
from cxlab.render import render
from tests.backends.conftest import PASSWORD

pytestmark = [pytest.mark.backends, pytest.mark.slow]

NOTEBOOK = Path(__file__).parents[2] / "notebooks" / "quarterly_report.ipynb"


def test_quarterly_report_on_postgres(pg, duck, postgres_url, tmp_path, monkeypatch):
    # the URL reaches the notebook through an environment variable: the parameter,
    # the report and its provenance only ever hold its name
    with_password = postgres_url.replace("cxlab@", f"cxlab:{PASSWORD}@")
    monkeypatch.setenv("CXLAB_TEST_WAREHOUSE", with_password)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    out = render(
        NOTEBOOK,
        {"warehouse": "env:CXLAB_TEST_WAREHOUSE"},
        out_dir=tmp_path,
        name="quarterly_pg",
        kernel_name="cxlab",
    )
    html = out.read_text()
    assert PASSWORD not in html
    assert "Warehouse on a server" in html and "postgres; rows: customers" in html
    # the headline NPS the report prints is DuckDB's for the same data
    r = report.responses_view(duck, profile=False)
    q = report.latest_quarter(r)
    nps = cxlab.nps(r.filter(r.quarter == q), "ltr", weight=report.resolve_weight(r))
    assert f"{nps['nps'].iloc[0]:.1f}" in html
