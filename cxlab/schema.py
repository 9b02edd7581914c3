"""The warehouse's tables: names, columns, types and keys.

This is the single contract between the demo generator (:mod:`cxlab.synth`),
ingestion and validation (:mod:`cxlab.warehouse`) and the analyses. Types are
DuckDB SQL types; ``key`` is the column set that identifies a row (re-ingesting
the same key with the same values is a no-op, with other values an error).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type: VARCHAR, DATE, TIMESTAMP, INTEGER, BIGINT, DOUBLE, BOOLEAN
    required: bool = True  # must be present in the input file
    nullable: bool = False
    doc: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    doc: str = ""
    column_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", tuple(c.name for c in self.columns))

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


C = Column

TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "customers",
            (
                C("customer_id", "VARCHAR"),
                C("unit", "VARCHAR", doc="business unit that owns the customer"),
                C("segment", "VARCHAR"),
                C("region", "VARCHAR"),
                C("preferred_channel", "VARCHAR"),
                C("signup_date", "DATE"),
                C("churn_date", "DATE", required=False, nullable=True, doc="null while active"),
            ),
            key=("customer_id",),
            doc="Current profile of each customer.",
        ),
        Table(
            "customer_history",
            (
                C("customer_id", "VARCHAR"),
                C("valid_from", "DATE"),
                C(
                    "valid_to",
                    "DATE",
                    required=False,
                    nullable=True,
                    doc="last day the row was valid (inclusive); null = current",
                ),
                C("segment", "VARCHAR"),
                C("region", "VARCHAR"),
                C("preferred_channel", "VARCHAR"),
            ),
            key=("customer_id", "valid_from"),
            doc="Profile changes over time (slowly changing dimension, type 2).",
        ),
        Table(
            "responses",
            (
                C("response_id", "VARCHAR"),
                C(
                    "customer_id",
                    "VARCHAR",
                    required=False,
                    nullable=True,
                    doc="null for anonymous surveys (no link to customers or churn)",
                ),
                C("unit", "VARCHAR"),
                C("survey_date", "DATE"),
                C("quarter", "VARCHAR", required=False, doc="'2025Q3'; derived from survey_date"),
                C("channel", "VARCHAR", required=False, nullable=True, doc="null: not recorded"),
                C("touchpoint", "VARCHAR", required=False, nullable=True, doc="null: not recorded"),
                C(
                    "stage",
                    "VARCHAR",
                    required=False,
                    nullable=True,
                    doc="attraction, interaction or cultivation; null: not recorded",
                ),
                C(
                    "ltr",
                    "INTEGER",
                    required=False,
                    nullable=True,
                    doc="likelihood to recommend, 0-10",
                ),
                C("csat", "INTEGER", required=False, nullable=True, doc="satisfaction, 1-5"),
                C("ces", "INTEGER", required=False, nullable=True, doc="CES 2.0 ease, 1-7"),
                C("verbatim", "VARCHAR", required=False, nullable=True),
                C("weight", "DOUBLE", required=False, nullable=True, doc="survey weight >= 0"),
            ),
            key=("response_id",),
            doc=(
                "Survey responses, one row per completed survey with at least one score "
                "(ltr, csat or ces)."
            ),
        ),
        Table(
            "transactions",
            (
                C("transaction_id", "VARCHAR"),
                C("customer_id", "VARCHAR"),
                C("unit", "VARCHAR"),
                C("date", "DATE"),
                C("revenue", "DOUBLE"),
                C("margin", "DOUBLE", doc="gross margin in currency units"),
            ),
            key=("transaction_id",),
        ),
        Table(
            "interactions",
            (
                C("interaction_id", "VARCHAR"),
                C("customer_id", "VARCHAR"),
                C("timestamp", "TIMESTAMP"),
                C("touchpoint", "VARCHAR"),
                C("channel", "VARCHAR"),
                C("stage", "VARCHAR"),
            ),
            key=("interaction_id",),
            doc="Timestamped touch-point events per customer and channel.",
        ),
        Table(
            "outcomes",
            (
                C("unit", "VARCHAR"),
                C("quarter", "VARCHAR"),
                C("new_customers", "BIGINT"),
                C("revenue", "DOUBLE"),
                C("profit", "DOUBLE"),
                C("market_share", "DOUBLE", doc="share of the unit's market, 0-1"),
            ),
            key=("unit", "quarter"),
            doc="Business outcomes per unit and quarter.",
        ),
        Table(
            "touchpoints",
            (
                C("touchpoint", "VARCHAR"),
                C("stage", "VARCHAR"),
                C("channel", "VARCHAR"),
                C("intentional", "BOOLEAN"),
                C("owner", "VARCHAR"),
                C("operational_kpi", "VARCHAR"),
            ),
            key=("touchpoint", "channel"),
            doc="Inventory of touch points.",
        ),
        Table(
            "attribute_ratings",
            (
                C("response_id", "VARCHAR", doc="the survey response that rated the attribute"),
                C("attribute", "VARCHAR", doc="e.g. 'Stock availability', 'Phone service'"),
                C("rating", "INTEGER", doc="performance rating, 0-10 (10 = excellent)"),
            ),
            key=("response_id", "attribute"),
            doc=(
                "Relationship-survey attribute battery, long format: one row per response and "
                "rated attribute (answered by a subset of responses; 'don't know' = no row). "
                "The input of key driver analysis (cxlab.drivers)."
            ),
        ),
    ]
}

STAGES = ("attraction", "interaction", "cultivation")

#: Version of the warehouse layout written by this cxlab. Version 1 (no
#: ``cxlab_meta`` schema) is migrated on the first write; see
#: :mod:`cxlab.warehouse.store`.
SCHEMA_VERSION = 2

#: Rating scales, inclusive bounds, by (table, column).
SCALES: dict[tuple[str, str], tuple[int, int]] = {
    ("responses", "ltr"): (0, 10),
    ("responses", "csat"): (1, 5),
    ("responses", "ces"): (1, 7),
    ("attribute_ratings", "rating"): (0, 10),
}

#: Score columns of ``responses``: a row needs at least one of them.
SCORES = ("ltr", "csat", "ces")

#: Columns whose values are a controlled vocabulary, matched case-insensitively
#: at ingest: ``stage`` is stored in lower case, channels in the spelling the
#: warehouse already uses (else the file's most frequent spelling).
VOCABULARY_COLUMNS = ("stage", "channel", "preferred_channel")
