"""Two finished runs compared row by row: their checks, their per-generation numbers, their files.

`compare_runs(a, b)` reads two directories written by `collapse reproduce`, `collapse train`,
`collapse exact --out` or `collapse sweep` (after `collapse report`, or not) and says whether they
agree within a relative tolerance (`validate.report.value_comparison`):

* checks (DIR/checks.json, and those of parts such as DIR/limit/checks.json that it does not
  already hold, their names prefixed "limit: "): rows matched by check name (`rename` maps a name of run a to its name in
  run b); for each, the summary row's fields (verdict, kind, min_margin, constants, ...) and its
  details (the per-generation rows matched by generation: measured, stderr, bound, margin, verdict;
  the fitted constants). Fields that only one of the two checks.json formats has are skipped and
  listed, not counted as differences: the format of 683fc19 (before issue 17) has neither scope,
  run, sources, reason nor vacuous_rows, and its "generations" is a count where later formats give
  the list of generations (compared as a count then);
* data files (every other *.json, *.jsonl and *.csv, and *.npy arrays): metrics.jsonl lines matched
  by generation; CSV rows by their fewest leading columns that tell them apart (by position when
  none do) and columns by header (the header itself is compared as a list, so a column only one
  table has shows there, as differences of "columns[i]" from that position on);
  JSON documents key by key; arrays element by element (the worst element reported, with the
  count of those differing). Timing fields ("seconds", "*_seconds", "started", "finished") are
  left out and listed;
* file lists: figures (files under a `figures/` directory) and every other file (tables rendered
  as Markdown or LaTeX, checkpoints) are compared by name only.

Absolute paths of the two run directories inside the files are replaced by "<run>" before
comparing, so that the same run written to two places (or copied) compares identical.
"""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np

from bounds.tolerance import passes
from run_files import CHECKS_FILE, MANIFEST_FILE, METRICS_FILE, MissingRunFile, RunFileError
from validate.report.run_io import json_lines, read_json
from validate.report.value_comparison import ValueComparison, relative_difference

#: timing fields, different on every run, never compared
TIMING_FIELDS = frozenset({"seconds", "started", "finished"})
DATA_SUFFIXES = (".json", ".jsonl", ".csv")
ARRAY_SUFFIX = ".npy"
FIGURES_DIR = "figures"
RUN_TOKEN = "<run>"


def compare_runs(a, b, rtol: float = 1e-9, atol: float = 0.0, rename: dict | None = None) -> dict:
    """Compare two finished run directories row by row (module docstring).

    Parameters
    ----------
    a, b : str or path-like
        The two run directories (a is the reference: "only in a" means missing from b).
    rtol : float
        Relative tolerance of numbers, finite and >= 0 (default 1e-9: rounding).
    atol : float
        Absolute tolerance of numbers, finite and >= 0 (default 0).
    rename : dict or None
        Check names of run a mapped to their names in run b (renamed checks).

    Returns
    -------
    dict
        "a", "b", "rtol", "atol", "rename"; "identical" (bool: nothing differs beyond the
        tolerance); "checks" (None when neither run has checks.json, else "compared",
        "identical", "differing", "only_in_a", "only_in_b", "verdict_changes", "kind_changes",
        "differences": one {"check", "renamed_from", "differences"} per differing check, and
        "skipped_fields"); "data_files" ("compared", "identical", "differing", "only_in_a",
        "only_in_b", "differences": one {"file", "differences"} per differing file); "figures"
        and "other_files" ("a", "b": counts, "only_in_a", "only_in_b"); "numbers_compared",
        "max_relative_difference" (over every number compared, also within the tolerance),
        "by_field" (the differences counted by field name, with their largest relative
        difference) and "ignored_fields".

    Raises
    ------
    ValueError
        If rtol or atol is negative or not finite, or `rename` names a check run a does not have.
    MissingRunFile
        If a directory does not exist.
    RunFileError
        If a directory holds no run (no checks.json, metrics.jsonl or manifest.json) or one of its
        files is malformed (the message names it).
    """
    compare = ValueComparison(rtol=rtol, atol=atol, ignored=TIMING_FIELDS)
    root_a, root_b = _run_root(a, "a"), _run_root(b, "b")
    files_a, files_b = _files(root_a), _files(root_b)
    checks = _compare_checks(root_a, root_b, files_a, files_b, compare, dict(rename or {}))
    data = _compare_data_files(root_a, root_b, files_a, files_b, compare)
    figures = _file_lists([f for f in files_a if _is_figure(f)], [f for f in files_b if _is_figure(f)])
    other = _file_lists([f for f in files_a if _is_other(f)], [f for f in files_b if _is_other(f)])
    identical = (not data["differing"] and not data["only_in_a"] and not data["only_in_b"]
                 and not figures["only_in_a"] and not figures["only_in_b"]
                 and not other["only_in_a"] and not other["only_in_b"]
                 and (checks is None or not (checks["differing"] or checks["only_in_a"] or checks["only_in_b"])))
    entries = (checks or {}).get("differences", []) + data["differences"]
    return {"a": str(root_a), "b": str(root_b), "rtol": rtol, "atol": atol, "rename": dict(rename or {}),
            "identical": identical, "checks": checks, "data_files": data, "figures": figures, "other_files": other,
            "by_field": _by_field(d for e in entries for d in e["differences"]),
            "numbers_compared": compare.numbers, "max_relative_difference": compare.max_relative,
            "ignored_fields": sorted(compare.ignored_seen)}


