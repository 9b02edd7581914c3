"""The ``cxlab`` command line: ingest, render, synth and demo.

Every command reports bad input as a one-paragraph message and exit status 2
(no traceback); see :class:`cxlab.errors.CxlabError`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cxlab.errors import CxlabError

app = typer.Typer(
    name="cxlab",
    help="Customer-experience research toolkit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DEFAULT_DB = Path("data/cxlab.duckdb")


@app.command()
def ingest(
    table: Annotated[str, typer.Argument(help="Warehouse table, e.g. responses.")],
    path: Annotated[Path, typer.Argument(help="CSV, Parquet or Excel file.")],
    db: Annotated[Path, typer.Option(help="DuckDB warehouse file.")] = DEFAULT_DB,
    map: Annotated[
        list[str] | None,
        typer.Option("--map", help='Rename a source column: "Source column=target". Repeatable.'),
    ] = None,
) -> None:
    """Validate a file and load it into a warehouse table, all or nothing."""
    from cxlab import warehouse

    mapping = warehouse.parse_mapping(map or [])
    report = warehouse.ingest(table, path, db=db, mapping=mapping)
    typer.echo(report.summary())


@app.command()
def render(
    notebook: Annotated[Path, typer.Argument(help="Parameterized notebook.")],
    param: Annotated[
        list[str] | None,
        typer.Option("-p", "--param", help="name=value, repeatable."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("reports"),
    name: Annotated[str | None, typer.Option(help="Output file stem.")] = None,
) -> None:
    """Execute a notebook with papermill and export one self-contained HTML file."""
    from cxlab import render as _render

    html = _render.render(notebook, _render.parse_params(param or []), out_dir=out, name=name)
    typer.echo(str(html))


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="Output folder for Parquet files.")] = Path("data/demo"),
    responses: Annotated[int, typer.Option(help="Number of survey responses.")] = 60_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2026,
) -> None:
    """Generate the demo company's data with planted ground truth (truth.json)."""
    from cxlab import synth as _synth

    path = _synth.generate(out, n_responses=responses, seed=seed, progress=True)
    typer.echo(str(path))


@app.command()
def demo(
    db: Annotated[Path, typer.Option(help="DuckDB warehouse file.")] = DEFAULT_DB,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("reports"),
    responses: Annotated[int, typer.Option(help="Number of survey responses.")] = 60_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2026,
) -> None:
    """Build the demo warehouse and render the quarterly report pack."""
    from cxlab import demo as _demo

    index = _demo.run(db=db, out_dir=out, n_responses=responses, seed=seed)
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
