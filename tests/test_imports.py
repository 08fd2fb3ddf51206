"""The import structure of orbitgrid: no circles, and no module importing one above it.

Every module's imports are read from its source (ast), not by importing it. What counts as an
import of B by module A:
  - `import B`, `from B import x` (an edge to B.x when that is a module), relative forms too;
  - at any depth: an import inside a function is an edge like any other (a lazy import only
    hides a circle until the function runs);
  - except under `if TYPE_CHECKING:`, which never runs;
  - importing a.b.c also runs the package a.b's __init__: an edge to every package on the way,
    unless A sits inside it (its package is then already being imported) or it is the root
    package `orbitgrid`, the public facade that imports the pipeline itself.
The layers below are the pipeline from the bottom up (docs/architecture.md); a module may import
its own layer or one below. A new module must be placed in a layer here.
"""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# Bottom first. A module takes the layer of the longest pattern it matches.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("units", ("orbitgrid.constants", "orbitgrid.errors", "orbitgrid.units",
               "orbitgrid.userfiles")),
    ("data", ("orbitgrid.orbits", "orbitgrid.orbits.*", "orbitgrid.catalog", "orbitgrid.results",
              "orbitgrid.spill")),
    ("models", ("orbitgrid.physics", "orbitgrid.physics.*", "orbitgrid.network",
                "orbitgrid.network.*", "orbitgrid.ops", "orbitgrid.ops.*", "orbitgrid.sensing",
                "orbitgrid.sensing.schema")),
    ("scenario", ("orbitgrid.scenario", "orbitgrid.fleet")),
    ("pipeline", ("orbitgrid.pipeline", "orbitgrid.budget")),
    ("stages", ("orbitgrid.physics.stage", "orbitgrid.network.stage", "orbitgrid.sensing.alerts",
                "orbitgrid.sensing.stage", "orbitgrid.ops.stage")),
    ("runs", ("orbitgrid.simulation", "orbitgrid.network.routes", "orbitgrid.network.fibre",
              "orbitgrid.economics", "orbitgrid.sizing", "orbitgrid.compare",
              "orbitgrid.figures",
              "orbitgrid.live.environment")),  # the live twin's World and stages
    ("front", ("orbitgrid", "orbitgrid.cli", "orbitgrid.cli.*", "orbitgrid.web",
               "orbitgrid.web.*", "orbitgrid.report", "orbitgrid.report.*", "orbitgrid.sweep",
               "orbitgrid.sweep.*", "orbitgrid.live", "orbitgrid.live.*", "orbitgrid.verify",
               "orbitgrid.verify.*")),
]
NUMERIC_CORE = ("orbits", "physics", "network", "ops", "pipeline", "scenario", "fleet", "catalog",
                "units", "economics", "sensing")
FRONT_ENDS = ("cli", "web", "report", "sweep", "live")


def module_files(src: Path, root: str) -> dict[str, Path]:
    """Module name -> source file, for every module of package `root` under src."""
    out = {}
    for path in sorted((src / root).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imported_names(tree: ast.AST, module: str, is_package: bool):
    """Dotted names imported anywhere in tree, outside `if TYPE_CHECKING:` blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = module.split(".") if is_package else module.split(".")[:-1]
                here = here[: len(here) - (node.level - 1)]
                base = ".".join(here + ([base] if base else []))
            yield base
            for alias in node.names:
                yield f"{base}.{alias.name}"
        stack.extend(ast.iter_child_nodes(node))


def import_graph(src: Path, root: str) -> dict[str, set[str]]:
    """module -> the modules of `root` it imports (see the module docstring for the rules)."""
    files = module_files(src, root)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        edges = set()
        for name in _imported_names(tree, module, is_package):
            if name not in files:
                continue
            edges.add(name)
            parts = name.split(".")
            for k in range(2, len(parts)):  # packages whose __init__ this import runs
                package = ".".join(parts[:k])
                if package in files and not module.startswith(package + "."):
                    edges.add(package)
        edges.discard(module)
        graph[module] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle [a, b, ..., a], or None (depth-first search, iterative)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        path, iters = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while path:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(sorted(graph.get(nxt, ()))))
    return None


def layer_of(module: str) -> int:
    best, level = -1, None
    for k, (_, patterns) in enumerate(LAYERS):
        for p in patterns:
            if fnmatch.fnmatchcase(module, p) and len(p) > best:
                best, level = len(p), k
    if level is None:
        raise AssertionError(f"{module}: in no layer of tests/test_imports.py LAYERS; place it")
    return level


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(SRC, "orbitgrid")


def test_orbitgrid_has_no_import_circle(graph):
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_no_module_imports_a_layer_above_it(graph):
    wrong = [f"{a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]})"
             for a, targets in sorted(graph.items()) for b in sorted(targets)
             if layer_of(b) > layer_of(a)]
    assert not wrong, "\n".join(wrong)


def test_numeric_core_imports_no_front_end(graph):
    core = [m for m in graph if m.split(".")[1:2] and m.split(".")[1] in NUMERIC_CORE]
    assert "orbitgrid.pipeline" in core and "orbitgrid.orbits.trajectory" in core
    wrong = [f"{a} imports {b}" for a in sorted(core) for b in sorted(graph[a])
             if b.split(".")[1] in FRONT_ENDS]
    assert not wrong, "\n".join(wrong)


def test_edges_seen_on_known_imports(graph):
    """The walker reads real edges: top-level, lazy (in a function), and package __init__s."""
    assert "orbitgrid.pipeline" in graph["orbitgrid.simulation"]
    assert "orbitgrid.catalog" in graph["orbitgrid.physics.satellite"]
    assert "orbitgrid.ops" in graph["orbitgrid.scenario"]  # via orbitgrid.ops.jobs
    assert "orbitgrid.ops.engine" in graph["orbitgrid.ops"]


# --- the walker itself, on planted packages ----------------------------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, set[str]]:
    for name, text in files.items():
        path = tmp_path / "planted" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return import_graph(tmp_path, "planted")


def test_planted_lazy_circle_is_found(tmp_path):
    graph = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from planted.b import f\n",
        "b.py": "def f():\n    from planted import a\n    return a\n",
    })
    assert find_cycle(graph) in (["planted.a", "planted.b", "planted.a"],
                                 ["planted.b", "planted.a", "planted.b"])


def test_planted_circle_through_a_package_init_is_found(tmp_path):
    graph = _package(tmp_path, {
        "__init__.py": "",
        "low.py": "from planted.sub.spec import X\n",
        "sub/__init__.py": "from planted.sub.high import Y\n",
        "sub/spec.py": "X = 1\n",
        "sub/high.py": "from .. import low\nY = 2\n",
    })
    cycle = find_cycle(graph)
    assert cycle is not None and {"planted.low", "planted.sub", "planted.sub.high"} <= set(cycle)


def test_type_checking_imports_and_own_package_do_not_count(tmp_path):
    graph = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from planted import b\n",
        "b.py": "import planted.a\n",
        "sub/__init__.py": "from planted.sub.c import Z\n",
        "sub/c.py": "from planted.sub.d import W\nZ = W\n",
        "sub/d.py": "W = 3\n",
    })
    assert graph["planted.a"] == set()
    assert graph["planted.b"] == {"planted.a"}
    assert graph["planted.sub.c"] == {"planted.sub.d"}
    assert find_cycle(graph) is None