def _by_field(differences) -> dict:
    """{field: {"count", "max_relative"}} over differences, the field being the last name of the
    place ("rows[generation 3].margin" -> "margin", "generation 2.D_kl" -> "D_kl"); an entry only one
    run has is counted under "only in a" or "only in b" (its place may end in a number)."""
    out: dict = {}
    for d in differences:
        if "only_in" in d:
            name = f"only in {d['only_in']}"
        else:
            name = d["where"].rsplit(".", 1)[-1].split("[", 1)[0].strip() or d["where"]
        entry = out.setdefault(name, {"count": 0, "max_relative": 0.0})
        entry["count"] += 1
        if d["relative"] is not None:
            entry["max_relative"] = max(entry["max_relative"], d["relative"])
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["count"]))


def _run_root(path, label: str) -> Path:
    root = Path(path)
    if not root.is_dir():
        raise MissingRunFile(f"run directory {label} {str(root)!r} does not exist")
    if not ((root / CHECKS_FILE).is_file() or (root / MANIFEST_FILE).is_file()
            or any(root.rglob(METRICS_FILE))):
        raise RunFileError(f"{str(root)!r} holds no run (no {CHECKS_FILE}, {MANIFEST_FILE} or {METRICS_FILE})")
    return root.absolute()


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".tmp-" not in p.name)


def _is_figure(rel: str) -> bool:
    return FIGURES_DIR in Path(rel).parts[:-1]


def _is_checks(rel: str) -> bool:
    return Path(rel).name == CHECKS_FILE


def _is_data(rel: str) -> bool:
    return not _is_figure(rel) and not _is_checks(rel) and rel.endswith(DATA_SUFFIXES + (ARRAY_SUFFIX,))


def _is_other(rel: str) -> bool:
    return not _is_figure(rel) and not _is_data(rel) and not _is_checks(rel)


def _file_lists(a: list, b: list) -> dict:
    sa, sb = set(a), set(b)
    return {"a": len(sa), "b": len(sb), "only_in_a": sorted(sa - sb), "only_in_b": sorted(sb - sa)}


def _run_prefixes(*roots: Path) -> tuple:
    """The absolute paths of the run directories (as given and resolved), longest first."""
    return tuple(sorted({str(r) for root in roots for r in (root, root.resolve())}, key=len, reverse=True))


