"""Layers: only the HTTP layer speaks DRF.

Outside ``deepreview/core/`` (the shared API plumbing), rest_framework is imported only
by the modules that are the HTTP layer: ``apis.py``, ``*_apis.py``, ``serializers.py``
and the root ``deepreview/urls.py``. Services, selectors and models stay callable from
tasks, the CLI and the server-rendered pages without a DRF request.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "deepreview"
FORBIDDEN = "rest_framework"
DYNAMIC_IMPORTS = {"import_module", "__import__"}


def _imported_modules(tree: ast.AST) -> set[str]:
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
        elif (  # importlib.import_module("rest_framework...") / __import__("rest_framework")
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in DYNAMIC_IMPORTS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            modules.add(node.args[0].value)
    return modules


def _imports_drf(tree: ast.AST) -> bool:
    return any(m.split(".")[0] == FORBIDDEN for m in _imported_modules(tree))


def _may_import_drf(relative: Path) -> bool:
    """Whether the module at ``relative`` (to deepreview/) is allowed to import DRF."""
    parts = relative.parts
    name = relative.name
    return (
        parts[0] == "core"
        or "migrations" in parts
        or relative == Path("urls.py")
        or name in ("apis.py", "serializers.py")
        or name.endswith("_apis.py")
    )


def _offenders() -> list[str]:
    offenders = []
    for source in sorted(PACKAGE.rglob("*.py")):
        relative = source.relative_to(PACKAGE)
        if _may_import_drf(relative):
            continue
        if _imports_drf(ast.parse(source.read_text(), filename=str(source))):
            offenders.append(f"deepreview/{relative}")
    return offenders


def test_the_package_is_where_the_test_looks():
    assert (PACKAGE / "urls.py").is_file()
    assert (PACKAGE / "core").is_dir()


def test_only_the_http_layer_imports_rest_framework():
    offenders = _offenders()
    assert not offenders, (
        "These modules import rest_framework but are not part of the HTTP layer "
        "(core/, urls.py, apis.py, *_apis.py, serializers.py): "
        + ", ".join(offenders)
        + ". Move the DRF code into an apis.py / *_apis.py module, or the logic into "
        "services.py / selectors.py without DRF."
    )


def test_checker_catches_drf_imports():
    code = "import rest_framework.response\nimport importlib\n"
    assert _imports_drf(ast.parse(code))
    assert _imports_drf(ast.parse("from rest_framework.decorators import api_view\n"))
    assert _imports_drf(ast.parse("importlib.import_module('rest_framework.views')\n"))
    assert not _imports_drf(ast.parse("from django_filters import rest_framework\n"))
    assert not _imports_drf(ast.parse("from deepreview.core.api import ProjectScopedViewSet\n"))


def test_allowed_modules():
    assert _may_import_drf(Path("core/api.py"))
    assert _may_import_drf(Path("urls.py"))
    assert _may_import_drf(Path("swaps/apis.py"))
    assert _may_import_drf(Path("swaps/file_apis.py"))
    assert _may_import_drf(Path("review/serializers.py"))
    assert _may_import_drf(Path("media/migrations/0001_initial.py"))
    assert not _may_import_drf(Path("swaps/services.py"))
    assert not _may_import_drf(Path("swaps/files.py"))
    assert not _may_import_drf(Path("web/urls.py"))
    assert not _may_import_drf(Path("projects/selectors.py"))
