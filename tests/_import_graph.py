"""The project's import graph from the source (ast), every import statement included.

`module_imports(root)` maps each module of the four packages to the project modules it imports
(module level and inside functions alike); `violations(graph)` lists what breaks the dependency
rule of the developers' guide and every import cycle.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGES = ("bounds", "gaussian_exact", "neural", "validate")
ALLOWED = {  # package -> the other project packages it may import
    "bounds": set(),
    "gaussian_exact": {"bounds"},
    "neural": {"bounds", "gaussian_exact"},
    "validate": {"bounds", "gaussian_exact", "neural"},
}


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _reexports(files: dict) -> dict[str, dict[str, str]]:
    """package -> {name: submodule} for the names its __init__ takes from its own submodules, so
    `from bounds import catalog` counts as an import of `bounds.catalog`."""
    out = {}
    for name, path in files.items():
        if path.name != "__init__.py":
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ImportFrom):
                base = _resolve(name, True, node)
                if base in files and base != name:
                    out.setdefault(name, {}).update({a.asname or a.name: base for a in node.names})
    return out


def module_imports(root) -> dict[str, set[str]]:
    """module name -> names of project modules it imports (submodules of `from X import y` included)."""
    root = Path(root)
    files = {_module_name(root, f): f for pkg in PACKAGES if (root / pkg).is_dir()
             for f in (root / pkg).rglob("*.py")}
    exported = _reexports(files)
    graph = {}
    for name, path in files.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, path.name == "__init__.py", node)
                targets.add(base)
                targets |= {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in files}
                targets |= {exported[base][a.name] for a in node.names if a.name in exported.get(base, {})}
        graph[name] = {t for t in targets if t in files and t != name}
    return graph


def _package(module: str) -> str:
    return module.split(".")[0]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), package __init__ edges
    excluded: `pkg/__init__.py` re-exporting its submodules is not a cycle of the code."""
    edges = {m: {t for t in ts if t != _package(m) or "." not in m} for m, ts in graph.items()}
    edges = {m: {t for t in ts if t not in PACKAGES} for m, ts in edges.items()}
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def is_cli(module: str) -> bool:
    return module.startswith("validate.cli")


def violations(graph: dict[str, set[str]]) -> list[str]:
    """Every broken rule: a package importing one it may not, anything importing `validate`,
    library code importing a CLI module, and every cycle."""
    found = []
    for m, targets in sorted(graph.items()):
        pkg = _package(m)
        for t in sorted(targets):
            tp = _package(t)
            if tp != pkg and tp not in ALLOWED[pkg]:
                found.append(f"{m} imports {t}: {pkg} may import only {sorted(ALLOWED[pkg]) or 'no project package'}")
            if is_cli(t) and not is_cli(m):
                found.append(f"{m} imports the CLI module {t}")
    found += [f"import cycle: {' <-> '.join(c)}" for c in cycles(graph)]
    return found