def _without_root(value, prefixes: tuple):
    """`value` with the run directories' paths (`_run_prefixes`) replaced by RUN_TOKEN in every
    string (a run copied elsewhere keeps the path it was written in)."""
    if isinstance(value, str):
        for prefix in prefixes:
            value = value.replace(prefix, RUN_TOKEN)
        return value
    if isinstance(value, list):
        return [_without_root(v, prefixes) for v in value]
    if isinstance(value, dict):
        return {k: _without_root(v, prefixes) for k, v in value.items()}
    return value


# checks.json ---------------------------------------------------------------------------------------

def _all_checks(root: Path, files: list, prefixes: tuple) -> dict | None:
    """{name: (summary row, details or None)} of every checks.json of the run (those below the top
    directory, e.g. limit/checks.json, name theirs "limit: <name>", and are left out where the top
    checks.json already holds the same name: the report copies them there), None when there is none."""
    found = {str(Path(rel).parent): _load_checks(root / rel, prefixes) for rel in files if Path(rel).name == CHECKS_FILE}
    if not found:
        return None
    top = found.get(".", {})
    out = dict(top)
    for where, checks in found.items():
        if where != ".":
            out |= {f"{where}: {name}": value for name, value in checks.items() if name not in top}
    return out


def _load_checks(path: Path, prefixes: tuple) -> dict:
    """{name: (summary row, details or None)} of one checks.json: {"checks": rows, "details": [...]}
    (DIR/checks.json) or a list of details alone (the limit stage's limit/checks.json), whose rows
    are then just their names."""
    doc = _without_root(read_json(path), prefixes)
    if isinstance(doc, list) and all(isinstance(d, dict) and "name" in d for d in doc):  # details alone
        doc = {"checks": [{"check": d["name"]} for d in doc], "details": doc}
    rows = doc.get("checks") if isinstance(doc, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "check" in r for r in rows):
        raise RunFileError(f"{path}: expected {{'checks': [rows with a 'check' name], 'details': [...]}}")
    details = doc.get("details") or []
    by_name = {d.get("name"): d for d in details if isinstance(d, dict)}
    out = {}
    for i, row in enumerate(rows):
        name = row["check"]
        if name in out:
            raise RunFileError(f"{path}: check name {name!r} appears twice; rows cannot be matched by name")
        detail = details[i] if i < len(details) and details[i].get("name") == name else by_name.get(name)
        out[name] = (row, detail)
    return out


def _compare_checks(root_a: Path, root_b: Path, files_a: list, files_b: list, compare: ValueComparison,
                    rename: dict) -> dict | None:
    prefixes = _run_prefixes(root_a, root_b)
    checks_a, checks_b = _all_checks(root_a, files_a, prefixes), _all_checks(root_b, files_b, prefixes)
    if checks_a is None and checks_b is None:
        if rename:
            raise ValueError(f"rename: neither run has {CHECKS_FILE}, there is no check to rename")
        return None
    checks_a, checks_b = checks_a or {}, checks_b or {}
    unknown = sorted(set(rename) - set(checks_a))
    if unknown:
        raise ValueError(f"rename: check(s) {', '.join(map(repr, unknown))} not in run a {str(root_a)!r}")
    renamed = {rename.get(name, name): name for name in checks_a}
    skipped: set = set()
    result = {"compared": 0, "identical": 0, "differing": 0,
              "only_in_a": sorted(name for new, name in renamed.items() if new not in checks_b),
              "only_in_b": sorted(name for name in checks_b if name not in renamed),
              "verdict_changes": [], "kind_changes": [], "differences": [], "skipped_fields": []}
    for name_b, (row_b, detail_b) in checks_b.items():
        if name_b not in renamed:
            continue
        name_a = renamed[name_b]
        row_a, detail_a = checks_a[name_a]
        result["compared"] += 1
        diffs = (_row_differences(row_a, row_b, compare, skipped)
                 + _detail_differences(detail_a, detail_b, compare, skipped))
        for key, bucket in (("verdict", "verdict_changes"), ("kind", "kind_changes")):
            if key in row_a and key in row_b and row_a[key] != row_b[key]:
                result[bucket].append({"check": name_b, "a": row_a[key], "b": row_b[key]})
        if diffs:
            result["differing"] += 1
            entry = {"check": name_b, "differences": diffs}
            if name_a != name_b:
                entry["renamed_from"] = name_a
            result["differences"].append(entry)
        else:
            result["identical"] += 1
    result["skipped_fields"] = sorted(skipped)
    return result


