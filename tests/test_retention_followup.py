"""The follow-up list (issue #11 point 4): who is listed, the ranking, pseudonyms, the files,
and the rendered report that shows only pseudonyms."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from cxlab import retention
from cxlab.errors import CxlabError
from cxlab.retention import narrative as rn

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "=HYPERLINK(\"http://x\")<script>alert('id')</script>"


def _tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Six customers; who must be listed is known by construction."""
    day = lambda s: pd.Timestamp(s).date()  # noqa: E731
    r = pd.DataFrame(
        [
            # id, customer, date, ltr, csat, ces, touchpoint, channel
            ("1", "det", "2025-08-01", 2, 2, 3, "Billing", "phone"),  # detractor: listed
            ("2", "pas", "2025-02-01", 8, 5, 6, "Billing", "web"),
            ("3", "pas", "2025-08-02", 7, 3, 6, "Delivery", "app"),  # passive, CSAT fell: listed
            ("4", "flat", "2025-02-01", 8, 4, 5, "Billing", "web"),
            ("5", "flat", "2025-08-03", 8, 4, 6, "Billing", "web"),  # passive, no fall: not
            ("6", "old", "2025-03-01", 1, 1, 1, "Billing", "web"),  # detractor before since: not
            ("7", "gone", "2025-08-04", 0, 1, 1, "Billing", "web"),  # churned by end: not
            ("8", "fixed", "2025-07-05", 3, 1, 1, "Billing", "web"),
            ("9", "fixed", "2025-09-01", 10, 5, 7, "Billing", "web"),  # latest is promoter: not
            ("10", HOSTILE, "2025-09-02", 4, 2, 2, "Shop", "store"),  # detractor: listed
            ("11", "p1", "2024-10-01", 10, 5, 7, "Billing", "web"),
            ("12", "p2", "2024-10-01", 9, 5, 7, "Billing", "web"),
            ("13", "d1", "2024-10-01", 3, 2, 2, "Billing", "web"),
            ("14", "d2", "2024-10-01", 5, 2, 2, "Billing", "web"),
        ],
        columns=[
            "response_id",
            "customer_id",
            "survey_date",
            "ltr",
            "csat",
            "ces",
            "touchpoint",
            "channel",
        ],
    ).assign(unit="U", survey_date=lambda d: d["survey_date"].map(day))
    ids = ["det", "pas", "flat", "old", "gone", "fixed", HOSTILE, "p1", "p2", "d1", "d2"]
    churn = {"gone": "2025-08-20", "d1": "2025-02-01"}  # one of two old detractors left
    c = pd.DataFrame(
        {
            "customer_id": ids,
            "churn_date": pd.to_datetime([churn.get(i) for i in ids]).date,
        }
    )
    t = pd.DataFrame(
        {
            "customer_id": ["det", "pas", "pas", HOSTILE, "det"],
            "date": pd.to_datetime(
                ["2025-06-01", "2025-05-01", "2025-07-01", "2025-06-15", "2024-01-01"]
            ),
            "margin": [300.0, 100.0, 50.0, 1000.0, 999.0],
        }
    )
    return r, c, t


def test_lists_recent_detractors_and_worsening_passives_ranked_by_value():
    r, c, t = _tables()
    f = retention.followup(r, c, t, since="2025-07-01", end="2025-09-30", horizon=365, key="k")
    assert list(f.columns) == list(retention.FOLLOWUP_COLUMNS)
    assert set(f["customer_id"]) == {"det", "pas", HOSTILE}
    row = f.set_index("customer_id")
    # margins over the 365 days to the end (the 2024 transaction of "det" is too old)
    assert row.loc["det", "margin"] == 300.0
    assert row.loc["pas", "margin"] == 150.0
    assert row.loc[HOSTILE, "margin"] == 1000.0
    assert row.loc["pas", "reason"] == "CSAT fell 5 to 3"
    assert row.loc["det", "touchpoint"] == "Billing" and row.loc["det", "channel"] == "phone"
    # no survey was followed 365 days (the longest, d2's, is censored at 364 with the
    # curve above 0): the excess churn, and so the value, is unknown
    assert np.isnan(row.loc["det", "excess_churn"])
    f = retention.followup(r, c, t, since="2025-07-01", end="2025-09-30", horizon=200, key="k")
    row = f.set_index("customer_id")
    # at 200 days: the detractors' Kaplan-Meier churn (d1 left after 123 days), minus
    # the promoters' (none left)
    d = retention.survey_durations(r, c, score="ltr", breaks=(6, 8), end="2025-09-30")
    dd = d.to_pandas()
    det = dd[dd["category"] == "detractor"]
    km = retention.survival(det, "days", "churned")
    expected = 1 - km.loc[km["time"] <= 200, "survival"].iloc[-1]
    assert 0 < expected < 1
    assert row.loc["det", "excess_churn"] == pytest.approx(100 * expected)  # promoters: 0
    assert row.loc["det", "value_at_risk"] == pytest.approx(300.0 * expected)
    assert f["value_at_risk"].is_monotonic_decreasing
    assert f["rank"].tolist() == list(range(1, len(f) + 1))
    assert f.iloc[0]["customer_id"] == HOSTILE  # the largest margin
    assert len(retention.followup(r, c, t, since="2025-07-01", end="2025-09-30", n=1)) == 1


