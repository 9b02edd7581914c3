"""Survey-platform exports as they come (tests/data/exports/, see make_exports.py there).

Each export loads with the documented options and the expected counts in the
summary; each failure names file, column, rows and rule and changes nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cxlab import warehouse
from cxlab.errors import CxlabError, ValidationError
from cxlab.warehouse import LoadSpec

EXPORTS = Path(__file__).parent / "data" / "exports"
CXLAB = Path(sys.executable).parent / "cxlab"
LTR_Q = "How likely are you to recommend Elektro to a friend or colleague?"
CSAT_Q = "Overall, how satisfied were you with your visit?"
CSAT_RECODE = (
    "csat:Very satisfied=5,Satisfied=4,Neither satisfied nor dissatisfied=3,"
    "Dissatisfied=2,Very dissatisfied=1"
)
# the 12 respondents of make_exports.PEOPLE, in file order, as loaded
LTR = [10, 9, 3, 0, 7, 8, 6, 10, 2, 9]
CSAT = [5, 4, 2, 1, 3, 4, None, 5, 1, 5]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "wh" / "cx.duckdb"


def rows(db: Path, sql: str = "SELECT * FROM responses ORDER BY survey_date") -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def column(db: Path, name: str) -> list:
    return [r[0] for r in rows(db, f"SELECT {name} FROM responses ORDER BY survey_date")]


def qualtrics_spec(**extra) -> LoadSpec:
    return LoadSpec.from_options(
        mapping=[f"{LTR_Q}=ltr", "Q2=csat", "Q3=verbatim", "Store=unit"], **extra
    )


def test_qualtrics_csv_with_its_extra_header_rows(db: Path) -> None:
    report = warehouse.ingest(
        "responses", EXPORTS / "qualtrics_values.csv", db=db, spec=qualtrics_spec()
    )
    assert (report.rows_read, report.rows_added, report.rows_already_present) == (12, 10, 0)
    assert report.skipped == {"incomplete response": 1, "blank score": 1}
    assert report.absent_columns == (
        "customer_id",
        "channel",
        "touchpoint",
        "stage",
        "ces",
        "weight",
    )
    assert "RecipientEmail" in report.ignored_columns and "Finished" not in report.ignored_columns
    summary = report.summary()
    assert "12 rows read, 10 added, 0 already present, 2 skipped (load 1)" in summary
    assert "incomplete response 1" in summary and "--keep-incomplete" in summary
    assert column(db, "ltr") == LTR and column(db, "csat") == CSAT
    assert column(db, "response_id")[0] == "R_001xYz0037"
    assert str(column(db, "survey_date")[0]) == "2026-08-03"  # RecordedDate
    assert column(db, "quarter") == ["2026Q3"] * 10
    assert set(column(db, "unit")) == {"Oslo", "Bergen", "Malmö"}
    assert column(db, "stage") == [None] * 10
    # keeping the unfinished response adds it (its blank LTR is no reason: it has a CSAT? no)
    again = warehouse.ingest(
        "responses",
        EXPORTS / "qualtrics_values.csv",
        db=db,
        spec=qualtrics_spec(keep_incomplete=True),
    )
    assert (again.rows_added, again.rows_already_present) == (1, 10)
    assert again.skipped == {"blank score": 1}


def test_qualtrics_tsv_in_utf16_loads_the_same(db: Path, tmp_path: Path) -> None:
    report = warehouse.ingest(
        "responses", EXPORTS / "qualtrics_values.tsv", db=db, spec=qualtrics_spec()
    )
    assert report.rows_added == 10 and column(db, "ltr") == LTR
    assert set(column(db, "unit")) == {"Oslo", "Bergen", "Malmö"}


def test_labelled_answers_need_a_recode_and_a_bom_never_reaches_a_name(db: Path) -> None:
    src = EXPORTS / "qualtrics_labels.csv"
    with pytest.raises(ValidationError) as err:
        warehouse.ingest("responses", src, db=db, spec=qualtrics_spec())
    msg = str(err.value)
    assert msg.startswith(f"{src}: 1 rule broken; nothing was loaded into table 'responses'.")
    assert "column 'csat' (file column 'Q2') must be a number: 9 rows (rows 1, 2, 3, 4, 5, ...)"
    assert "values: 'Very satisfied', 'Satisfied', 'Dissatisfied'" in msg
    assert "--recode" in msg and not db.exists()
    report = warehouse.ingest("responses", src, db=db, spec=qualtrics_spec(recode=[CSAT_RECODE]))
    assert report.rows_added == 10
    # '10 - Extremely likely' and '0 - Not at all likely' are read by their leading number
    assert column(db, "ltr") == LTR and column(db, "csat") == CSAT


def test_surveymonkey_second_header_row_and_us_dates(db: Path) -> None:
    src = EXPORTS / "surveymonkey.csv"
    spec = LoadSpec.from_options(
        mapping=[f"{LTR_Q}=ltr", f"{CSAT_Q}=csat", "Which store did you visit?=unit"],
        recode=[CSAT_RECODE],
    )
    with pytest.raises(ValidationError) as err:
        warehouse.ingest("responses", src, db=db, spec=spec)
    msg = str(err.value)
    assert "column 'survey_date' (file column 'End Date') must be a date" in msg
    assert "10 rows (rows 1, 2, 3, 4, 5, ...); values: '08/03/2026 09:21:57 AM'" in msg
    assert '--date-format "%m/%d/%Y %I:%M:%S %p"' in msg
    spec.date_format = ["%m/%d/%Y %I:%M:%S %p"]
    report = warehouse.ingest("responses", src, db=db, spec=spec)
    assert (report.rows_read, report.rows_added, report.skipped) == (11, 10, {"blank score": 1})
    assert column(db, "response_id")[0] == "114000000001"
    assert column(db, "ltr") == LTR and column(db, "csat") == CSAT
    assert str(column(db, "survey_date")[0]) == "2026-08-03"


def test_european_semicolons_cp1252_and_day_first_dates(db: Path) -> None:
    src = EXPORTS / "european_cp1252.csv"
    spec = LoadSpec.from_options(
        mapping=[
            "Response ID=response_id",
            "Date=survey_date",
            "Business unit=unit",
            "NPS=ltr",
            "Comment=verbatim",
        ]
    )
    with pytest.raises(ValidationError, match="--dayfirst"):
        warehouse.ingest("responses", src, db=db, spec=spec)
    spec.dayfirst = True
    assert warehouse.ingest("responses", src, db=db, spec=spec).rows_added == 10
    assert column(db, "ltr") == LTR
    assert "Trevlig personal – även på helger" in column(db, "verbatim")
    assert "Okay; nothing special" in column(db, "verbatim")


def test_excel_with_an_about_sheet_first(db: Path) -> None:
    src = EXPORTS / "workbook_about_first.xlsx"
    with pytest.raises(ValidationError) as err:
        warehouse.ingest("responses", src, db=db)
    msg = str(err.value)
    assert msg.startswith(f"{src} (sheet 'About'): required column(s) missing")
    assert "The workbook's sheets are: 'About', 'Data'; pick another with --sheet NAME" in msg
    report = warehouse.ingest("responses", src, db=db, spec=LoadSpec(sheet="Data"))
    assert (report.rows_read, report.rows_added) == (10, 10)
    assert column(db, "ltr") == LTR
    assert warehouse.ingest("responses", src, db=db, spec=LoadSpec(sheet=1)).rows_added == 0
    with pytest.raises(CxlabError, match="no sheet 'Daten'; the workbook's sheets are: 'About'"):
        warehouse.ingest("responses", src, db=db, spec=LoadSpec(sheet="Daten"))


def test_spss_value_labels_for_text_codes_for_scores(db: Path) -> None:
    spec = LoadSpec.from_options(
        mapping=["RecordedDate=survey_date", f"{LTR_Q}=ltr", "Q2=csat", "Store=unit"]
    )
    report = warehouse.ingest("responses", EXPORTS / "survey.sav", db=db, spec=spec)
    assert (report.rows_read, report.rows_added) == (10, 10)
    assert column(db, "ltr") == LTR and column(db, "csat") == CSAT
    assert set(column(db, "unit")) == {"Oslo", "Bergen", "Malmö"}  # labels, not 1, 2, 3


def test_controlled_vocabularies_match_any_case(db: Path, tmp_path: Path) -> None:
    src = EXPORTS / "workbook_about_first.xlsx"
    warehouse.ingest("responses", src, db=db, spec=LoadSpec(sheet="Data"))
    assert set(column(db, "channel")) == {"Store", "WEB"}
    more = tmp_path / "more.csv"
    more.write_text(
        "response_id,unit,survey_date,channel,stage,ltr\n"
        "N1,Nordics,2026-08-20,store,Interaction,9\n"
        "N2,Nordics,2026-08-21,Web,ATTRACTION,7\n"
    )
    warehouse.ingest("responses", more, db=db)
    got = dict(rows(db, "SELECT response_id, channel FROM responses WHERE response_id LIKE 'N%'"))
    assert got == {"N1": "Store", "N2": "WEB"}  # the warehouse's spelling
    stages = rows(db, "SELECT stage FROM responses WHERE response_id LIKE 'N%' ORDER BY 1")
    assert stages == [("attraction",), ("interaction",)]


def test_one_source_column_feeds_two_targets_and_constants(db: Path, tmp_path: Path) -> None:
    src = tmp_path / "r.csv"
    src.write_text("id,when,score\nA,2026-01-05,4\nB,2026-02-05,5\n")
    spec = LoadSpec.from_options(
        mapping=["id=response_id", "id=customer_id", "when=survey_date", "score=csat"],
        set=["unit=Nordics", "channel=web"],
    )
    warehouse.ingest("responses", src, db=db, spec=spec)
    got = rows(db, "SELECT response_id, customer_id, unit, channel, csat, ltr FROM responses")
    assert sorted(got) == [
        ("A", "A", "Nordics", "web", 4, None),
        ("B", "B", "Nordics", "web", 5, None),
    ]


def test_mapping_file_round_trip(tmp_path: Path, db: Path) -> None:
    spec = qualtrics_spec(recode=[CSAT_RECODE], format="qualtrics")
    path = spec.save(tmp_path / "qualtrics.yml")
    assert LoadSpec.load(path) == spec
    report = warehouse.ingest(
        "responses", EXPORTS / "qualtrics_labels.csv", db=db, spec=LoadSpec.load(path)
    )
    assert report.rows_added == 10
    (tmp_path / "bad.yml").write_text("colums:\n  ltr: Q1\n")
    with pytest.raises(CxlabError, match="unknown setting.*colums.*settings are: columns"):
        LoadSpec.load(tmp_path / "bad.yml")


FAILURES = [
    # (file content, spec options, expected message parts)
    (
        "response_id,unit,survey_date,ltr\nA,N,2026-01-01,7\nB,N,2026-01-02,eleven\n",
        {},
        ["column 'ltr' must be a number: 1 row (row 2); value: 'eleven'"],
    ),
    (
        "response_id,unit,survey_date,ltr\nA,N,2026-01-01,7\nA,N,2026-01-02,8\n",
        {},
        ["key (response_id) is duplicated within the file", "response_id='A': rows 1, 2"],
    ),
    (
        "response_id,unit,survey_date,ltr,stage\nA,N,2026-01-01,7,retention\n",
        {},
        ["column 'stage' must be one of attraction, interaction, cultivation: 1 row (row 1)"],
    ),
    (
        "response_id,unit,survey_date,ltr\nA,,2026-01-01,7\n",
        {},
        ["column 'unit' must not be empty: 1 row (row 1)"],
    ),
    (
        "response_id,unit,survey_date,ltr\nA,N,2026-01-01,7\n",
        {"set": ["weight=-1"]},
        ["column 'weight' (--set) must be >= 0"],
    ),
]


@pytest.mark.parametrize(("content", "options", "parts"), FAILURES)
def test_failures_name_file_column_rows_rule_and_change_nothing(
    tmp_path: Path, db: Path, content: str, options: dict, parts: list[str]
) -> None:
    warehouse.ingest("responses", EXPORTS / "qualtrics_values.csv", db=db, spec=qualtrics_spec())
    before = warehouse.data_fingerprint(db)
    src = tmp_path / "bad.csv"
    src.write_text(content)
    with pytest.raises(ValidationError) as err:
        warehouse.ingest("responses", src, db=db, spec=LoadSpec.from_options(**options))
    msg = str(err.value)
    assert msg.startswith(str(src))
    for part in parts:
        assert part in msg
    assert warehouse.data_fingerprint(db) == before
    assert sorted(p.name for p in db.parent.iterdir()) == [db.name]


def test_cli_walks_a_qualtrics_export_and_saves_the_mapping(tmp_path: Path) -> None:
    shutil.copy(EXPORTS / "qualtrics_labels.csv", tmp_path / "export.csv")
    cmd = [
        str(CXLAB),
        "ingest",
        "responses",
        "export.csv",
        "--set",
        "unit=Nordics",
        "--map",
        f"{LTR_Q}=ltr",
        "--map",
        "Q2=csat",
        "--map",
        "Q3=verbatim",
        "--recode",
        CSAT_RECODE,
        "--save-mapping",
        "qualtrics.yml",
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0] == (
        "export.csv -> responses in data/cxlab.duckdb: 12 rows read, 10 added, "
        "0 already present, 2 skipped (load 1)"
    )
    assert "options saved to qualtrics.yml" in res.stdout
    res = subprocess.run(
        [str(CXLAB), "ingest", "responses", "export.csv", "--mapping", "qualtrics.yml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert "0 added, 10 already present" in res.stdout


def test_ingest_help_lists_each_tables_required_columns() -> None:
    from cxlab.schema import TABLES

    res = subprocess.run(
        [str(CXLAB), "ingest", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**__import__("os").environ, "COLUMNS": "200"},
    )
    assert res.returncode == 0
    text = " ".join(res.stdout.split())
    for t in TABLES.values():
        start = text.index(f"{t.name}:")
        listed = text[start : start + 160]
        for c in t.columns:
            if c.required:
                assert c.name in listed, (t.name, c.name)
