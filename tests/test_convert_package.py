"""The package structure: no import loop in fastscore or fastscore.convert, every family registered, no unpickling."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import fastscore
import fastscore.convert
from conftest import BACKENDS
from estimator_cases import fitted

PACKAGE_DIR = Path(fastscore.convert.__file__).parent
UNPICKLERS = {"pickle", "_pickle", "cPickle", "joblib", "cloudpickle", "dill", "shelve"}


def _modules(package_dir, package):
    """{module name: path} of a package's modules; the package's own name stands for its __init__.py."""
    return {package if path.stem == "__init__" else f"{package}.{path.stem}": path
            for path in sorted(package_dir.glob("*.py"))}


def _imported(node, name, is_package):
    """The names a module called `name` imports with this node: import statements anywhere
    (inside functions too) and importlib.import_module of a constant string."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:  # relative: from the package (an __init__'s own name, else its parent)
            anchor = name.split(".") if is_package else name.split(".")[:-1]
            anchor = anchor[:len(anchor) - (node.level - 1)]
            base = ".".join(anchor + ([node.module] if node.module else []))
        # `from pkg import mod` imports the module pkg.mod; `from pkg import name` imports pkg.
        return [f"{base}.{alias.name}" for alias in node.names] + [base]
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "import_module"
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        return [node.args[0].value]
    return []


def import_graph(package_dir, package):
    """{module: modules of the same package it imports}, read from the source with ast.

    `from pkg.mod import x` is an edge to pkg.mod alone: Python runs pkg's __init__ first,
    but that is the package being set up, not pkg.mod asking for what __init__ defines.
    """
    modules = _modules(package_dir, package)
    graph = {}
    for name, path in modules.items():
        is_package = path.stem == "__init__"
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = _imported(node, name, is_package)
            if isinstance(node, ast.ImportFrom):  # pkg.mod if that is a module, else pkg itself
                *candidates, base = targets
                targets = [t for t in candidates if t in modules] or [base]
            edges.update(t for t in targets if t in modules and t != name)
        graph[name] = edges
    return graph


def find_cycle(graph):
    """A list of modules [a, b, ..., a] that import each other in a loop, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def _reachable(graph, start):
    seen, todo = {start}, [start]
    while todo:
        for nxt in graph[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_convert_package_has_no_import_cycle():
    graph = import_graph(PACKAGE_DIR, "fastscore.convert")
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_fastscore_package_has_no_import_cycle():
    # The stages' validators (front, post) are called by fields and must not import it back.
    # The package's __init__ is its face (it re-exports the API, and modules read __version__
    # from it): it is left out, as Python finishes it before any module asks for a name in it.
    graph = import_graph(PACKAGE_DIR.parent, "fastscore")
    del graph["fastscore"]
    graph = {name: edges - {"fastscore"} for name, edges in graph.items()}
    assert {"fastscore.fields", "fastscore.front", "fastscore.post", "fastscore.model"} <= set(graph)
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_registry_reaches_every_module_of_the_package():
    # A family module that registry() does not import would convert nothing.
    graph = import_graph(PACKAGE_DIR, "fastscore.convert")
    assert _reachable(graph, "fastscore.convert") == set(graph)
    assert {"fastscore.convert.parts", "fastscore.convert.linear_classifiers", "fastscore.convert.pipelines",
            "fastscore.convert.linear_regressors", "fastscore.convert.scalers"} <= set(graph)


def test_the_cycle_check_sees_lazy_and_relative_imports(tmp_path):
    """The check above would fail on a loop closed by an import inside a function."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("def registry():\n    from pkg import a\n")
    (pkg / "a.py").write_text("from .b import helper\n")
    (pkg / "b.py").write_text("import importlib\n\ndef helper():\n    import pkg\n")
    graph = import_graph(pkg, "pkg")
    assert graph == {"pkg": {"pkg.a"}, "pkg.a": {"pkg.b"}, "pkg.b": {"pkg"}}
    assert find_cycle(graph) == ["pkg", "pkg.a", "pkg.b", "pkg"]
    (pkg / "b.py").write_text("import importlib\n\ndef helper():\n    importlib.import_module('pkg.a')\n")
    assert find_cycle(import_graph(pkg, "pkg")) == ["pkg.a", "pkg.b", "pkg.a"]


def test_nothing_in_the_convert_package_unpickles():
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in UNPICKLERS, f"{path.name} imports {name}"


def test_importing_fastscore_loads_no_converter_family():
    code = "import sys, fastscore; print(sorted(m for m in sys.modules if m.startswith('fastscore.convert')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert result.stdout.strip() == "['fastscore.convert', 'fastscore.convert.parts']"


def test_supported_and_the_errors_are_the_package_api():
    assert fastscore.ConversionError is fastscore.convert.ConversionError
    assert issubclass(fastscore.ConversionError, ValueError)
    names = fastscore.convert.supported()
    assert names == sorted(names) and names == fastscore.convert.registry().supported()
    assert "Pipeline" in names and "StandardScaler" not in names  # a scaler alone is no model


def test_from_sklearn_passes_the_backend_to_the_model():
    for case in ("logreg-binary", "ridge-column"):
        est, _ = fitted(case)
        assert fastscore.from_sklearn(est).backend == fastscore.backend  # the process default
        for name in BACKENDS:  # each one, where both exist
            assert fastscore.from_sklearn(est, backend=name).backend == name
