"""No import cycles in the application package: the layers stay one-way.

Every ``import`` and ``from ... import`` in ``desktop/digestdesk`` counts, wherever it is
written: at the top, inside a function (an import deferred to run time is still a dependency)
or under ``if TYPE_CHECKING:`` (a cycle of types is one a reader has to untangle too). A cycle
found is listed module by module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import digestdesk

PACKAGE_DIR = Path(digestdesk.__file__).resolve().parent
PACKAGE = PACKAGE_DIR.name


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE_DIR.rglob("*.py")}


def imported_names(source: str, module: str, *, is_package: bool = False) -> Iterator[str]:
    """The dotted names the module's ``source`` imports, relative imports resolved."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                keep = len(parts) - node.level + (1 if is_package else 0)
                base = ".".join([*parts[:keep], *([base] if base else [])])
            yield base
            for alias in node.names:
                yield f"{base}.{alias.name}"  # `from package import module`


def import_graph() -> dict[str, set[str]]:
    modules = package_modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        source = path.read_text(encoding="utf-8")
        names = imported_names(source, module, is_package=path.name == "__init__.py")
        targets = {name for name in names if name in modules}
        graph[module] = targets - {module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_imports_in_functions_and_for_types_only_count() -> None:
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from . import sibling\n"
        "from ..errors import DigestDeskError\n"
        "if TYPE_CHECKING:\n"
        "    from digestdesk.ui.main_window import MainWindow\n"
        "def later() -> None:\n"
        "    import digestdesk.core.fetch\n"
    )
    names = set(imported_names(source, "digestdesk.ui.some_module"))
    assert {
        "digestdesk.ui.sibling",
        "digestdesk.errors",
        "digestdesk.ui.main_window",
        "digestdesk.core.fetch",
    } <= names
    # digestdesk.app asks the command line about its arguments at run time only.
    assert f"{PACKAGE}.cli" in import_graph()[f"{PACKAGE}.app"]


def test_a_cycle_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycles_in_the_package() -> None:
    found = cycles(import_graph())
    assert found == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)
