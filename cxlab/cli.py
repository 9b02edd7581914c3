"""The ``cxlab`` command line: ingest, loads, unload, render, synth and demo.

Every command reports bad input as a one-paragraph message and exit status 2
(no traceback); see :class:`cxlab.errors.CxlabError`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from cxlab.errors import CxlabError

# Help must come quickly (issue #8: `cxlab --help` in under 0.3 s; see
# benchmarks/RESULTS.md). Two things typer would otherwise import for it:
# - rich (and pygments, markdown-it) to draw help panels: plain click help instead,
#   which also prints notebook comments as they are, never as rich markup;
# - pydantic, to coerce the value of the group's own --help flag whenever a
#   subcommand runs (typer builds a TypeAdapter for its None default): the group's
#   --help below defaults to False, which typer passes through unconverted.
app = typer.Typer(
    name="cxlab",
    help="Customer-experience research toolkit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_help_option=False,  # replaced by _root's --help
)


def _show_help(ctx: typer.Context, value: bool) -> None:
    if value:
        typer.echo(ctx.get_help())
        raise typer.Exit()


@app.callback()
def _root(
    help: Annotated[
        bool,
        typer.Option(
            "--help",
            is_eager=True,
            expose_value=False,
            callback=_show_help,
            help="Show this message and exit.",
        ),
    ] = False,
) -> None:
    """Customer-experience research toolkit."""


def _printable(text: str) -> str:
    """Text from a notebook, with control characters shown escaped (not sent to the terminal)."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _shown_path(path: Path) -> str:
    """``path`` relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _default_text(source: str) -> str:
    """A default as one would type it after ``-p name=``: strings without quotes."""
    import ast

    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return source
    return value if isinstance(value, str) and value else source


def _notebooks() -> Path:
    from cxlab.pack import NOTEBOOKS

    return NOTEBOOKS


class _RenderCommand(TyperCommand):
    """``cxlab render``: the help ends with each shipped notebook's parameters.

    They are read from the notebooks' JSON only when help is printed (no kernel,
    no papermill; :mod:`cxlab._nbparams`).
    """

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        from cxlab._nbparams import read_parameters

        super().format_epilog(ctx, formatter)
        folder = _notebooks()
        notebooks = sorted(folder.glob("*.ipynb"))
        title = f"Notebooks in {_printable(_shown_path(folder))}/ (-p name=value)"
        with formatter.section(title):
            if not notebooks:
                formatter.write_text("(none)")
            for nb in notebooks:
                formatter.write_text(_printable(nb.name))
                with formatter.indentation():
                    try:
                        params = read_parameters(nb)
                    except CxlabError as exc:
                        formatter.write_text(f"(parameters not readable: {_printable(str(exc))})")
                        continue
                    formatter.write_dl(
                        [
                            (
                                _printable(p.name),
                                _printable(
                                    (f"{p.help} " if p.help else "")
                                    + f"[default: {_default_text(p.default)}]"
                                ),
                            )
                            for p in params
                        ]
                    )


class _PackCommand(TyperCommand):
    """``cxlab pack``: the help ends with the notebooks the pack renders."""

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        from cxlab.pack import ANALYSES, QUARTERLY

        super().format_epilog(ctx, formatter)
        folder = _shown_path(_notebooks())
        with formatter.section(f"Reports (notebooks in {_printable(folder)}/)"):
            rows = [(QUARTERLY.name, "the company and each unit (--quarter, --units, --level)")]
            rows += [
                (a.notebook, f"{a.title} (needs data in: {', '.join(a.needs)})") for a in ANALYSES
            ]
            formatter.write_dl([(_printable(a), _printable(b)) for a, b in rows])


DEFAULT_DB = Path("data/cxlab.duckdb")


@app.command()
def ingest(
    table: Annotated[str, typer.Argument(help="Warehouse table, e.g. responses.")],
    path: Annotated[
        Path, typer.Argument(help="The export: CSV/TSV, Excel .xlsx, SPSS .sav or Parquet.")
    ],
    db: Annotated[
        str,
        typer.Option(help="DuckDB warehouse file, or a server URL (postgres://..., env:NAME)."),
    ] = str(DEFAULT_DB),
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="qualtrics, surveymonkey, csv, excel, parquet or spss (default: detected).",
        ),
    ] = None,
    map: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help='"File column=target" (a Qualtrics question text works too). Repeatable; '
            "one file column may feed several targets.",
        ),
    ] = None,
    set: Annotated[
        list[str] | None,
        typer.Option("--set", help='A constant: "unit=Nordics". Repeatable.'),
    ] = None,
    recode: Annotated[
        list[str] | None,
        typer.Option(
            "--recode",
            help='Labelled answers: "csat:Very satisfied=5,Satisfied=4,...". Repeatable.',
        ),
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet name or 0-based index.")] = None,
    skip_rows: Annotated[int | None, typer.Option(help="Lines above the header to skip.")] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding (default: sniffed).")] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter (default: sniffed).")] = None,
    date_format: Annotated[
        list[str] | None,
        typer.Option("--date-format", help='strptime format, e.g. "%m/%d/%Y %I:%M:%S %p".'),
    ] = None,
    dayfirst: Annotated[bool, typer.Option(help="Read 03/04/2026 as 3 April.")] = False,
    keep_incomplete: Annotated[
        bool, typer.Option(help="Keep responses the export marks unfinished.")
    ] = False,
    update: Annotated[
        bool,
        typer.Option(help="Replace rows whose key exists (the earlier values are kept)."),
    ] = False,
    mapping: Annotated[
        Path | None, typer.Option(help="Read these options from a YAML mapping file.")
    ] = None,
    save_mapping: Annotated[
        Path | None, typer.Option(help="Save the options used to a YAML mapping file.")
    ] = None,
) -> None:
    """Validate an export and load it into a warehouse table, all or nothing.

    Required columns per table (the others are optional):

    \b
      responses: response_id, unit, survey_date, a score (ltr/csat/ces)
      customers: customer_id, unit, segment, region, preferred_channel,
        signup_date
      customer_history: customer_id, valid_from, segment, region,
        preferred_channel
      transactions: transaction_id, customer_id, unit, date, revenue, margin
      interactions: interaction_id, customer_id, timestamp, touchpoint,
        channel, stage
      outcomes: unit, quarter, new_customers, revenue, profit, market_share
      touchpoints: touchpoint, stage, channel, intentional, owner,
        operational_kpi
      attribute_ratings: response_id, attribute, rating

    Example, a Qualtrics export:

    \b
      cxlab ingest responses export.csv --set unit=Nordics \\
        --map "How likely are you to recommend us?=ltr" \\
        --save-mapping qualtrics.yml
    """
    from cxlab import warehouse

    base = warehouse.LoadSpec.load(mapping) if mapping else None
    spec = warehouse.LoadSpec.from_options(
        mapping=map or [],
        set=set or [],
        recode=recode or [],
        base=base,
        format=format,
        sheet=sheet,
        skip_rows=skip_rows,
        encoding=encoding,
        delimiter=delimiter,
        date_format=date_format or [],
        dayfirst=dayfirst,
        keep_incomplete=keep_incomplete,
    )
    report = warehouse.ingest(table, path, db=db, spec=spec, update=update)
    typer.echo(report.summary())
    if save_mapping:
        typer.echo(f"  options saved to {spec.save(save_mapping)}")


@app.command()
def loads(
    db: Annotated[Path, typer.Option(help="DuckDB warehouse file.")] = DEFAULT_DB,
) -> None:
    """List the loads recorded in a warehouse (id, time, table, file, rows)."""
    import pandas as pd

    from cxlab import warehouse

    log = warehouse.loads(db)
    if not len(log):
        typer.echo(f"{db}: no loads recorded.")
        return
    for r in log.itertuples(index=False):
        state = "" if pd.isna(r.undone_by) else f"  (undone by load {int(r.undone_by)})"
        counts = f"+{int(0 if pd.isna(r.rows_added) else r.rows_added)}"
        if not pd.isna(r.rows_updated) and r.rows_updated:
            counts += f" ~{int(r.rows_updated)}"
        if not pd.isna(r.rows_removed) and r.rows_removed:
            counts += f" -{int(r.rows_removed)}"
        typer.echo(
            f"{int(r.load_id):>4}  {r.loaded_at}  {r.kind:<7} {r.table:<18} {counts:<12} "
            f"{r.file or ''}{state}"
        )


@app.command()
def unload(
    load_id: Annotated[int, typer.Argument(help="The load to undo (see `cxlab loads`).")],
    db: Annotated[Path, typer.Option(help="DuckDB warehouse file.")] = DEFAULT_DB,
) -> None:
    """Remove the rows one load added (and restore rows it replaced), atomically."""
    from cxlab import warehouse

    typer.echo(warehouse.unload(load_id, db=db))


@app.command(cls=_RenderCommand)
def render(
    notebook: Annotated[Path, typer.Argument(help="Parameterized notebook.")],
    param: Annotated[
        list[str] | None,
        typer.Option("-p", "--param", help="name=value, repeatable."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("reports"),
    name: Annotated[str | None, typer.Option(help="Output file stem.")] = None,
) -> None:
    """Execute a notebook with papermill and export one self-contained HTML file.

    Each -p name=value sets a parameter of the notebook's cell tagged
    "parameters" (listed below for the shipped notebooks); values are checked
    before any kernel starts. The report and the executed notebook go to --out.

    Example, the drivers analysis of the demo warehouse by dominance analysis:

    \b
      cxlab render notebooks/drivers.ipynb -p warehouse=data/demo/cxlab.duckdb \\
        -p method=dominance -p unit=ALL --out reports
    """
    from cxlab import render as _render

    html = _render.render(notebook, _render.parse_params(param or []), out_dir=out, name=name)
    typer.echo(str(html))


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="Output folder for Parquet files.")] = Path(
        "data/demo/source"
    ),
    responses: Annotated[int, typer.Option(help="Number of survey responses.")] = 60_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2026,
) -> None:
    """Generate the demo company's data with planted ground truth (truth.json)."""
    from cxlab import synth as _synth

    path = _synth.generate(out, n_responses=responses, seed=seed, progress=True)
    typer.echo(str(path))


