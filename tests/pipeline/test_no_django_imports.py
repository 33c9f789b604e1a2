"""The pipeline is a library: nothing under deepreview_workers/pipeline may import the web stack."""

import ast
from pathlib import Path

import pytest

PIPELINE = Path(__file__).resolve().parents[2] / "deepreview_workers" / "pipeline"
FORBIDDEN = {"django", "celery", "rest_framework", "deepreview"}
DYNAMIC_IMPORTS = {"import_module", "__import__"}


def _imported_roots(tree: ast.AST) -> set[str]:
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif (  # importlib.import_module("django...") / __import__("django")
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in DYNAMIC_IMPORTS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            roots.add(node.args[0].value.split(".")[0])
    return roots


def test_pipeline_has_python_files():
    assert (PIPELINE / "video_io.py").is_file()


@pytest.mark.parametrize(
    "source", sorted(PIPELINE.rglob("*.py")), ids=lambda p: str(p.relative_to(PIPELINE))
)
def test_no_web_stack_import(source: Path):
    tree = ast.parse(source.read_text(), filename=str(source))
    assert not _imported_roots(tree) & FORBIDDEN


def test_checker_catches_forbidden_imports():
    code = "import django.db\nfrom celery import shared_task\nimport importlib\n"
    code += "importlib.import_module('deepreview.jobs')\n"
    assert _imported_roots(ast.parse(code)) >= {"django", "celery", "deepreview"}