def _common(a: dict, b: dict, skipped: set, prefix: str) -> tuple[dict, dict]:
    """a and b restricted to their common keys; the others are recorded in `skipped`."""
    skipped.update(f"{prefix}{k}" for k in set(a) ^ set(b))
    return {k: a[k] for k in a if k in b}, {k: b[k] for k in b if k in a}


def _row_differences(row_a: dict, row_b: dict, compare: ValueComparison, skipped: set) -> list[dict]:
    a, b = _common(row_a, row_b, skipped, "")
    a.pop("check", None), b.pop("check", None)
    gens_a, gens_b = a.get("generations"), b.get("generations")
    if isinstance(gens_a, list) != isinstance(gens_b, list):  # a count in the 683fc19 format
        a["generations"] = len(gens_a) if isinstance(gens_a, list) else gens_a
        b["generations"] = len(gens_b) if isinstance(gens_b, list) else gens_b
    return compare.differences(a, b)


def _detail_differences(detail_a, detail_b, compare: ValueComparison, skipped: set) -> list[dict]:
    if detail_a is None or detail_b is None:
        if detail_a is None and detail_b is None:
            return []
        return [{"where": "details", "a": detail_a is not None, "b": detail_b is not None, "relative": None,
                 "only_in": "a" if detail_b is None else "b"}]
    a, b = _common(detail_a, detail_b, skipped, "details.")
    a.pop("name", None), b.pop("name", None)
    rows_a, rows_b = a.pop("rows", []), b.pop("rows", [])
    diffs = compare.differences(a, b, "details")
    keyed_a, keyed_b = _by_generation(rows_a), _by_generation(rows_b)
    for key in list(keyed_a) + [k for k in keyed_b if k not in keyed_a]:
        place = f"rows[generation {key[0]}]" + (f"[{key[1]}]" if key[1] else "")
        if key not in keyed_b or key not in keyed_a:
            side = "a" if key in keyed_a else "b"
            diffs.append({"where": place, "a": keyed_a.get(key), "b": keyed_b.get(key), "relative": None,
                          "only_in": side})
            continue
        ra, rb = _common(keyed_a[key], keyed_b[key], skipped, "details.rows.")
        diffs.extend(compare.differences(ra, rb, place))
    return diffs


def _by_generation(rows: list) -> dict:
    """Rows keyed by (generation, k): the k-th row of that generation (a check pooled over seeds has
    one row per seed and generation)."""
    seen: dict = {}
    out = {}
    for r in rows:
        g = r.get("generation")
        out[(g, seen.get(g, 0))] = r
        seen[g] = seen.get(g, 0) + 1
    return out


# data files ----------------------------------------------------------------------------------------

def _compare_data_files(root_a: Path, root_b: Path, files_a: list, files_b: list, compare: ValueComparison) -> dict:
    data_a, data_b = [f for f in files_a if _is_data(f)], [f for f in files_b if _is_data(f)]
    lists = _file_lists(data_a, data_b)
    result = {"compared": 0, "identical": 0, "differing": 0, "only_in_a": lists["only_in_a"],
              "only_in_b": lists["only_in_b"], "differences": []}
    for rel in sorted(set(data_a) & set(data_b)):
        result["compared"] += 1
        diffs = _file_differences(root_a / rel, root_b / rel, root_a, root_b, compare)
        if diffs:
            result["differing"] += 1
            result["differences"].append({"file": rel, "differences": diffs})
        else:
            result["identical"] += 1
    return result