@app.command(cls=_PackCommand)
def pack(
    db: Annotated[Path, typer.Option(help="DuckDB warehouse file.")] = DEFAULT_DB,
    quarter: Annotated[
        list[str] | None,
        typer.Option(
            "--quarter",
            help="'YYYYQn' or 'latest' (default); repeat for a pack of several quarters.",
        ),
    ] = None,
    units: Annotated[
        list[str] | None,
        typer.Option("--units", help="Units to report on (repeatable; default: all)."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("reports"),
    jobs: Annotated[int, typer.Option(help="Reports rendered at once.")] = 2,
    level: Annotated[float, typer.Option(help="Confidence level, e.g. 0.95.")] = 0.95,
    pdf: Annotated[bool, typer.Option(help="Also print each report to PDF (Chromium).")] = False,
) -> None:
    """Render the report pack of a warehouse: company and unit reports, analyses, index.

    Analyses whose tables are empty are left out, and the index says which table to
    load to get them (e.g. "outcomes table is empty: cxlab ingest outcomes FILE").

    Example, two units of the demo warehouse for one quarter:

    \b
      cxlab pack --db data/demo/cxlab.duckdb --quarter 2026Q3 \\
        --units Nordics --units DACH --out reports

    Several quarters in one pack (the kernels are warmed once; the index shows
    the latest and links the earlier quarters' reports):

    \b
      cxlab pack --db data/demo/cxlab.duckdb --quarter 2026Q2 --quarter 2026Q3
    """
    from cxlab import pack as _pack

    if jobs < 1:
        raise CxlabError(f"--jobs must be at least 1, not {jobs}.")
    index = _pack.pack(
        db, quarter=quarter or "latest", units=units, out_dir=out, jobs=jobs, level=level, pdf=pdf
    )
    typer.echo(f"Reports are in {index.resolve()}")


@app.command()
def demo(
    db: Annotated[
        Path, typer.Option(help="Warehouse the demo builds (its own, not the ingest default).")
    ] = Path("data/demo/cxlab.duckdb"),
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("reports"),
    responses: Annotated[int, typer.Option(help="Number of survey responses.")] = 60_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2026,
    force: Annotated[
        bool,
        typer.Option(help="Replace a warehouse the demo did not build (a backup is kept)."),
    ] = False,
) -> None:
    """Build the demo warehouse and render the quarterly report pack."""
    from cxlab import demo as _demo

    index = _demo.run(db=db, out_dir=out, n_responses=responses, seed=seed, force=force)
    typer.echo(f"Reports are in {index.resolve()}")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning CxlabError into a message and exit status 2."""
    try:
        app(args=argv, prog_name="cxlab")  # typer reports usage errors and exits
    except CxlabError as exc:
        typer.echo(f"cxlab: error: {exc}", err=True)
        return 2
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        typer.echo("Aborted.", err=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
