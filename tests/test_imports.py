"""The shape of the package: a light top-level import and the layer DAG of docs/architecture.md."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "pixelwise"

HEAVY = ("onnxruntime", "cv2", "torch", "fastapi", "uvicorn", "starlette", "ray", "matplotlib")

# layer -> layers it may import at module level or lazily (errors and machine, leaves of the stdlib only,
# are importable by everyone)
ALLOWED = {
    "errors": set(),
    "machine": set(),
    "spec": set(),
    "ops": set(),
    "weights": set(),
    "registry": {"weights"},
    "result": {"spec", "ops"},
    "adapters": {"result", "ops", "spec"},
    "options": {"spec"},
    "engine": {"adapters", "result", "spec", "ops", "options"},
    "vis": {"result", "ops", "spec"},
    "io": {"result", "ops", "spec"},
    "eval": {"result", "ops", "spec", "io"},  # io: atomic writes of figures
    "data": {"io", "result", "ops", "spec"},  # data/exports turns Results into dataset records
    "video": {"io", "ops"},  # ops.boxes for the tracker
    "segmenter": {"engine", "io", "video", "result", "spec", "registry", "ops", "options"},
    "train": {"data", "eval", "ops", "spec", "io", "weights"},
    "serve": {"segmenter", "engine", "io", "vis", "result", "spec", "registry", "ops", "eval", "data", "__init__",
              "options"},
    "validate": {"segmenter", "data", "eval", "io", "result", "spec", "registry"},  # + "data" formats
    "batch": {"segmenter", "engine", "io", "vis", "result", "spec", "registry", "ops", "options", "data"},
    "cli": {"segmenter", "engine", "io", "vis", "result", "spec", "registry", "ops", "eval", "data", "train",
            "serve", "batch", "validate", "video", "weights", "__init__", "options"},
    "__init__": {"segmenter", "result", "spec", "errors"},
    "__main__": {"cli"},
}

# The upward edges, each by name: module -> the modules it may import inside a function
# (Result's thin conveniences). A new upward import must be added here on purpose.
LAZY = {
    "result.py": {"vis.overlay", "vis.background", "vis", "io.sinks", "data.exports",
                  "data.panoptic_format"},
    "registry.py": {"io.files"},  # the one atomic writer, for downloads
}


def _layer(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _targets(node: ast.ImportFrom | ast.Import, rel_pkg: tuple[str, ...]) -> list[str]:
    """The pixelwise modules (dotted, without "pixelwise.") an import statement names."""
    if isinstance(node, ast.Import):
        return [a.name[len("pixelwise."):] for a in node.names if a.name.startswith("pixelwise.")]
    if node.level:
        parts = list(rel_pkg[: len(rel_pkg) - (node.level - 1)]) + (node.module.split(".") if node.module else [])
        return [".".join(parts) or "__init__"]
    if node.module and node.module.startswith("pixelwise."):
        return [node.module[len("pixelwise."):]]
    return []


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(module, lazy) for every pixelwise import in ``path``; lazy = inside a function."""
    rel_pkg = path.relative_to(SRC).parts[:-1]
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.extend((m, inner) for m in _targets(child, rel_pkg))
            visit(child, inner)

    visit(ast.parse(path.read_text()), False)
    return found


def _imported_layers(path: Path) -> set[str]:
    return {m.split(".")[0] for m, _ in _imports(path)}


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_import_dag(path):
    layer = _layer(path)
    assert layer in ALLOWED, f"{layer} is not a known layer: add it to docs/architecture.md and this test"
    rel = str(path.relative_to(SRC))
    named = LAZY.get(rel, set())
    bad = {m for m, lazy in _imports(path)
           if m.split(".")[0] not in ALLOWED[layer] | {layer, "errors", "machine"} and not (lazy and m in named)}
    assert not bad, f"{rel} ({layer}) imports {sorted(bad)}; allowed: {sorted(ALLOWED[layer])}, lazily {sorted(named)}"


def test_every_named_lazy_import_exists():
    """The list of upward edges shrinks with the code: a name nobody imports any more is removed."""
    for rel, names in LAZY.items():
        lazy = {m for m, is_lazy in _imports(SRC / rel) if is_lazy}
        assert names <= lazy, f"{rel}: LAZY names {sorted(names - lazy)}, which it no longer imports"


def test_nothing_imports_train_except_the_cli():
    for path in SRC.rglob("*.py"):
        if _layer(path) not in ("train", "cli"):
            assert "train" not in _imported_layers(path), path


def test_import_pixelwise_is_light():
    code = (
        "import sys, pixelwise\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import pixelwise imported: {out.stdout.strip()}"


def _loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    probe = f"{code}\nimport sys\nprint('LOADED:' + ','.join(m for m in {modules!r} if m in sys.modules))\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = out.stdout.rsplit("LOADED:", 1)[1].strip()
    return loaded.split(",") if loaded else []


def test_cli_help_loads_no_numpy_or_opencv():
    """``pixelwise --help`` (and every sub-command's help) parses without numpy or cv2."""
    code = ("from pixelwise.cli.main import main\n"
            "for argv in (['--help'], ['predict', '--help'], ['stream', '--help'], ['batch', '--help']):\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass")
    assert _loaded_after(code, ("numpy", "cv2", "onnxruntime", "PIL")) == []


def test_touching_result_loads_no_opencv():
    assert _loaded_after("import pixelwise\npixelwise.Result\npixelwise.Instances", HEAVY) == []


def test_public_api():
    import pixelwise as pw

    assert {"Segmenter", "Result", "Instances", "ModelSpec", "__version__"} <= set(pw.__all__)
    assert pw.Result.__name__ == "Result"
    with pytest.raises(AttributeError):
        pw.does_not_exist  # noqa: B018