def test_pseudonyms_are_keyed_stable_and_not_plain_hashes():
    import hashlib

    a = retention.pseudonym(["x", "y"], "key-1")
    assert a.equals(retention.pseudonym(["x", "y"], b"key-1"))
    assert not a.equals(retention.pseudonym(["x", "y"], "key-2"))
    assert hashlib.sha256(b"x").hexdigest()[:16] != a.iloc[0]
    with pytest.raises(CxlabError, match="must not be empty"):
        retention.pseudonym(["x"], "")


def test_key_file_is_created_once_private_and_reused(tmp_path):
    k1 = retention.followup_key(tmp_path / "out")
    k2 = retention.followup_key(tmp_path / "out")
    assert k1 == k2 and len(k1) == 64
    assert (tmp_path / "out" / ".cxlab-pseudonym-key").stat().st_mode & 0o077 == 0
    assert retention.followup_key(tmp_path / "other") != k1


def test_files_hold_the_full_list_and_hostile_ids_stay_text(tmp_path):
    r, c, t = _tables()
    f = retention.followup(r, c, t, since="2025-07-01", end="2025-09-30", horizon=200, key="k")
    csv, xlsx = retention.write_followup(f, tmp_path / "lists" / "follow.csv")
    assert csv.name == "follow.csv" and xlsx.name == "follow.xlsx"
    back = pd.read_csv(csv, dtype={"pseudonym": str})
    assert list(back.columns) == list(retention.FOLLOWUP_COLUMNS)
    assert len(back) == len(f) and "verbatim" not in back.columns
    # a cell a spreadsheet would run as a formula is neutralised in the CSV
    assert back.loc[0, "customer_id"] == "'" + HOSTILE
    assert back["pseudonym"].tolist() == f["pseudonym"].tolist()
    ws = load_workbook(xlsx).active
    rows = list(ws.values)
    assert list(rows[0]) == list(retention.FOLLOWUP_COLUMNS) and len(rows) == len(f) + 1
    cell = ws.cell(row=2, column=2)
    assert cell.value == HOSTILE and cell.data_type == "s"  # the id as text, not a formula
    assert not list(tmp_path.glob("lists/*.tmp"))
    with pytest.raises(CxlabError, match="must end in .csv"):
        retention.write_followup(f, tmp_path / "follow.txt")


def test_report_table_drops_the_customer_id_and_text_says_where():
    r, c, t = _tables()
    f = retention.followup(r, c, t, since="2025-07-01", end="2025-09-30", horizon=200, key="k")
    top = retention.top_for_report(f, 2)
    assert "customer_id" not in top.columns and len(top) == 2
    assert "pseudonym" in top.columns
    assert "pseudonym" not in retention.top_for_report(f, 2, pseudonyms=False).columns
    text = rn.followup_text(f, "2025Q3", "/secret/place/retention-followup.csv", 2, 200)
    assert "retention\\-followup\\.csv and retention\\-followup\\.xlsx" in text
    assert "/secret" not in text and "3 customers to call back" in text
    without = rn.followup_text(f, "2025Q3", "", 2, 200)
    assert "without ids" in without and "was not written" in without


def test_refuses_bad_arguments():
    r, c, t = _tables()
    with pytest.raises(CxlabError, match="horizon"):
        retention.followup(r, c, t, since="2025-07-01", horizon=0)
    with pytest.raises(CxlabError, match="n must"):
        retention.followup(r, c, t, since="2025-07-01", n=0)
    with pytest.raises(CxlabError, match="margin"):
        retention.followup(r, c, t.drop(columns="margin"), since="2025-07-01")


@pytest.fixture(scope="module")
def contact_warehouse(tmp_path_factory) -> tuple[Path, str]:
    """A small synthetic warehouse whose verbatims hold e-mail addresses and phone
    numbers, with one detractor's customer id made hostile."""
    from cxlab import synth, warehouse

    base = tmp_path_factory.mktemp("followup")
    synth.generate(base / "data", n_responses=1500, seed=3)
    db = base / "w.duckdb"
    warehouse.build_from_dir(base / "data", db)
    with duckdb.connect(str(db)) as con:
        last = con.execute("SELECT max(quarter) FROM responses").fetchone()[0]
        con.execute(
            "UPDATE responses SET verbatim = 'call me: jane.doe@example.com or +44 20 7946 0958'"
        )
        victim = con.execute(
            "SELECT customer_id FROM responses r JOIN customers c USING (customer_id) "
            "WHERE quarter = ? AND ltr <= 6 AND c.churn_date IS NULL ORDER BY response_id LIMIT 1",
            [last],
        ).fetchone()[0]
        for table in ("responses", "customers", "transactions", "customer_history", "interactions"):
            con.execute(
                f"UPDATE {table} SET customer_id = ? WHERE customer_id = ?", [HOSTILE, victim]
            )
    return db, last


