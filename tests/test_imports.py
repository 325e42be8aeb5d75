"""The shape of the package: a light top-level import and the layer DAG of docs/architecture.md."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "pixelwise"

HEAVY = ("onnxruntime", "cv2", "torch", "fastapi", "uvicorn", "starlette", "ray", "matplotlib")

# layer -> layers it may import (errors is importable by everyone)
ALLOWED = {
    "errors": set(),
    "spec": set(),
    "ops": set(),
    "weights": set(),
    "registry": {"weights"},
    "result": {"spec", "ops", "vis", "io", "data"},  # vis/io/data only lazily: plot()/save()/to_coco()...
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
    "batch": {"segmenter", "engine", "io", "vis", "result", "spec", "registry", "ops", "options"},
    "cli": {"segmenter", "engine", "io", "vis", "result", "spec", "registry", "ops", "eval", "data", "train",
            "serve", "batch", "validate", "video", "weights", "__init__", "options"},
    "__init__": {"segmenter", "result", "spec", "errors"},
    "__main__": {"cli"},
}


def _layer(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    rel_pkg = path.relative_to(SRC).parts[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(rel_pkg[: len(rel_pkg) - (node.level - 1)])
                parts = base + (node.module.split(".") if node.module else [])
                if not parts:  # "from .. import __version__": the package itself
                    parts = ["__init__"]
                found.add(parts[0])
            elif node.module and node.module.startswith("pixelwise."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("pixelwise."):
                    found.add(a.name.split(".")[1])
    return found


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_import_dag(path):
    layer = _layer(path)
    assert layer in ALLOWED, f"{layer} is not a known layer: add it to docs/architecture.md and this test"
    bad = _imported_layers(path) - ALLOWED[layer] - {layer, "errors"}
    assert not bad, f"{path.relative_to(SRC)} ({layer}) imports {sorted(bad)}; allowed: {sorted(ALLOWED[layer])}"


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


def test_public_api():
    import pixelwise as pw

    assert {"Segmenter", "Result", "Instances", "ModelSpec", "__version__"} <= set(pw.__all__)
    assert pw.Result.__name__ == "Result"
    with pytest.raises(AttributeError):
        pw.does_not_exist  # noqa: B018
