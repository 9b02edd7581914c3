"""Tests for cxlab.warehouse: validated, all-or-nothing ingest into real DuckDB files."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cxlab import warehouse
from cxlab.errors import CxlabError, ValidationError
from cxlab.schema import TABLES

CXLAB = Path(sys.executable).parent / "cxlab"


# --------------------------------------------------------------------------- #
# Helpers: small valid frames per table, writers, readers
# --------------------------------------------------------------------------- #


def responses(n: int = 5, start: int = 1) -> pd.DataFrame:
    ids = range(start, start + n)
    return pd.DataFrame(
        {
            "response_id": [f"R{i}" for i in ids],
            "customer_id": [f"C{i % 3}" for i in ids],
            "unit": ["North"] * n,
            "survey_date": [f"2025-0{1 + i % 9}-15" for i in ids],
            "channel": ["web" if i % 2 else "phone" for i in ids],
            "touchpoint": ["checkout"] * n,
            "stage": ["interaction"] * n,
            "ltr": [i % 11 for i in ids],
            "csat": [1 + i % 5 for i in ids],
        }
    )


def valid_frame(table: str) -> pd.DataFrame:
    """Five valid rows for each table used in the rule tests."""
    n = 5
    frames = {
        "responses": responses(n),
        "transactions": pd.DataFrame(
            {
                "transaction_id": [f"T{i}" for i in range(n)],
                "customer_id": ["C1"] * n,
                "unit": ["North"] * n,
                "date": ["2025-02-01"] * n,
                "revenue": [10.5, 20.0, 3.25, 4.0, 5.0],
                "margin": [1.0] * n,
            }
        ),
        "attribute_ratings": pd.DataFrame(
            {
                "response_id": ["R1"] * n,
                "attribute": [f"A{i}" for i in range(n)],
                "rating": [0, 3, 10, 7, 5],
            }
        ),
        "outcomes": pd.DataFrame(
            {
                "unit": ["North"] * n,
                "quarter": ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1"],
                "new_customers": [10, 12, 0, 7, 3],
                "revenue": [100.0] * n,
                "profit": [-5.0, 1.0, 2.0, 3.0, 4.0],
                "market_share": [0.1, 0.2, 0.0, 1.0, 0.5],
            }
        ),
        "customer_history": pd.DataFrame(
            {
                "customer_id": [f"C{i}" for i in range(n)],
                "valid_from": ["2024-01-01"] * n,
                "valid_to": ["2024-06-30", None, "2024-01-01", None, "2025-01-01"],
                "segment": ["smb"] * n,
                "region": ["EU"] * n,
                "preferred_channel": ["web"] * n,
            }
        ),
        "interactions": pd.DataFrame(
            {
                "interaction_id": [f"I{i}" for i in range(n)],
                "customer_id": ["C1"] * n,
                "timestamp": [f"2025-03-0{i + 1} 10:1{i}:00" for i in range(n)],
                "touchpoint": ["support"] * n,
                "channel": ["phone"] * n,
                "stage": ["cultivation"] * n,
            }
        ),
    }
    return frames[table]


def write(df: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        df.to_csv(path, index=False)
    elif path.suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif path.suffix == ".xlsx":
        df.to_excel(path, index=False)
    else:
        raise AssertionError(path)
    return path


def read(db: Path, table: str) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f'SELECT * FROM "{table}" ORDER BY ALL').df()
    finally:
        con.close()


def count(db: Path, table: str) -> int:
    return len(read(db, table))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "wh" / "cx.duckdb"


# --------------------------------------------------------------------------- #
# Happy paths
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("suffix", "typed"),
    [(".csv", False), (".parquet", False), (".parquet", True), (".xlsx", False), (".xlsx", True)],
)
def test_ingest_happy_path_each_format(tmp_path: Path, db: Path, suffix: str, typed: bool) -> None:
    df = responses(5)
    if typed:  # real date cells / date32 columns and float scores instead of text
        df["survey_date"] = pd.to_datetime(df["survey_date"])
        df["csat"] = df["csat"].astype(float)
    src = write(df, tmp_path / f"resp{suffix}")
    report = warehouse.ingest("responses", src, db=db)
    assert (report.rows_read, report.rows_added, report.rows_already_present) == (5, 5, 0)
    assert report.summary().splitlines() == [
        f"{src} -> responses in {db}: 5 rows read, 5 added, 0 already present (load 1)",
        '  not in the file, stored as empty (shown as "not recorded"): ces, verbatim, weight',
    ]
    out = warehouse.table("responses", db=db).order_by("response_id").execute()
    assert out["response_id"].tolist() == ["R1", "R2", "R3", "R4", "R5"]
    assert out["ltr"].tolist() == [1, 2, 3, 4, 5]
    assert out["csat"].tolist() == [2, 3, 4, 5, 1]
    # quarter derived from survey_date: months 2,3,4,5,6 of 2025
    assert out["quarter"].tolist() == ["2025Q1", "2025Q1", "2025Q2", "2025Q2", "2025Q2"]
    assert pd.to_datetime(out["survey_date"]).dt.strftime("%Y-%m-%d").tolist()[0] == "2025-02-15"
    # optional columns absent from the file are NULL
    assert out["ces"].isna().all() and out["weight"].isna().all()
    assert out["verbatim"].isna().all()


def test_ingest_creates_all_tables_and_types(tmp_path: Path, db: Path) -> None:
    warehouse.ingest("responses", write(responses(2), tmp_path / "r.csv"), db=db)
    con = warehouse.connect(db)
    assert set(con.list_tables()) == set(TABLES)
    assert con.sql("SELECT count(*) AS n FROM responses").execute()["n"].tolist() == [2]
    schema = con.table("responses").schema()
    assert str(schema["ltr"]) == "int32"
    assert str(schema["survey_date"]) == "!date"
    assert str(schema["weight"]) == "float64"


def test_other_tables_round_trip(tmp_path: Path, db: Path) -> None:
    for name in ["transactions", "outcomes", "customer_history", "interactions"]:
        rep = warehouse.ingest(name, write(valid_frame(name), tmp_path / f"{name}.csv"), db=db)
        assert rep.rows_added == 5
    hist = read(db, "customer_history")
    assert hist["valid_to"].isna().sum() == 2
    inter = read(db, "interactions")
    assert str(inter["timestamp"].iloc[2]) == "2025-03-03 10:12:00"
    out = read(db, "outcomes")
    assert out["new_customers"].sum() == 32 and out["profit"].min() == -5.0


def test_idempotent_reingest_and_partial_overlap(tmp_path: Path, db: Path) -> None:
    src = write(responses(5), tmp_path / "r.csv")
    warehouse.ingest("responses", src, db=db)
    again = warehouse.ingest("responses", src, db=db)
    assert (again.rows_read, again.rows_added, again.rows_already_present) == (5, 0, 5)
    assert "0 added, 5 already present" in again.summary()
    overlap = write(responses(4, start=4), tmp_path / "r2.parquet")  # R4, R5 old; R6, R7 new
    rep = warehouse.ingest("responses", overlap, db=db)
    assert (rep.rows_added, rep.rows_already_present) == (2, 2)
    assert count(db, "responses") == 7


def test_mapping_renames_and_extra_columns_are_reported(tmp_path: Path, db: Path) -> None:
    df = responses(3).rename(
        columns={"ltr": "How likely are you to recommend us?", "response_id": "RespondentID"}
    )
    df["Browser"] = "Firefox"
    src = write(df, tmp_path / "export.csv")
    mapping = warehouse.parse_mapping(
        ["How likely are you to recommend us?=ltr", "RespondentID = response_id"]
    )
    rep = warehouse.ingest("responses", src, db=db, mapping=mapping)
    assert rep.rows_added == 3
    assert rep.ignored_columns == ("Browser",)
    assert "ignored columns: 'Browser'" in rep.summary()
    assert read(db, "responses")["ltr"].tolist() == [1, 2, 3]

    df.loc[1, "How likely are you to recommend us?"] = 12
    src = write(df.assign(RespondentID=["x1", "x2", "x3"]), tmp_path / "export2.csv")
    with pytest.raises(ValidationError) as err:
        warehouse.ingest("responses", src, db=db, mapping=mapping)
    assert "column 'ltr' (file column 'How likely are you to recommend us?')" in str(err.value)


def test_parse_mapping_errors() -> None:
    assert warehouse.parse_mapping(["a=b=ltr"]) == {"a=b": "ltr"}
    with pytest.raises(CxlabError, match="not of the form"):
        warehouse.parse_mapping(["no equals sign"])
    with pytest.raises(CxlabError, match="not of the form"):
        warehouse.parse_mapping(["=ltr"])
    with pytest.raises(CxlabError, match="'nps_score' is not a warehouse column"):
        warehouse.parse_mapping(["Q1=nps_score"])
    with pytest.raises(CxlabError, match="given twice"):
        warehouse.parse_mapping(["Q1=ltr", "Q2=ltr"])


def test_mapping_source_missing_and_target_of_other_table(tmp_path: Path, db: Path) -> None:
    src = write(responses(2), tmp_path / "r.csv")
    with pytest.raises(CxlabError, match="the file has no column 'Q9'"):
        warehouse.ingest("responses", src, db=db, mapping={"Q9": "ltr"})
    with pytest.raises(CxlabError, match="'revenue' is not a column of table 'responses'"):
        warehouse.ingest("responses", src, db=db, mapping={"ltr": "revenue"})
    assert not db.exists()


def test_missing_required_columns_are_listed(tmp_path: Path, db: Path) -> None:
    src = write(responses(2).drop(columns=["survey_date", "unit"]), tmp_path / "r.csv")
    with pytest.raises(ValidationError) as err:
        warehouse.ingest("responses", src, db=db)
    msg = str(err.value)
    assert str(src) in msg and "required column(s) missing" in msg
    assert "unit, survey_date." in msg and "--map" in msg and "--set" in msg
    scoreless = write(responses(2).drop(columns=["ltr", "csat"]), tmp_path / "s.csv")
    with pytest.raises(ValidationError, match=r"missing .*: a score \(ltr, csat or ces\)"):
        warehouse.ingest("responses", scoreless, db=db)


def test_semicolon_csv_with_bom_and_cp1252(tmp_path: Path, db: Path) -> None:
    df = responses(2)
    df["verbatim"] = ["très bien", "naïve"]
    p = tmp_path / "r.csv"
    p.write_bytes(df.to_csv(index=False, sep=";").encode("utf-8-sig"))
    warehouse.ingest("responses", p, db=db)
    p2 = tmp_path / "r2.csv"
    p2.write_bytes(
        responses(2, start=3).assign(verbatim="déjà").to_csv(index=False).encode("cp1252")
    )
    warehouse.ingest("responses", p2, db=db)
    assert read(db, "responses")["verbatim"].tolist() == ["très bien", "naïve", "déjà", "déjà"]


# --------------------------------------------------------------------------- #
# Rules: every rule names the file, column, row and rule, and loads nothing
# --------------------------------------------------------------------------- #

RULES = [
    # table, column, bad value at data row 3, expected rule text, expected value text
    ("responses", "ltr", "7.5", "must be a whole number", "'7.5'"),
    ("responses", "ltr", "11", "must be between 0 and 10", "'11'"),
    ("responses", "ltr", "ten", "must be a number", "'ten'"),
    ("responses", "csat", "0", "must be between 1 and 5", "'0'"),
    ("responses", "ces", "8", "must be between 1 and 7", "'8'"),
    ("responses", "weight", "-0.5", "must be >= 0", "'-0.5'"),
    ("responses", "survey_date", "2025-02-30", "must be a date", "'2025-02-30'"),
    ("responses", "survey_date", "31/12/2025", "must be a date", "'31/12/2025'"),
    ("responses", "stage", "retention", "must be one of attraction, interaction", "'retention'"),
    ("responses", "unit", None, "must not be empty", ""),
    ("responses", "quarter", "2025Q4", "must equal the quarter of survey_date", "'2025Q4'"),
    ("transactions", "revenue", "inf", "must be finite", "'inf'"),
    ("transactions", "revenue", "12,50", "must be a number", "'12,50'"),
    ("transactions", "date", "soon", "must be a date", "'soon'"),
    ("outcomes", "market_share", "12.5", "must be between 0 and 1", "'12.5'"),
    ("outcomes", "new_customers", "-3", "must be >= 0", "'-3'"),
    ("outcomes", "new_customers", "2.5", "must be a whole number", "'2.5'"),
    ("outcomes", "quarter", "2025-Q1", "must be a quarter label", "'2025-Q1'"),
    ("customer_history", "valid_to", "2023-12-31", "must be on or after valid_from", ""),
    ("interactions", "timestamp", "yesterday", "must be a date-time", "'yesterday'"),
    ("interactions", "stage", "Retention", "must be one of", "'Retention'"),
    ("attribute_ratings", "rating", "11", "must be between 0 and 10", "'11'"),
    ("attribute_ratings", "rating", "6.5", "must be a whole number", "'6.5'"),
]


@pytest.mark.parametrize(("table", "column", "bad", "rule", "value"), RULES)
def test_rule_is_rejected_with_a_precise_message(
    tmp_path: Path, db: Path, table: str, column: str, bad: str | None, rule: str, value: str
) -> None:
    df = valid_frame(table).astype(object)
    if column == "quarter" and table == "responses":
        df["quarter"] = ["2025Q1", "2025Q1", "2025Q2", "2025Q2", "2025Q2"]
    df.loc[2, column] = bad
    src = write(df, tmp_path / f"bad_{table}.csv")
    with pytest.raises(ValidationError) as err:
        warehouse.ingest(table, src, db=db)
    msg = str(err.value)
    assert msg.startswith(f"{src}: 1 rule broken; nothing was loaded into table '{table}'.")
    assert f"column '{column}' {rule}" in msg
    assert "1 row (row 3)" in msg
    assert "row N is line N+1 of the file" in msg
    if value:
        assert f"value: {value}" in msg
    assert not db.exists()  # nothing written, not even an empty warehouse


def test_many_failures_are_counted_and_truncated(tmp_path: Path, db: Path) -> None:
    df = responses(12)
    df["ltr"] = [12, 3, 13, 14, 4, 15, 16, 17, 18, 5, 19, 20]
    df.loc[1, "stage"] = "oops"
    src = write(df, tmp_path / "r.csv")
    with pytest.raises(ValidationError) as err:
        warehouse.ingest("responses", src, db=db)
    msg = str(err.value)
    assert "2 rules broken" in msg
    assert (
        "column 'ltr' must be between 0 and 10: 9 rows (rows 1, 3, 4, 6, 7, ...); "
        "values: '12', '13', '14', '15', '16', ..." in msg
    )
    assert (
        "column 'stage' must be one of attraction, interaction, cultivation: 1 row (row 2)" in msg
    )


def test_quarter_given_and_matching_is_accepted(tmp_path: Path, db: Path) -> None:
    df = responses(3).assign(quarter=["2025Q1", "2025Q1", "2025Q2"])
    warehouse.ingest("responses", write(df, tmp_path / "r.parquet"), db=db)
    assert read(db, "responses")["quarter"].tolist() == ["2025Q1", "2025Q1", "2025Q2"]


def test_duplicate_keys_within_the_file(tmp_path: Path, db: Path) -> None:
    df = pd.concat([responses(4), responses(2, start=2)], ignore_index=True)  # R2, R3 twice
    src = write(df, tmp_path / "dups.csv")
    with pytest.raises(ValidationError) as err:
        warehouse.ingest("responses", src, db=db)
    msg = str(err.value)
    assert f"{src}: key (response_id) is duplicated within the file: 2 keys on 4 rows" in msg
    assert "response_id='R2': rows 2, 5" in msg
    assert "response_id='R3': rows 3, 6" in msg
    assert not db.exists()  # a warehouse that did not exist is not left behind empty


def test_composite_key_duplicate(tmp_path: Path, db: Path) -> None:
    df = valid_frame("outcomes")
    df.loc[4, "quarter"] = "2024Q2"
    src = write(df, tmp_path / "out.csv")
    with pytest.raises(ValidationError, match=r"unit='North', quarter='2024Q2': rows 2, 5"):
        warehouse.ingest("outcomes", src, db=db)


# --------------------------------------------------------------------------- #
# All or nothing, conflicts
# --------------------------------------------------------------------------- #


def test_one_bad_row_changes_nothing(tmp_path: Path, db: Path) -> None:
    warehouse.ingest("responses", write(responses(5), tmp_path / "a.csv"), db=db)
    warehouse.ingest("outcomes", write(valid_frame("outcomes"), tmp_path / "o.csv"), db=db)
    before = {name: read(db, name) for name in TABLES}
    fp = warehouse.data_fingerprint(db)
    df = responses(10, start=6)
    df.loc[7, "ltr"] = 11  # one bad row among ten new good ones
    with pytest.raises(ValidationError, match=r"row 8\)"):
        warehouse.ingest("responses", write(df, tmp_path / "b.csv"), db=db)
    assert count(db, "responses") == 5
    for name in TABLES:
        pd.testing.assert_frame_equal(read(db, name), before[name])
    assert warehouse.data_fingerprint(db) == fp
    assert [p.name for p in db.parent.iterdir()] == [db.name]  # no staging left behind


def test_conflicting_key_is_an_error_and_nothing_is_written(tmp_path: Path, db: Path) -> None:
    warehouse.ingest("responses", write(responses(5), tmp_path / "a.csv"), db=db)
    df = responses(6)  # R1..R5 again plus new R6
    df.loc[1, "ltr"] = 9  # R2 was 2
    df.loc[3, ["ltr", "stage"]] = [0, "attraction"]  # R4 was 4, interaction
    src = write(df, tmp_path / "b.csv")
    with pytest.raises(ValidationError) as err:
        warehouse.ingest("responses", src, db=db)
    msg = str(err.value)
    assert f"{src}: 2 rows have a key already in table 'responses' but different values" in msg
    assert "(columns: stage, ltr)" in msg
    assert "response_id='R2' (row 2): ltr: file 9 vs warehouse 2" in msg
    assert "response_id='R4' (row 4): stage: file 'attraction' vs warehouse 'interaction'" in msg
    assert count(db, "responses") == 5  # R6 was not added either


def test_unknown_table_lists_valid_names(tmp_path: Path, db: Path) -> None:
    with pytest.raises(CxlabError, match="unknown table 'survey'.*responses, transactions"):
        warehouse.ingest("survey", write(responses(1), tmp_path / "r.csv"), db=db)


def test_unreadable_inputs(tmp_path: Path, db: Path) -> None:
    with pytest.raises(CxlabError, match="no such file"):
        warehouse.ingest("responses", tmp_path / "nope.csv", db=db)
    (tmp_path / "r.json").write_text("{}")
    with pytest.raises(CxlabError, match="unsupported file type '.json'"):
        warehouse.ingest("responses", tmp_path / "r.json", db=db)
    bad = tmp_path / "ragged.csv"
    bad.write_text("response_id,unit,survey_date,ltr\nR1,N,2025-01-01,7\nR2,N,2025-01-01,7,extra\n")
    with pytest.raises(CxlabError, match="cannot read it as CSV.*Line: 3.*Expected Number of"):
        warehouse.ingest("responses", bad, db=db)


# --------------------------------------------------------------------------- #
# Chunking and row numbers across chunks and parts
# --------------------------------------------------------------------------- #


def test_row_numbers_stay_right_across_formats(tmp_path: Path, db: Path) -> None:
    df = responses(40)
    df.loc[[4, 17, 35], "csat"] = 9  # rows 5, 18, 36
    for suffix in [".parquet", ".csv", ".xlsx"]:
        with pytest.raises(ValidationError) as err:
            warehouse.ingest("responses", write(df, tmp_path / f"r{suffix}"), db=db)
        assert "column 'csat' must be between 1 and 5: 3 rows (rows 5, 18, 36)" in str(err.value)
    good = warehouse.ingest("responses", write(responses(40), tmp_path / "g.csv"), db=db)
    assert good.rows_added == 40 and count(db, "responses") == 40


def test_parquet_folder_names_the_part_and_row(tmp_path: Path, db: Path) -> None:
    folder = tmp_path / "responses"
    folder.mkdir()
    write(responses(4), folder / "part-00000.parquet")
    bad = responses(4, start=5)
    bad.loc[1, "ltr"] = -1
    write(bad, folder / "part-00001.parquet")
    with pytest.raises(ValidationError) as err:
        warehouse.ingest("responses", folder, db=db)
    assert "1 row (part-00001.parquet row 2); value: -1" in str(err.value)
    write(responses(4, start=5), folder / "part-00001.parquet")
    assert warehouse.ingest("responses", folder, db=db).rows_added == 8


def test_excel_row_note(tmp_path: Path, db: Path) -> None:
    df = responses(4).astype(object)
    df.loc[3, "ces"] = 0
    with pytest.raises(ValidationError) as err:
        warehouse.ingest("responses", write(df, tmp_path / "r.xlsx"), db=db)
    assert "row N is spreadsheet row N+1" in str(err.value)
    assert "column 'ces' must be between 1 and 7: 1 row (row 4)" in str(err.value)


# --------------------------------------------------------------------------- #
# connect, fingerprint, build_from_dir
# --------------------------------------------------------------------------- #


def test_connect_missing_file_names_path(tmp_path: Path) -> None:
    missing = tmp_path / "none.duckdb"
    with pytest.raises(CxlabError, match=str(missing)):
        warehouse.connect(missing)
    with pytest.raises(CxlabError, match="unknown table"):
        warehouse.table("nps", db=missing)


def test_create_is_idempotent_and_fingerprint_streams(tmp_path: Path, db: Path) -> None:
    warehouse.create(db)
    warehouse.create(db)
    assert set(warehouse.connect(db).list_tables()) == set(TABLES)
    assert warehouse.data_fingerprint(db) == hashlib.sha256(db.read_bytes()).hexdigest()


def _demo_dir(root: Path, bad: bool = False) -> Path:
    src = root / "demo"
    (src / "responses").mkdir(parents=True)
    (src / "outcomes").mkdir()
    write(responses(4), src / "responses" / "part-00000.parquet")
    second = responses(3, start=5)
    if bad:
        second.loc[2, "weight"] = -1.0
    write(second, src / "responses" / "part-00001.parquet")
    write(valid_frame("outcomes"), src / "outcomes" / "part-00000.parquet")
    return src


def test_build_from_dir_counts(tmp_path: Path, db: Path) -> None:
    counts = warehouse.build_from_dir(_demo_dir(tmp_path), db)
    assert counts == {name: 0 for name in TABLES} | {"responses": 7, "outcomes": 5}
    assert count(db, "responses") == 7
    assert not db.with_suffix(".tmp.duckdb").exists()


def test_build_from_dir_is_atomic(tmp_path: Path, db: Path) -> None:
    warehouse.build_from_dir(_demo_dir(tmp_path / "good"), db)
    fp = warehouse.data_fingerprint(db)
    with pytest.raises(CxlabError, match="already there"):
        warehouse.build_from_dir(_demo_dir(tmp_path / "again"), db)
    with pytest.raises(ValidationError, match=r"part-00001.parquet row 3\); value: -1"):
        warehouse.build_from_dir(_demo_dir(tmp_path / "bad", bad=True), db, replace=True)
    assert warehouse.data_fingerprint(db) == fp
    assert count(db, "responses") == 7
    assert sorted(p.name for p in db.parent.iterdir()) == [db.name]


# --------------------------------------------------------------------------- #
# The command line, end to end
# --------------------------------------------------------------------------- #


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CXLAB), "ingest", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_cli_ingest_ok_and_bad(tmp_path: Path) -> None:
    df = responses(3).rename(columns={"ltr": "Recommend?"})
    write(df, tmp_path / "ok.csv")
    res = run_cli(
        "responses", "ok.csv", "--db", "w.duckdb", "--map", "Recommend?=ltr", cwd=tmp_path
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0] == (
        "ok.csv -> responses in w.duckdb: 3 rows read, 3 added, 0 already present (load 1)"
    )

    bad = responses(3).astype(object)
    bad.loc[1, "ltr"] = 7.5
    write(bad, tmp_path / "bad.csv")
    res = run_cli("responses", "bad.csv", "--db", "w.duckdb", cwd=tmp_path)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert res.stderr.startswith("cxlab: error: bad.csv: 1 rule broken")
    assert "column 'ltr' must be a whole number: 1 row (row 2); value: '7.5'" in res.stderr
    assert count(tmp_path / "w.duckdb", "responses") == 3


def test_cli_unknown_table_and_bad_mapping(tmp_path: Path) -> None:
    write(responses(1), tmp_path / "ok.csv")
    res = run_cli("nps", "ok.csv", "--db", "w.duckdb", cwd=tmp_path)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "unknown table 'nps'" in res.stderr and "customers" in res.stderr
    res = run_cli("responses", "ok.csv", "--map", "oops", cwd=tmp_path)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "not of the form" in res.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_cli_usage_error_has_no_traceback(tmp_path: Path) -> None:
    res = run_cli("responses", cwd=tmp_path)  # PATH argument missing
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "Missing argument" in res.stderr


def test_memory_limit_from_the_environment(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CXLAB_MEMORY_LIMIT caps DuckDB's memory (out of core beyond it); a value DuckDB
    cannot read is one message naming the variable."""
    warehouse.ingest("responses", write(responses(2), tmp_path / "r.csv"), db=db)
    monkeypatch.setenv("CXLAB_MEMORY_LIMIT", "1GB")
    con = warehouse.connect(db)
    assert con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0] == "953.6 MiB"
    con.disconnect()
    monkeypatch.setenv("CXLAB_MEMORY_LIMIT", "lots")
    with pytest.raises(CxlabError, match="CXLAB_MEMORY_LIMIT='lots' is not a memory size"):
        warehouse.connect(db)
