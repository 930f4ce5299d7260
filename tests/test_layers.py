"""The package's layers: the engine imports nothing French, the French rules nothing of the outputs or the workflow."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src/coverage"
FORBIDDEN = {"core": ("france", "outputs", "pipeline"), "france": ("outputs", "pipeline"), "outputs": ("pipeline",)}
CORE_MAY_IMPORT = {"core", "errors"}
"""All the engine imports of the package: itself and the errors (not ``speeds``, whose models are fitted on France,
nor anything else that names a French column)."""
FRENCH_COLUMNS = {"code", "nom", "finess", "departement", "population", "commune"}


def imported_layers(module: Path, text: str | None = None) -> set[str]:
    """The layers of the package a module imports from (relative imports resolved against its folder; ``text``: the
    module's source, read from the file when not given)."""
    depth = len(module.relative_to(PACKAGE).parts) - 1
    layers = set()
    for node in ast.walk(ast.parse(text if text is not None else module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.relative_to(PACKAGE).parts[: max(depth - node.level + 1, 0)]
                target = [*parts, *(node.module or "").split(".")]
            else:
                target = (node.module or "").split(".")[1:] if (node.module or "").startswith("coverage") else []
            if target:
                layers.add(target[0])
    return layers


def string_defaults(text: str) -> list[tuple[str, str, str]]:
    """(function, parameter, default) of every parameter of a module's functions defaulting to a string."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            pairs = [*zip(args.args[len(args.args) - len(args.defaults):], args.defaults, strict=True),
                     *zip(args.kwonlyargs, args.kw_defaults, strict=True)]  # fmt: skip
            found += [(node.name, arg.arg, default.value) for arg, default in pairs
                      if isinstance(default, ast.Constant) and isinstance(default.value, str)]  # fmt: skip
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_from_the_layers_above(layer: str):
    for module in sorted((PACKAGE / layer).rglob("*.py")):
        assert not imported_layers(module) & set(FORBIDDEN[layer]), module.relative_to(PACKAGE)


def test_the_engine_imports_only_itself_and_the_errors():
    for module in sorted((PACKAGE / "core").rglob("*.py")):
        assert imported_layers(module) <= CORE_MAY_IMPORT, module.relative_to(PACKAGE)


def test_no_function_of_the_engine_defaults_to_a_french_column():
    """The caller names its columns (core.columns.Columns, france.constants.COLUMNS for the French tables)."""
    for module in sorted((PACKAGE / "core").rglob("*.py")):
        french = [entry for entry in string_defaults(module.read_text(encoding="utf-8")) if entry[2] in FRENCH_COLUMNS]
        assert not french, (module.relative_to(PACKAGE), french)


def test_the_checks_see_what_they_forbid():
    """A module of the engine importing the French constants, or defaulting to ``finess``, is seen."""
    text = "from ..france.constants import COLUMNS\n\n\ndef f(table, site_id='finess'):\n    return table[site_id]\n"
    assert imported_layers(PACKAGE / "core" / "probe.py", text) == {"france"}
    assert string_defaults(text) == [("f", "site_id", "finess")]
