"""Executes every notebook under ``notebooks/`` in a Jupyter kernel running this interpreter."""

import json
import sys
from pathlib import Path
from typing import Any, List

import pytest

try:
    import nbformat
    from nbclient import NotebookClient
    import ipykernel  # noqa: F401  (the kernel the notebooks run in)
except ImportError as exc:  # pragma: no cover - the test script installs them
    nbformat = None
    _IMPORT_ERROR = exc
else:
    _IMPORT_ERROR = None

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))

WORD_COUNT_OUTPUT = "(hello,1)\n(world,1)\n(flink,1)\n(streaming,1)\n(hello,2)\n(flink,2)\n"


def _require_deps() -> None:
    if _IMPORT_ERROR is not None:
        pytest.fail(
            "notebook tests need nbformat, nbclient and ipykernel (pip install 'oxflow[test]' or "
            "pip install nbformat nbclient ipykernel): %s" % _IMPORT_ERROR,
            pytrace=False,
        )


@pytest.fixture
def kernel_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A ``python3`` kernelspec that runs ``sys.executable``, found first through JUPYTER_PATH,
    so the notebooks see the same oxflow as the tests whatever kernels are installed."""
    _require_deps()
    spec_dir = tmp_path / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (oxflow tests)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return "python3"


def _run(nb: Any, kernel_name: str) -> Any:
    client = NotebookClient(nb, timeout=120, kernel_name=kernel_name, resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    client.execute()
    return nb


def _stream_text(cell: Any, name: str = "stdout") -> str:
    return "".join(o["text"] for o in cell.get("outputs", []) if o["output_type"] == "stream" and o.get("name") == name)


def _errors(nb: Any) -> List[str]:
    return [
        "cell %d: %s: %s" % (i, o.get("ename"), o.get("evalue"))
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for o in cell.get("outputs", [])
        if o["output_type"] == "error"
    ]


def test_notebooks_exist() -> None:
    assert NOTEBOOKS, "no notebook under %s" % NOTEBOOK_DIR


def test_kernel_uses_this_interpreter(kernel_env: str) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys; print(sys.executable)")])
    _run(nb, kernel_env)
    assert _stream_text(nb.cells[0]).strip() == sys.executable


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, kernel_env: str) -> None:
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.get("outputs"), "%s is saved with outputs" % path.name
    _run(nb, kernel_env)  # raises CellExecutionError on the first failing cell
    assert _errors(nb) == []

    if path.name == "word_count.ipynb":
        (wc_cell,) = [c for c in nb.cells if c.cell_type == "code" and 'env.execute("wc")' in c.source]
        assert _stream_text(wc_cell) == WORD_COUNT_OUTPUT
        assert _stream_text(wc_cell, "stderr") == ""
