"""The package's layers: the engine imports nothing French, the French rules nothing of the outputs or the workflow."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src/coverage"
FORBIDDEN = {"core": ("france", "outputs", "pipeline"), "france": ("outputs", "pipeline"), "outputs": ("pipeline",)}


def imported_layers(module: Path) -> set[str]:
    """The layers of the package a module imports from (relative imports resolved against its folder)."""
    depth = len(module.relative_to(PACKAGE).parts) - 1
    layers = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.relative_to(PACKAGE).parts[: max(depth - node.level + 1, 0)]
                target = [*parts, *(node.module or "").split(".")]
            else:
                target = (node.module or "").split(".")[1:] if (node.module or "").startswith("coverage") else []
            layers.add(target[0] if target else "")
    return layers


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_from_the_layers_above(layer: str):
    for module in sorted((PACKAGE / layer).rglob("*.py")):
        assert not imported_layers(module) & set(FORBIDDEN[layer]), module.relative_to(PACKAGE)