def _file_differences(path_a: Path, path_b: Path, root_a: Path, root_b: Path, compare: ValueComparison) -> list:
    if path_a.suffix == ARRAY_SUFFIX:
        return _array_differences(path_a, path_b, compare)
    prefixes = _run_prefixes(root_a, root_b)
    doc_a, doc_b = _without_root(_read_data(path_a), prefixes), _without_root(_read_data(path_b), prefixes)
    if path_a.suffix == ".jsonl" and _keyed_by_generation(doc_a) and _keyed_by_generation(doc_b):
        doc_a = {f"generation {r['generation']}": r for r in doc_a}
        doc_b = {f"generation {r['generation']}": r for r in doc_b}
    if path_a.suffix == ".csv":
        key = _csv_key(doc_a, doc_b)
        common = [c for c in doc_a["columns"] if c in doc_b["columns"]]
        doc_a, doc_b = _rows_keyed(doc_a, key, common), _rows_keyed(doc_b, key, common)
    return compare.differences(doc_a, doc_b)


def _csv_key(doc_a: dict, doc_b: dict, most: int = 5) -> list:
    """The fewest leading columns (at most `most`) whose values tell the rows apart in both tables,
    or [] (rows then matched by position)."""
    for k in range(1, min(most, len(doc_a["columns"])) + 1):
        key = doc_a["columns"][:k]
        if doc_b["columns"][:k] != key:
            return []
        if all(len({tuple(r.get(c) for c in key) for r in d["rows"]}) == len(d["rows"]) for d in (doc_a, doc_b)):
            return key
    return []


def _rows_keyed(doc: dict, key: list, columns: list) -> dict:
    """The table with its rows keyed by `key` (a list when key is empty) and restricted to `columns`
    (a column only one table has is reported once, by the "columns" entry)."""
    rows = [{c: v for c, v in r.items() if c in columns or c not in doc["columns"]} for r in doc["rows"]]
    if key:
        rows = {", ".join(f"{c}={r.get(c)}" for c in key): r for r in rows}
    return {"columns": doc["columns"], "rows": rows}


def _keyed_by_generation(rows: list) -> bool:
    gens = [r.get("generation") for r in rows if isinstance(r, dict)]
    return len(gens) == len(rows) and None not in gens and len(set(gens)) == len(gens)


def _read_data(path: Path):
    if path.suffix == ".json":
        return read_json(path)
    if path.suffix == ".jsonl":
        return [row for _, row in json_lines(path)]
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        return {"columns": header,
                "rows": [{c: _cell(v) for c, v in zip(header, row)} | ({"(extra cells)": row[len(header):]}
                                                                          if len(row) > len(header) else {})
                         for row in reader]}


