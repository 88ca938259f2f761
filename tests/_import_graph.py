"""The project's import graph from the source (ast), every import statement included.

`module_imports(root)` maps each module of the project's packages to the project modules it imports
(module level and inside functions alike); `violations(graph)` lists what breaks the dependency
rule of the developers' guide and every import cycle. `house_violations(root)` adds the rules of the
layers: argparse and `validate.cli` only inside `validate.cli`, hypothesis and `validate.testing`
only inside `validate.testing` (tests use it; nothing at run time does), and no private
(underscore) name of another module, imported or read as a module attribute.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGES = ("bounds", "gaussian_exact", "neural", "run_files", "validate")
ALLOWED = {  # package -> the other project packages it may import
    "bounds": set(),
    "run_files": set(),   # the run-directory format (numpy only): written by neural and validate
    "gaussian_exact": {"bounds"},
    "neural": {"bounds", "gaussian_exact", "run_files"},
    "validate": {"bounds", "gaussian_exact", "neural", "run_files"},
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


def _ancestors(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), edges to a module's own
    packages excluded: `pkg/__init__.py` re-exporting its submodules is not a cycle of the code."""
    edges = {m: {t for t in ts if t not in _ancestors(m) and t not in PACKAGES} for m, ts in graph.items()}
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


def is_testing(module: str) -> bool:
    return module == "validate.testing" or module.startswith("validate.testing.")


#: modules only one layer may import: external name -> (the layer, why)
LAYER_ONLY = {"argparse": (is_cli, "only validate.cli parses arguments"),
              "hypothesis": (is_testing, "hypothesis is a test extra, imported only by validate.testing")}
#: (module, private name it may use): documented exceptions, and temporary entries with their reason
PRIVATE_ALLOWED = {
    ("validate.pipeline.lanes", "os._exit"): "documented API: leave a forked child without cleanup",
    ("neural.ema", "torch._foreach_lerp_"): "torch's fused multi-tensor lerp, no public alias",
    # temporary: helper HOUSE-E is turning retraining's _Run into the public run object
}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _uses(root: Path, name: str, path: Path) -> tuple[set[str], set[str]]:
    """(external top-level modules imported, private names of other modules used as 'module.name')."""
    tree = ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    external, private, aliases = set(), set(), {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                external.add(a.name.split(".")[0])
                aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
                if any(_is_private(part) for part in a.name.split(".")[1:]):
                    private.add(a.name)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, is_package, node)
            if node.level == 0:
                external.add(base.split(".")[0])
            for a in node.names:
                if _is_private(a.name):
                    private.add(f"{base}.{a.name}")
                elif (root / Path(*f"{base}.{a.name}".split("."))).with_suffix(".py").is_file() or \
                        (root / Path(*f"{base}.{a.name}".split(".")) / "__init__.py").is_file():
                    aliases[a.asname or a.name] = f"{base}.{a.name}"  # a project module imported by name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and _is_private(node.attr)):
            private.add(f"{aliases[node.value.id]}.{node.attr}")
    return external, private


def house_violations(root) -> list[str]:
    """`violations(module_imports(root))` and the rules of the layers (module docstring), each
    broken rule one line naming the module and what it imports."""
    root = Path(root)
    graph = module_imports(root)
    found = violations(graph)
    for m, targets in sorted(graph.items()):
        for t in sorted(targets):
            if is_testing(t) and not is_testing(m):
                found.append(f"{m} imports {t}: validate.testing is for tests only")
    files = {_module_name(root, f): f for pkg in PACKAGES if (root / pkg).is_dir() for f in (root / pkg).rglob("*.py")}
    for m, path in sorted(files.items()):
        external, private = _uses(root, m, path)
        for name, (allowed, why) in LAYER_ONLY.items():
            if name in external and not allowed(m):
                found.append(f"{m} imports {name}: {why}")
        for p in sorted(private):
            owner = p.rsplit(".", 1)[0]
            if owner != m and (m, p) not in PRIVATE_ALLOWED:
                found.append(f"{m} uses the private name {p} of another module")
    return found
