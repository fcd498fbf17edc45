"""The parts form layers that only point down (import-linter checks the contracts in
``make test``); here, that no part reaches into another from inside a function to dodge them."""

import ast
from pathlib import Path

import vigil

ROOT = Path(vigil.__file__).parent
APPS = {path.name for path in ROOT.iterdir() if (path / "apps.py").exists()}


def _app_of(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    return parts[0] if len(parts) > 1 else ""


def hidden_imports() -> list[tuple[str, int, str, bool]]:
    """Imports of another part made inside a function: (file, line, module, has a comment)."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        lines = path.read_text().splitlines()
        tree = ast.parse("\n".join(lines))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if not isinstance(node, ast.ImportFrom | ast.Import) or node is function:
                    continue
                names = (
                    [node.module]
                    if isinstance(node, ast.ImportFrom)
                    else [alias.name for alias in node.names]
                )
                for name in names:
                    if not name or not name.startswith("vigil."):
                        continue
                    target = name.split(".")[1]
                    if target == _app_of(path) or (
                        target not in APPS and target not in {"wsgi", "urls", "api"}
                    ):
                        continue
                    above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
                    found.append(
                        (str(path.relative_to(ROOT)), node.lineno, name, above.startswith("#"))
                    )
    return found


def test_no_more_than_five_imports_between_parts_are_hidden_in_functions():
    found = hidden_imports()
    assert len(found) <= 5, found


def test_each_import_hidden_in_a_function_says_why():
    assert all(commented for *_, commented in hidden_imports()), hidden_imports()


def test_the_check_sees_an_import_hidden_in_a_function(tmp_path, monkeypatch):
    # The test above must be able to fail: a module with a hidden import is found.
    module = ROOT / "people" / "_hidden_import_probe.py"
    module.write_text("def probe():\n    from vigil.risk import services\n\n    return services\n")
    try:
        assert ("people/_hidden_import_probe.py", 2, "vigil.risk", False) in hidden_imports()
    finally:
        module.unlink()