def _cell(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def _array_differences(path_a: Path, path_b: Path, compare: ValueComparison) -> list:
    try:
        x, y = np.load(path_a, allow_pickle=False), np.load(path_b, allow_pickle=False)
    except ValueError as exc:
        raise RunFileError(f"{path_a} or {path_b}: not a numeric array ({exc})") from None
    if x.shape != y.shape:
        return [{"where": "shape", "a": list(x.shape), "b": list(y.shape), "relative": None}]
    x, y = x.astype(float).ravel(), y.astype(float).ravel()
    bad = _far_apart(x, y, compare)
    if not bad:
        return []
    worst = max(bad, key=lambda i: relative_difference(x[i], y[i]))
    return [{"where": f"elements[{worst}]", "a": float(x[worst]), "b": float(y[worst]),
             "relative": relative_difference(x[worst], y[worst]), "elements_differing": len(bad),
             "elements": int(x.size)}]


def _far_apart(x: np.ndarray, y: np.ndarray, compare: ValueComparison) -> list:
    """Indices of the elements of two arrays beyond the tolerance (`ValueComparison.numbers_agree`,
    vectorised: `bounds.tolerance.passes` on the side "equal", NaN agreeing with NaN)."""
    scale = np.maximum(np.abs(x), np.abs(y))
    same = (x == y) | (np.isnan(x) & np.isnan(y))
    close = passes(x, y, "equal", compare.rtol, compare.atol)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(same, 0.0, np.where(np.isfinite(x) & np.isfinite(y) & (scale > 0),
                                           np.abs(x - y) / np.where(scale > 0, scale, 1.0), math.inf))
    compare.numbers += x.size
    compare.max_relative = max(compare.max_relative, float(rel.max(initial=0.0)))
    return np.flatnonzero(~(same | close)).tolist()


def comparison_text(result: dict, limit: int = 20) -> str:
    """A short report of `compare_runs`'s result: counts per part, then at most `limit` differences.

    Parameters
    ----------
    result : dict
        What `compare_runs` returned.
    limit : int
        How many differences to list (default 20; the JSON output has all).

    Returns
    -------
    str
        Lines ending with the conclusion ("identical within rtol ..." or "differ: ...").
    """
    lines = [f"a: {result['a']}", f"b: {result['b']}"]
    checks, data = result["checks"], result["data_files"]
    if checks is None:
        lines.append("checks: neither run has checks.json")
    else:
        lines.append(f"checks: {checks['compared']} compared, {checks['identical']} identical, "
                     f"{checks['differing']} differing, {len(checks['only_in_a'])} only in a, "
                     f"{len(checks['only_in_b'])} only in b; {len(checks['verdict_changes'])} verdict and "
                     f"{len(checks['kind_changes'])} kind changes"
                     + (f"; fields only one side has, not compared: {', '.join(checks['skipped_fields'])}"
                        if checks["skipped_fields"] else ""))
    lines.append(f"data files: {data['compared']} compared, {data['identical']} identical, {data['differing']} "
                 f"differing, {len(data['only_in_a'])} only in a, {len(data['only_in_b'])} only in b")
    for part in ("figures", "other_files"):
        f = result[part]
        lines.append(f"{part.replace('_', ' ')}: {f['a']} in a, {f['b']} in b, {len(f['only_in_a'])} only in a, "
                     f"{len(f['only_in_b'])} only in b")
    lines.append(f"numbers compared: {result['numbers_compared']}, largest relative difference "
                 f"{result['max_relative_difference']:.3g}; "
                 f"ignored fields: {', '.join(result['ignored_fields']) or 'none'}")
    fields = list(result["by_field"].items())
    if fields:
        lines.append("differences by field: " + ", ".join(
            f"{k} {v['count']} (max relative {v['max_relative']:.3g})" for k, v in fields[:limit])
            + (f", ... {len(fields) - limit} more fields" if len(fields) > limit else ""))
    listed = _difference_lines(result)
    lines.extend(listed[:limit])
    if len(listed) > limit:
        lines.append(f"... {len(listed) - limit} more (see the JSON output)")
    tol = f"rtol {result['rtol']:g}" + (f", atol {result['atol']:g}" if result["atol"] else "")
    lines.append(f"identical within {tol}" if result["identical"] else f"differ beyond {tol}")
    return "\n".join(lines) + "\n"


def _difference_lines(result: dict) -> list[str]:
    out = []
    checks = result["checks"] or {"only_in_a": [], "only_in_b": [], "differences": []}
    for side in ("a", "b"):
        out += [f"  check only in {side}: {name}" for name in checks[f"only_in_{side}"]]
        for part in ("data_files", "figures", "other_files"):
            out += [f"  {part.replace('_', ' ')[:-1]} only in {side}: {rel}" for rel in result[part][f"only_in_{side}"]]
    for entry in checks["differences"]:
        out += [f"  check {entry['check']}: {_difference_line(d)}" for d in entry["differences"]]
    for entry in result["data_files"]["differences"]:
        out += [f"  {entry['file']}: {_difference_line(d)}" for d in entry["differences"]]
    return out


def _difference_line(d: dict) -> str:
    if "only_in" in d:
        return f"{d['where']} only in {d['only_in']}"
    rel = "" if d["relative"] is None else f" (relative {d['relative']:.3g})"
    count = f", {d['elements_differing']} of {d['elements']} elements differ" if "elements" in d else ""
    return f"{d['where']}: {_short(d['a'])} -> {_short(d['b'])}{rel}{count}"


def _short(value, width: int = 60) -> str:
    text = f"{value:.10g}" if isinstance(value, float) else json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= width else text[:width - 3] + "..."
