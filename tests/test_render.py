"""Tests for cxlab.render: parameters, papermill execution, offline HTML, provenance.

Real papermill runs with the real ``python3`` kernel on the small notebooks in
``tests/notebooks``. The notebooks are copied to a temporary folder (outside any
git checkout) so the provenance, and hence the bytes, do not depend on the state
of the developer's working tree.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from cxlab import render as rd
from cxlab.errors import CxlabError, RenderError

NB_SRC = Path(__file__).parent / "notebooks"
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z
DATA_TEXT = "id,score\n1,9\n2,3\n"
GIVEN = {"quarter": "2026Q4<i>", "level": "0.9", "n": "7", "flag": "yes"}


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def nb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("notebooks")
    for nb in NB_SRC.glob("*.ipynb"):
        shutil.copy(nb, folder / nb.name)
    return folder


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("input") / "survey.csv"
    path.write_text(DATA_TEXT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, nb_dir: Path, data_file: Path) -> dict:
    out = tmp_path_factory.mktemp("out1")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        html = rd.render(
            nb_dir / "params_demo.ipynb",
            {**GIVEN, "source": str(data_file)},
            out_dir=out,
            name="demo",
        )
    return {"html": html, "text": html.read_text(encoding="utf-8"), "out": out}


def _no_kernel(*args, **kwargs):  # pragma: no cover - called only on a regression
    raise AssertionError("papermill.execute_notebook must not be called")


# --------------------------------------------------------------------------- parse/check
def test_parse_params_splits_on_first_equals():
    assert rd.parse_params(["quarter=2026Q3", "expr=a=b", "empty="]) == {
        "quarter": "2026Q3",
        "expr": "a=b",
        "empty": "",
    }


@pytest.mark.parametrize(
    ("items", "needle"),
    [
        (["quarter"], "name=value"),
        (["=3"], "not a valid parameter name"),
        (["1x=3"], "not a valid parameter name"),
        (["a=1", "a=2"], "given twice"),
    ],
)
def test_parse_params_refuses_malformed(items, needle):
    with pytest.raises(RenderError, match=needle):
        rd.parse_params(items)


def test_notebook_parameters_reads_types_and_defaults(nb_dir):
    declared = rd.notebook_parameters(nb_dir / "params_demo.ipynb")
    assert list(declared) == ["quarter", "level", "n", "flag", "source"]
    assert {k: v["type"] for k, v in declared.items()} == {
        "quarter": str,
        "level": float,
        "n": int,
        "flag": bool,
        "source": None,
    }
    assert declared["level"]["default"] == "0.95"


def test_check_params_converts_to_declared_types(nb_dir):
    got = rd.check_params(
        nb_dir / "params_demo.ipynb",
        {"flag": "No", "n": "7", "level": "0.9", "source": "x.csv", "quarter": "2026Q3"},
    )
    assert got == {"quarter": "2026Q3", "level": 0.9, "n": 7, "flag": False, "source": "x.csv"}
    assert type(got["level"]) is float and type(got["n"]) is int and got["flag"] is False
    # declaration order, not the order given
    assert list(got) == ["quarter", "level", "n", "flag", "source"]
    # Python values: int accepted for float and made float; bools kept
    py = rd.check_params(nb_dir / "params_demo.ipynb", {"level": 1, "flag": True})
    assert py == {"level": 1.0, "flag": True} and type(py["level"]) is float


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("n", "7.5", "int"),
        ("n", 7.0, "int"),
        ("n", True, "int"),
        ("level", "high", "float"),
        ("flag", "maybe", "bool"),
        ("flag", 1, "bool"),
    ],
)
def test_bad_value_type_is_refused(nb_dir, name, value, expected):
    with pytest.raises(RenderError) as info:
        rd.check_params(nb_dir / "params_demo.ipynb", {name: value})
    msg = str(info.value)
    assert repr(name) in msg and repr(value) in msg and f"valid {expected}" in msg


def test_unknown_parameter_refused_before_any_kernel(nb_dir, tmp_path, monkeypatch):
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", _no_kernel)
    out = tmp_path / "never"
    with pytest.raises(RenderError) as info:  # _no_kernel fails the test if a kernel starts
        rd.render(nb_dir / "params_demo.ipynb", {"levle": "0.9"}, out_dir=out)
    msg = str(info.value)
    assert "'levle'" in msg
    assert "Did you mean 'level'?" in msg
    assert "quarter, level, n, flag, source" in msg
    assert not out.exists()


def test_bad_value_refused_before_any_kernel(nb_dir, tmp_path, monkeypatch):
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", _no_kernel)
    with pytest.raises(RenderError, match=r"Parameter 'n': value '7\.5' is not a valid int"):
        rd.render(nb_dir / "params_demo.ipynb", {"n": "7.5"}, out_dir=tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_notebook_without_parameters_cell_is_refused(nb_dir, tmp_path, monkeypatch):
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", _no_kernel)
    with pytest.raises(RenderError, match="no cell tagged 'parameters'"):
        rd.render(nb_dir / "no_params.ipynb", {}, out_dir=tmp_path)


def test_missing_notebook_and_bad_name_and_bad_epoch(nb_dir, tmp_path, monkeypatch):
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", _no_kernel)
    with pytest.raises(RenderError, match="does not exist"):
        rd.render(tmp_path / "nope.ipynb", {}, out_dir=tmp_path)
    with pytest.raises(RenderError, match="not a plain file stem"):
        rd.render(nb_dir / "params_demo.ipynb", {}, out_dir=tmp_path, name="../escape")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(RenderError, match="SOURCE_DATE_EPOCH"):
        rd.render(nb_dir / "params_demo.ipynb", {}, out_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_unknown_kernel_is_a_render_error(nb_dir, tmp_path):
    with pytest.raises(RenderError, match="no-such-kernel-xyz"):
        rd.render(
            nb_dir / "params_demo.ipynb", {}, out_dir=tmp_path, kernel_name="no-such-kernel-xyz"
        )
    assert not list(tmp_path.glob("*.html"))


def test_failed_render_leaves_no_new_output_folder(nb_dir, tmp_path):
    out = tmp_path / "new" / "reports"
    with pytest.raises(RenderError, match="no-such-kernel-xyz"):
        rd.render(nb_dir / "params_demo.ipynb", {}, out_dir=out, kernel_name="no-such-kernel-xyz")
    assert not (tmp_path / "new").exists()


def test_render_error_is_a_cxlab_error():
    assert issubclass(RenderError, CxlabError)


# --------------------------------------------------------------------------- static HTML checks
_RESOURCE_ATTR = re.compile(
    r"<(?!a[\s>])(\w+)[^>]*?\s(?:src|href|srcset|poster|data)\s*=\s*[\"']?\s*"
    r"(?:https?:|wss?:)?//",
    re.IGNORECASE,
)
_CSS_REMOTE = re.compile(
    r"(?:url\(\s*[\"']?\s*(?:https?:)?//|@import\s+[\"']?(?:url\()?\s*[\"']?(?:https?:)?//)",
    re.IGNORECASE,
)


def test_find_remote_resources_flags_every_kind():
    probe = (
        '<script src="https://cdn.example/require.js"></script>'
        '<link rel="stylesheet" href="//fonts.example/css">'
        '<style>@import url("http://css.example/a.css"); '
        "@font-face { src: url(https://fonts.example/f.woff2) }</style>"
        '<img src="data:image/png;base64,AAAA"><img srcset="a.png 1x, https://x.example/b.png 2x">'
        "<div style=\"background: url('//bg.example/x.png')\"></div>"
        '<a href="https://example.org/ok">a plain hyperlink is fine</a>'
    )
    found = rd.find_remote_resources(probe)
    assert len(found) == 6, found
    for host in ("cdn.", "fonts.example/css", "css.", "f.woff2", "x.example", "bg."):
        assert any(host in f for f in found), (host, found)
    assert rd.find_remote_resources('<a href="https://x.org">x</a><img src="data:,">') == []


@pytest.mark.parametrize(
    ("probe", "needle"),
    [
        ('<meta http-equiv="refresh" content="0;url=http://example.com">', "refresh"),
        ("<META HTTP-EQUIV=Refresh CONTENT=3>", "refresh"),
        ('<base href="http://example.com/">', "<base>"),
        ('<base href="files/">', "<base>"),
        ('<img srcset="data:image/png;base64,AA,BB 1x,https://x.example/b.png 2x">', "x.example"),
        ('<link rel="preload" as="image" imagesrcset="//x.example/i.png 1x">', "x.example"),
        ("<div style=\"background:url('img/local.png')\"></div>", "local.png"),
        ("<style>.a { background: url( fonts/f.woff2 ) }</style>", "f.woff2"),
        ('<style>@import "local.css";</style>', "local.css"),
        ('<img src="ht&#9;tp://x.example/a.png">', "x.example"),
        ('<img src="\\\\x.example\\a.png">', "x.example"),
        ('<iframe srcdoc="&lt;img src=https://x.example/a.png&gt;"></iframe>', "srcdoc"),
        ('<a href="#top" ping="https://x.example/p">x</a>', "ping"),
        ('<form action="https://x.example/f"><button formaction="//y.example">', "y.example"),
    ],
)
def test_find_remote_resources_flags_navigation_and_local_files(probe, needle):
    found = rd.find_remote_resources(probe)
    assert any(needle in f for f in found), found


def test_find_remote_resources_keeps_data_uris_and_in_page_references():
    ok = (
        '<style>.a { background: url("data:image/svg+xml;utf8,<svg/>") }</style>'
        '<svg><rect style="fill: url(#grad)"/><use href="#sym"/></svg>'
        '<img srcset="data:image/png;base64,AA,BB 1x, data:image/png;base64,CC 2x">'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
    )
    assert rd.find_remote_resources(ok) == []


def test_html_is_self_contained_statically(rendered):
    text = rendered["text"]
    assert rd.find_remote_resources(text) == []
    # independent crude checks, not relying on the parser under test
    assert not _RESOURCE_ATTR.search(text), _RESOURCE_ATTR.search(text)
    assert not _CSS_REMOTE.search(text), _CSS_REMOTE.search(text)
    assert "require.js" not in text and "mathjax" not in text.lower()
    assert "cdnjs" not in text and "unpkg" not in text and "jsdelivr" not in text


def test_html_content_parameters_converted_and_code_hidden(rendered):
    text = rendered["text"]
    # values converted to the declared types, seen by the kernel
    assert "quarter=2026Q4&lt;i&gt; level=0.9 n=7 flag=True" in text
    assert "types: float int bool" in text
    assert "kernel cwd is the notebook folder: True" in text
    assert f"kernel env: UTC {os.environ.get('PYTHONHASHSEED', '0')}" in text
    assert "FLAG-IS-ON" in text
    assert "source first line: id,score" in text
    # markdown kept, figure inline as PNG
    assert "Squares up to" in text and "End of the demo report." in text
    assert re.search(r'<img[^>]+src="data:image/png;base64,[A-Za-z0-9+/]{200}', text)
    # code input, injected parameters and remove-tagged cells are gone
    assert "code_marker_variable" not in text
    assert "plt.subplots" not in text
    assert "injected-parameters" not in text
    assert "# Parameters" not in text
    assert "SETUP-CELL-OUTPUT-MUST-NOT-SHOW" not in text
    assert "<i>" not in text  # the parameter value is escaped everywhere
    assert "<title>Parameter demo</title>" in text  # the report's own first heading


def test_executed_notebook_kept_and_clean(rendered):
    ipynb = rendered["html"].with_suffix(".ipynb")
    nb = nbformat.read(ipynb, as_version=4)
    nbformat.validate(nb)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert ["injected-parameters"] in tags  # papermill's cell is kept in the .ipynb
    assert [c["id"] for c in nb.cells] == [f"cell-{i:03d}" for i in range(len(nb.cells))]
    raw = ipynb.read_text(encoding="utf-8")
    for key in ('"start_time"', '"end_time"', '"duration"', '"output_path"', "iopub.status"):
        assert key not in raw, key
    assert nb.cells[-1].cell_type == "markdown" and "## Provenance" in nb.cells[-1].source
    # no temporary files left behind
    assert sorted(p.name for p in rendered["out"].iterdir()) == ["demo.html", "demo.ipynb"]


def test_provenance_section(rendered, data_file, nb_dir):
    import matplotlib
    import pandas

    text = rendered["text"]
    assert 'id="Provenance"' in text
    prov = text[text.index('id="Provenance"') :]
    digest = hashlib.sha256(data_file.read_bytes()).hexdigest()
    assert digest == hashlib.sha256(DATA_TEXT.encode()).hexdigest()
    assert f"<code>{digest}</code>" in prov
    assert f"<code>{data_file.name}</code>" in prov  # the file, not the analyst's folders
    assert str(data_file.parent) not in prov
    nb_digest = hashlib.sha256((nb_dir / "params_demo.ipynb").read_bytes()).hexdigest()
    assert f"<code>{nb_digest}</code>" in prov
    assert "<code>'2026Q4&lt;i&gt;'</code>" in prov  # repr, HTML-escaped
    assert "<td><code>level</code></td><td><code>0.9</code></td><td>given</td>" in prov
    assert "<td><code>quarter</code></td>" in prov
    assert f"<td>pandas</td><td><code>{pandas.__version__}</code>" in prov
    assert f"<td>matplotlib</td><td><code>{matplotlib.__version__}</code>" in prov
    for pkg in rd.PROVENANCE_PACKAGES:
        assert f"<td>{pkg}</td>" in prov
    assert "<td>git commit</td><td><code>unknown</code>" in prov  # tmp copy, not a checkout
    assert "<td>rendered at (UTC)</td><td><code>2026-01-01T00:00:00Z</code>" in prov


def test_git_state_of_repo_and_non_repo(tmp_path):
    assert rd.git_state(tmp_path) == "unknown"
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    res = subprocess.run(
        ["git", "-C", str(NB_SRC), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        pytest.skip("tests are not in a git checkout")
    state = rd.git_state(NB_SRC / "params_demo.ipynb")
    assert re.fullmatch(r"[0-9a-f]{4,40}( \(dirty\))?", state), state
    assert state.split()[0] == res.stdout.strip()


# --------------------------------------------------------------------------- failures
@pytest.mark.slow
def test_failing_cell_keeps_earlier_report(rendered, nb_dir, tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    for suffix in (".html", ".ipynb"):
        shutil.copy(rendered["html"].with_suffix(suffix), out / f"demo{suffix}")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    with pytest.raises(RenderError) as info:
        rd.render(nb_dir / "failing.ipynb", {"x": "1"}, out_dir=out, name="demo")
    msg = str(info.value)
    assert "cell 3 " in msg  # 0-based index in failing.ipynb (injected cell not counted)
    assert "tags: compute" in msg
    assert "'# compute the ratio'" in msg
    assert "ValueError: boom x=1" in msg
    assert "demo.failed.ipynb" in msg

    after = {p.name: p.read_bytes() for p in out.iterdir() if p.name != "demo.failed.ipynb"}
    assert after == before  # the earlier good report is byte-for-byte unchanged
    failed = nbformat.read(out / "demo.failed.ipynb", as_version=4)
    errors = [o for c in failed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert [(e.ename, e.evalue) for e in errors] == [("ValueError", "boom x=1")]
    assert sorted(p.name for p in out.iterdir()) == ["demo.failed.ipynb", "demo.html", "demo.ipynb"]


# --------------------------------------------------------------------------- reproducibility
@pytest.mark.slow
def test_render_is_byte_reproducible(rendered, nb_dir, data_file, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    out = tmp_path / "again"
    out.mkdir()
    expected_stem = "params_demo_2026Q4-i_0.9_7_True_survey"
    stale = out / f"{expected_stem}.failed.ipynb"
    stale.write_text("{}", encoding="utf-8")
    # a file named relative to the caller's cwd is passed (and hashed) as an absolute path
    monkeypatch.chdir(data_file.parent)
    html = rd.render(nb_dir / "params_demo.ipynb", {**GIVEN, "source": data_file.name}, out_dir=out)
    assert html.name == f"{expected_stem}.html"  # default name: stem + value slug
    assert not stale.exists()  # a success removes the stale failure notebook
    assert html.read_bytes() == rendered["html"].read_bytes()
    assert (
        html.with_suffix(".ipynb").read_bytes()
        == rendered["html"].with_suffix(".ipynb").read_bytes()
    )
    assert 'id="T_s0000' in html.read_text(encoding="utf-8")  # Styler uuid made deterministic
    assert "Styler at 0x...>" in html.with_suffix(".ipynb").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- real browser
@pytest.mark.slow
def test_chromium_detects_a_page_that_loads_remote_files(open_in_chromium, tmp_path):
    probe = tmp_path / "probe.html"
    probe.write_text(
        '<html><head><script src="https://cdn.example.invalid/require.js"></script></head>'
        '<body><p>probe</p><img src="http://img.example.invalid/x.png"></body></html>',
        encoding="utf-8",
    )
    dom, requests = open_in_chromium(probe.as_uri(), tmp_path)
    assert "<p>probe</p>" in dom
    urls = sorted(u for u, _ in requests)
    assert urls == ["http://img.example.invalid/x.png", "https://cdn.example.invalid/require.js"]


@pytest.mark.slow
def test_html_opens_offline_in_chromium(open_in_chromium, rendered, tmp_path):
    dom, requests = open_in_chromium(rendered["html"].resolve().as_uri(), tmp_path)
    remote = [(u, i) for u, i in requests if re.match(r"(?i)(https?|wss?)://", u)]
    assert remote == []
    assert re.search(r'<img[^>]+src="data:image/png;base64,', dom)
    assert "types: float int bool" in dom
    assert "Provenance" in dom and "End of the demo report." in dom
    assert "code_marker_variable" not in dom and "plt.subplots" not in dom


def test_file_hash_is_cached_only_while_the_file_is_unchanged(tmp_path):
    from cxlab.render import provenance

    f = tmp_path / "w.duckdb"
    f.write_bytes(b"a" * 10)
    first = provenance._sha256(f)
    assert first == hashlib.sha256(b"a" * 10).hexdigest()
    st = f.stat()
    f.write_bytes(b"b" * 10)  # same size: the modification time tells them apart
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert provenance._sha256(f) == hashlib.sha256(b"b" * 10).hexdigest() != first