@pytest.mark.slow
def test_rendered_report_shows_pseudonyms_only_and_the_files_hold_the_full_list(
    contact_warehouse, tmp_path
):
    from cxlab import render

    db, last = contact_warehouse
    nb = ROOT / "notebooks" / "retention_value.ipynb"
    out = tmp_path / "reports" / "retention-followup.csv"
    html = render.render(
        nb, {"warehouse": str(db), "followup_out": str(out)}, out_dir=tmp_path / "reports", name="r"
    )
    raw = html.read_text(encoding="utf-8")
    text = unescape(re.sub(r"<[^>]+>", "", raw))
    full = pd.read_csv(out, dtype=str)
    assert len(full) > 10 and out.with_suffix(".xlsx").exists()
    with duckdb.connect(str(db), read_only=True) as con:
        ids = [row[0] for row in con.execute("SELECT customer_id FROM customers").fetchall()]
    leaked = [i for i in ids if re.search(rf"\b{re.escape(i)}\b", text)]
    assert leaked == []
    assert HOSTILE not in raw and "<script>alert" not in raw
    assert "jane.doe@example.com" not in raw and "7946" not in raw
    assert "Who to call back" in text
    assert "retention-followup.csv and retention-followup.xlsx" in text
    assert str(tmp_path) not in text
    shown = full["pseudonym"].head(10).tolist()
    assert all(p in text for p in shown)  # the CX team can look the report's ids up
    assert full["customer_id"].str.lstrip("'").isin(ids).all()
    assert ("'" + HOSTILE) in full["customer_id"].tolist()


@pytest.mark.slow
def test_report_without_any_churn_date_says_there_is_no_churn(contact_warehouse, tmp_path):
    from cxlab import render

    db, _ = contact_warehouse
    copy = tmp_path / "nochurn.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE customers SET churn_date = NULL")
    nb = ROOT / "notebooks" / "retention_value.ipynb"
    html = render.render(nb, {"warehouse": str(copy)}, out_dir=tmp_path, name="nochurn")
    raw = html.read_text(encoding="utf-8")
    text = unescape(re.sub(r"<[^>]+>", "", raw))
    assert "no churn to analyse" in text
    assert "Traceback" not in text and "<img" not in raw  # no empty charts


@pytest.mark.slow
def test_pack_writes_the_follow_up_list_beside_the_retention_report(contact_warehouse, tmp_path):
    from cxlab.pack import pack

    src, last = contact_warehouse
    db = tmp_path / "w.duckdb"
    shutil.copy(src, db)
    with duckdb.connect(str(db)) as con:
        unit = con.execute("SELECT min(unit) FROM responses WHERE quarter = ?", [last]).fetchone()
        # too few unit-quarters here for nps_outcomes' lagged models: leave it out of the pack
        con.execute("DELETE FROM outcomes")
    out = tmp_path / "pack"
    pack(db, units=[unit[0]], out_dir=out, jobs=2, progress=False)
    csv = out / f"retention-value-{last}-followup.csv"
    assert csv.exists() and csv.with_suffix(".xlsx").exists()
    assert (out / ".cxlab-pseudonym-key").exists()
    report = (out / f"retention-value-{last}.html").read_text(encoding="utf-8")
    assert f"retention-value-{last}-followup.csv" in unescape(report)
    assert str(out) not in report  # the file by name, never the local path
    assert len(pd.read_csv(csv)) > 0


def test_followup_out_is_checked_before_any_kernel(contact_warehouse, tmp_path):
    from cxlab import render
    from cxlab.errors import RenderError

    nb = ROOT / "notebooks" / "retention_value.ipynb"
    with pytest.raises(RenderError, match="followup_out.*ending in .csv"):
        render.check_values(nb, {"followup_out": str(tmp_path / "list.xlsx")})
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RenderError, match="followup_out"):
        render.check_values(nb, {"followup_out": str(blocker / "list.csv")})
    db = str(contact_warehouse[0])
    render.check_values(nb, {"warehouse": db, "followup_out": str(tmp_path / "new" / "list.csv")})
    render.check_values(nb, {"warehouse": db, "followup_out": ""})
    render.check_values(nb, {"warehouse": db, "followup_out": "none"})


def test_the_full_list_carries_the_comment_masked_and_the_report_never_shows_it():
    r, c, t = _tables()
    said = {"1": "Call me on +44 20 7946 0958 or jane.doe@example.com", "3": "Slow."}
    r = r.assign(verbatim=r["response_id"].map(said))
    f = retention.followup(r, c, t, since="2025-07-01", end="2025-09-30", horizon=365, key="k")
    comments = dict(zip(f["customer_id"], f["comment"], strict=True))
    assert comments["det"] == "Call me on [phone] or [email]"
    assert comments["pas"] == "Slow." and pd.isna(comments[HOSTILE])
    top = retention.top_for_report(f, 5)
    assert "comment" not in top.columns and "customer_id" not in top.columns
    # responses without a verbatim column: the comment is empty, not an error
    g = retention.followup(r.drop(columns="verbatim"), c, t, since="2025-07-01", key="k")
    assert g["comment"].isna().all()
