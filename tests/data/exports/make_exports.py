"""Write the realistic survey-platform exports that tests/test_exports.py loads.

Run from the repository root: ``.venv/bin/python tests/data/exports/make_exports.py``.
The files are committed; this script documents how they were made (by hand-built
rows in the exact shape each platform exports), so they can be re-made or extended.

Each file holds the same 12 respondents of a fictional electronics retailer, of
which 1 is unfinished (Qualtrics Finished=False) and 1 left the LTR question
blank (and answered nothing else), so the expected summary is: 12 read, 10
added, 1 incomplete, 1 blank score (for the formats that mark completion).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent

LTR_LABEL = {0: "0 - Not at all likely", 10: "10 - Extremely likely"}
CSAT_LABELS = {
    5: "Very satisfied",
    4: "Satisfied",
    3: "Neither satisfied nor dissatisfied",
    2: "Dissatisfied",
    1: "Very dissatisfied",
}
# id, day (2026-08-DD), hour, ltr, csat, store, finished, verbatim
PEOPLE = [
    (1, 3, 9, 10, 5, "Oslo", True, "Great service, fast delivery"),
    (2, 4, 10, 9, 4, "Oslo", True, "Good, but the queue was long"),
    (3, 5, 11, 3, 2, "Bergen", True, 'Staff could not answer "simple" questions'),
    (4, 6, 14, 0, 1, "Bergen", True, "Never again. Call me: +47 912 34 567"),
    (5, 7, 15, 7, 3, "Malmö", True, "Okay; nothing special"),
    (6, 10, 16, 8, 4, "Malmö", True, "Trevlig personal – även på helger"),
    (7, 11, 17, 6, None, "Oslo", True, ""),
    (8, 12, 18, 10, 5, "Bergen", True, "<b>Loved it</b> <script>alert(1)</script>"),
    (9, 13, 19, 2, 1, "Oslo", True, "Product was out of stock twice"),
    (10, 14, 20, 9, 5, "Malmö", True, "Smooth click & collect"),
    (11, 17, 21, 5, None, "Oslo", False, ""),  # unfinished
    (12, 18, 22, None, None, "Bergen", True, ""),  # skipped the LTR question
]
LTR_Q = "How likely are you to recommend Elektro to a friend or colleague?"
CSAT_Q = "Overall, how satisfied were you with your visit?"
WHY_Q = "What is the main reason for your score?"


def _us(day: int, hour: int) -> str:
    h12 = hour % 12 or 12
    return f"08/{day:02d}/2026 {h12:02d}:{(day * 7) % 60:02d}:{(hour * 13) % 60:02d} {'PM' if hour >= 12 else 'AM'}"


def _iso(day: int, hour: int) -> str:
    return f"2026-08-{day:02d} {hour:02d}:{(day * 7) % 60:02d}:{(hour * 13) % 60:02d}"


def qualtrics_rows(labels: bool) -> list[list[str]]:
    header = [
        "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
        "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
        "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
        "DistributionChannel", "UserLanguage", "Q1", "Q2", "Q3", "Store",
    ]
    texts = [
        "Start Date", "End Date", "Response Type", "IP Address", "Progress",
        "Duration (in seconds)", "Finished", "Recorded Date", "Response ID",
        "Recipient Last Name", "Recipient First Name", "Recipient Email",
        "External Data Reference", "Location Latitude", "Location Longitude",
        "Distribution Channel", "User Language", LTR_Q, CSAT_Q, WHY_Q, "Store",
    ]
    ids = [
        "startDate", "endDate", "status", "ipAddress", "progress", "duration", "finished",
        "recordedDate", "_recordId", "recipientLastName", "recipientFirstName",
        "recipientEmail", "externalDataReference", "locationLatitude", "locationLongitude",
        "distributionChannel", "userLanguage", "QID1", "QID2", "QID3_TEXT", "Store",
    ]
    import_row = [
        '{"ImportId":"%s"%s}' % (i, ',"timeZone":"Europe/Oslo"' if "Date" in h else "")
        for i, h in zip(ids, header, strict=True)
    ]
    rows = [header, texts, import_row]
    for pid, day, hour, ltr, csat, store, finished, why in PEOPLE:
        if labels:
            ltr_v = "" if ltr is None else LTR_LABEL.get(ltr, str(ltr))
            csat_v = "" if csat is None else CSAT_LABELS[csat]
        else:
            ltr_v = "" if ltr is None else str(ltr)
            csat_v = "" if csat is None else str(csat)
        rows.append(
            [
                _iso(day, hour), _iso(day, hour + 1 if hour < 23 else hour), "IP Address",
                f"192.0.2.{pid}", "100" if finished else "45", str(60 + pid * 7), "True" if finished else "False",
                _iso(day, hour + 1 if hour < 23 else hour), f"R_{pid:03d}xYz{pid * 37:04d}",
                "", "", "", "", f"{59.9 + pid / 100:.4f}", f"{10.7 + pid / 100:.4f}",
                "anonymous", "EN", ltr_v, csat_v, why, store,
            ]
        )
    return rows


def write_csv(path: Path, rows: list[list[str]], *, delimiter: str = ",",
              encoding: str = "utf-8", bom: bool = False) -> None:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = buf.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def surveymonkey_rows() -> list[list[str]]:
    top = [
        "Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address",
        "Email Address", "First Name", "Last Name", "Custom Data 1", LTR_Q, CSAT_Q,
        WHY_Q, "Which store did you visit?", "",
    ]
    second = [
        "", "", "", "", "", "", "", "", "", "Response", "Response", "Open-Ended Response",
        "Response", "Other (please specify)",
    ]
    rows = [top, second]
    for pid, day, hour, ltr, csat, store, finished, why in PEOPLE:
        if not finished:
            continue  # SurveyMonkey exports complete responses by default
        rows.append(
            [
                str(114000000000 + pid), "431234567", _us(day, hour), _us(day, hour),
                f"10.0.0.{pid}", "", "", "", "",
                "" if ltr is None else LTR_LABEL.get(ltr, str(ltr)),
                "" if csat is None else CSAT_LABELS[csat], why, store, "",
            ]
        )
    return rows


def main() -> None:
    write_csv(HERE / "qualtrics_values.csv", qualtrics_rows(labels=False))
    write_csv(HERE / "qualtrics_labels.csv", qualtrics_rows(labels=True), bom=True)
    write_csv(HERE / "qualtrics_values.tsv", qualtrics_rows(labels=False), delimiter="\t",
              encoding="utf-16")
    write_csv(HERE / "surveymonkey.csv", surveymonkey_rows())
    # a European spreadsheet export: semicolons, day-first dates, Windows-1252
    plain = [["Response ID", "Date", "Business unit", "NPS", "Comment"]]
    for pid, day, hour, ltr, _csat, store, finished, why in PEOPLE:
        if finished and ltr is not None:
            plain.append([f"E{pid}", f"{day:02d}.08.2026", "Nordics", str(ltr), why])
    write_csv(HERE / "european_cp1252.csv", plain, delimiter=";", encoding="cp1252")
    write_excel(HERE / "workbook_about_first.xlsx")
    write_spss(HERE / "survey.sav")


def write_excel(path: Path) -> None:
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    about = wb.active
    about.title = "About"
    about["A1"] = "Customer survey, August 2026"
    about["A3"] = "Exported from the survey tool by the CX team. Do not edit the Data sheet."
    data = wb.create_sheet("Data")
    data.append(["response_id", "unit", "survey_date", "touchpoint", "channel", "ltr", "csat"])
    for pid, day, hour, ltr, csat, _store, finished, _why in PEOPLE:
        if finished and ltr is not None:
            data.append(
                [f"X{pid}", "Nordics", dt.datetime(2026, 8, day, hour, 5), "Checkout",
                 "Store" if pid % 2 else "WEB", ltr, csat]
            )
    data.append([None] * 7)  # a formatted but empty row at the end
    wb.save(path)


def write_spss(path: Path) -> None:
    import pandas as pd
    import pyreadstat

    rows = [p for p in PEOPLE if p[6] and p[3] is not None]
    units = {"Oslo": 1, "Bergen": 2, "Malmö": 3}
    df = pd.DataFrame(
        {
            "ResponseId": [f"S{p[0]}" for p in rows],
            "RecordedDate": pd.to_datetime([_iso(p[1], p[2]) for p in rows]),
            "Q1": [float(p[3]) for p in rows],
            "Q2": [float(p[4]) if p[4] is not None else float("nan") for p in rows],
            "Store": [float(units[p[5]]) for p in rows],
            "Finished": [1.0 for _ in rows],
        }
    )
    pyreadstat.write_sav(
        df,
        str(path),
        column_labels=["Response ID", "Recorded Date", LTR_Q, CSAT_Q, "Store", "Finished"],
        variable_value_labels={
            "Q1": {0.0: "Not at all likely", 10.0: "Extremely likely"},
            "Q2": {float(k): v for k, v in CSAT_LABELS.items()},
            "Store": {1.0: "Oslo", 2.0: "Bergen", 3.0: "Malmö"},
            "Finished": {0.0: "False", 1.0: "True"},
        },
    )


if __name__ == "__main__":
    main()
