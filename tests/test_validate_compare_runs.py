"""`validate.report.compare_runs` and `collapse compare`: two run directories compared row by row.

Hand-built run directories (both checks.json formats: the one before issue 17, 683fc19, with a
count of generations and no scope/run/sources/reason, and the current one) with one known change
each, whose report must name exactly that change; a real tiny run (an exact run with its report)
against a copy of itself (identical) and against a copy with one metric altered (reported, with
the altered relative difference)."""
import copy
import json
import shutil

import numpy as np
import pytest

from run_files import write_json
from tests._small_runs import write_small_exact_run
from validate.cli.main import main
from validate.report import compare_runs
from validate.report.build import build_report
from validate.report.value_comparison import ValueComparison, relative_difference


def _detail(name, margins, verdict="holds", old=False):
    rows = [{"generation": g, "measured": 1.0 + m, "stderr": 0.01, "bound": 1.0, "margin": m, "verdict": verdict}
            for g, m in enumerate(margins)]
    d = {"name": name, "result_id": name.split()[0], "side": "lower", "rows": rows, "constants": {},
         "expect": "holds", "note": "", "binding": True, "proof": False}
    if not old:
        for r in rows:
            r["reason"] = ""
        d |= {"scope": "run", "run": {"directory": "RUN/exact"}, "sources": {"measured": "exact", "bound": "exact"}}
    return d


def _row(detail, old=False):
    row = {"check": detail["name"], "result": detail["result_id"], "side": "lower", "kind": "check",
           "generations": len(detail["rows"]) if old else [r["generation"] for r in detail["rows"]],
           "verdict": detail["rows"][0]["verdict"], "min_margin": min(r["margin"] for r in detail["rows"]),
           "constants": "C = 1.2345", "passed": True, "failed": False, "note": ""}
    if not old:
        row |= {"scope": "run", "run": "RUN/exact", "learner": "exact", "target": "gaussian",
                "sources": dict(detail["sources"]), "reason": "", "vacuous_rows": 0}
    return row


def _hand_run(d, old=False, checks=None, metrics=None, figures=("a.png", "a.pdf")):
    """A run directory: checks.json, one metrics.jsonl, one table CSV, one array, figure files."""
    details = checks if checks is not None else [_detail("prop3.1 [exact]", [0.5, 0.25], old=old),
                                                 _detail("lemmaF.1 [exact]", [0.1, 0.2, 0.3], old=old)]
    details = json.loads(json.dumps(details).replace("RUN", str(d)))
    write_json(d / "checks.json", {"checks": [_row(x, old) for x in details], "details": details})
    write_json(d / "manifest.json", {"scale": "test", "started": "2026-12-02T20:00:00+00:00"})
    rows = metrics if metrics is not None else [{"generation": g, "D_kl": 0.1 * (g + 1), "estimator": "exact",
                                                 "seconds": 1.0} for g in range(3)]
    (d / "exact").mkdir(exist_ok=True)
    (d / "exact" / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (d / "tables").mkdir(exist_ok=True)
    (d / "tables" / "t.csv").write_text("alpha,generation,D\n0.5,1,0.25\n0.5,2,0.125\n")
    (d / "tables" / "t.md").write_text("| alpha |\n")
    np.save(d / "exact" / "samples.npy", np.linspace(0.0, 1.0, 12).reshape(6, 2))
    (d / "figures").mkdir(exist_ok=True)
    for f in figures:
        (d / "figures" / f).write_bytes(b"not compared")
    return d


@pytest.fixture
def pair(tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    return _hand_run(tmp_path / "a"), _hand_run(tmp_path / "b")


def _edit_json(path, change):
    doc = json.loads(path.read_text())
    change(doc)
    write_json(path, doc)


def _differences(result):
    return [(e["check"], d["where"]) for e in result["checks"]["differences"] for d in e["differences"]]


def test_the_same_run_in_two_places_is_identical(pair):
    a, b = pair
    r = compare_runs(a, b)
    assert r["identical"]
    assert r["checks"]["compared"] == 2 and r["checks"]["identical"] == 2
    assert r["data_files"]["compared"] == 4 and r["data_files"]["differing"] == 0  # manifest, metrics, csv, npy
    assert r["figures"] == {"a": 2, "b": 2, "only_in_a": [], "only_in_b": []}
    assert r["max_relative_difference"] == 0.0
    assert r["ignored_fields"] == ["seconds", "started"]


def test_a_margin_beyond_rtol_is_reported_with_its_relative_difference(pair):
    a, b = pair
    scaled = 0.25 * (1 + 1e-6)
    _edit_json(b / "checks.json", lambda doc: doc["details"][0]["rows"][1].update(margin=scaled))
    r = compare_runs(a, b, rtol=1e-9)
    assert not r["identical"]
    assert _differences(r) == [("prop3.1 [exact]", "rows[generation 1].margin")]
    (entry,) = r["checks"]["differences"]
    assert entry["differences"][0]["relative"] == pytest.approx(1e-6 / (1 + 1e-6), rel=1e-6)
    assert r["checks"]["identical"] == 1 and r["checks"]["differing"] == 1
    assert compare_runs(a, b, rtol=1e-5)["identical"]  # control: within a looser tolerance
    assert not compare_runs(a, b, rtol=1e-7)["identical"]


def test_verdict_and_kind_changes(pair):
    a, b = pair

    def change(doc):
        doc["checks"][1].update(verdict="violated", kind="informative")
        for row in doc["details"][1]["rows"]:
            row["verdict"] = "violated"
    _edit_json(b / "checks.json", change)
    r = compare_runs(a, b)
    assert r["checks"]["verdict_changes"] == [{"check": "lemmaF.1 [exact]", "a": "holds", "b": "violated"}]
    assert r["checks"]["kind_changes"] == [{"check": "lemmaF.1 [exact]", "a": "check", "b": "informative"}]
    assert r["checks"]["differing"] == 1


def test_rows_only_in_one_run_and_the_rename_map(tmp_path):
    a = _hand_run(tmp_path / "a")
    b = tmp_path / "b"
    b.mkdir()
    _hand_run(b, checks=[_detail("prop3.1 [exact]", [0.5, 0.25]), _detail("lemmaF.1 exact", [0.1, 0.2, 0.3])])
    r = compare_runs(a, b)
    assert r["checks"]["only_in_a"] == ["lemmaF.1 [exact]"] and r["checks"]["only_in_b"] == ["lemmaF.1 exact"]
    assert not r["identical"]
    renamed = compare_runs(a, b, rename={"lemmaF.1 [exact]": "lemmaF.1 exact"})
    assert renamed["identical"] and renamed["checks"]["compared"] == 2
    with pytest.raises(ValueError, match="rename"):
        compare_runs(a, b, rename={"no such check": "x"})


def test_figure_lists_and_other_files(tmp_path):
    a = _hand_run(tmp_path / "a")
    b = tmp_path / "b"
    b.mkdir()
    _hand_run(b, figures=("a.png", "a.pdf", "new.png"))
    (b / "tables" / "t.md").unlink()
    r = compare_runs(a, b)
    assert r["figures"]["only_in_b"] == ["figures/new.png"]
    assert r["other_files"]["only_in_a"] == ["tables/t.md"]
    assert not r["identical"]


def test_per_generation_metrics_tables_and_arrays(pair):
    a, b = pair
    rows = [json.loads(line) for line in (b / "exact" / "metrics.jsonl").read_text().splitlines()]
    rows[2]["D_kl"] *= 1.01
    rows[0]["seconds"] = 99.0  # timing: left out
    rows[1]["new_key"] = 1.0
    (b / "exact" / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (b / "tables" / "t.csv").write_text("alpha,generation,D\n0.5,1,0.25\n0.5,2,0.5\n")
    x = np.load(b / "exact" / "samples.npy")
    x[3, 1] += 1e-3
    np.save(b / "exact" / "samples.npy", x)
    r = compare_runs(a, b)
    by_file = {e["file"]: e["differences"] for e in r["data_files"]["differences"]}
    assert set(by_file) == {"exact/metrics.jsonl", "tables/t.csv", "exact/samples.npy"}
    metric = {d["where"]: d for d in by_file["exact/metrics.jsonl"]}
    assert set(metric) == {"generation 2.D_kl", "generation 1.new_key"}
    assert metric["generation 2.D_kl"]["relative"] == pytest.approx(0.01 / 1.01)
    assert metric["generation 1.new_key"]["only_in"] == "b"
    assert [d["where"] for d in by_file["tables/t.csv"]] == ["rows.alpha=0.5, generation=2.0.D"]  # rows keyed
    (array,) = by_file["exact/samples.npy"]
    assert (array["where"], array["elements_differing"], array["elements"]) == ("elements[7]", 1, 12)
    assert r["data_files"]["identical"] == 1  # the manifest


def test_old_checks_format_reads_and_compares_with_the_current_one(tmp_path):
    """The 683fc19 format (before issue 17: housev, housee too) against the current one with the
    same numbers: identical, the fields only the current one has listed as skipped."""
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir(), new.mkdir()
    _hand_run(old, old=True), _hand_run(new)
    r = compare_runs(old, new)
    assert r["identical"], r["checks"]["differences"]
    assert {"scope", "sources", "reason", "vacuous_rows", "details.run", "details.rows.reason"} <= set(
        r["checks"]["skipped_fields"])
    _edit_json(old / "checks.json", lambda doc: doc["checks"][0].update(generations=3))  # control: a count differs
    assert _differences(compare_runs(old, new)) == [("prop3.1 [exact]", "generations")]


def test_a_part_checks_file_of_details_alone(pair):
    """limit/checks.json holds a list of details (the limit stage's): its checks are named "limit: ..."."""
    a, b = pair
    for d in pair:
        write_json(d / "limit" / "checks.json", [_detail("limit.hermite_step [x]", [0.0, 1e-3])])
    r = compare_runs(a, b)
    assert r["identical"] and r["checks"]["compared"] == 3
    _edit_json(b / "limit" / "checks.json", lambda doc: doc[0]["rows"][1].update(bound=2.0))
    assert _differences(compare_runs(a, b)) == [("limit: limit.hermite_step [x]", "rows[generation 1].bound")]


def test_a_train_run_without_checks(tmp_path):
    """A `collapse train` directory (config.json, metrics.jsonl, gen_0000/) before `collapse report`."""
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        (d / "gen_0000").mkdir(parents=True)
        write_json(d / "config.json", {"alpha": 0.5, "out": str(d)})
        (d / "metrics.jsonl").write_text('{"generation": 0, "D_kl": 0.5, "seconds": 3}\n')
    r = compare_runs(a, b)
    assert r["identical"] and r["checks"] is None and r["data_files"]["compared"] == 2
    (b / "metrics.jsonl").write_text('{"generation": 0, "D_kl": 0.49, "seconds": 3}\n')
    assert [e["file"] for e in compare_runs(a, b)["data_files"]["differences"]] == ["metrics.jsonl"]
    with pytest.raises(ValueError, match="rename"):
        compare_runs(a, b, rename={"x": "y"})


def test_numbers_inside_text_and_special_values():
    c = ValueComparison(rtol=1e-9)
    assert c.differences("C = 1.2345", "C = 1.2345000000001") == []
    assert c.differences("C = 1.2345", "C = 1.2346") != []
    assert c.differences("C = 1.2345", "c = 1.2345") != []
    assert c.differences(float("nan"), float("nan")) == []
    assert c.differences(float("inf"), float("inf")) == []
    assert c.differences(float("inf"), 1e300)[0]["relative"] == float("inf")
    assert c.differences(True, 1) != []  # a bool is not a number
    assert relative_difference(0.0, 1e-300) == 1.0
    assert ValueComparison(rtol=0.0, atol=1e-12).differences(0.0, 1e-13) == []
    with pytest.raises(ValueError, match="rtol"):
        ValueComparison(rtol=-1.0)
    with pytest.raises(ValueError, match="atol"):
        ValueComparison(rtol=0.0, atol=float("inf"))


# a real tiny run ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    run = write_small_exact_run(tmp_path_factory.mktemp("run"))
    build_report(run)
    return run


def test_real_run_against_its_copy_and_an_altered_metric(tiny_run, tmp_path, capsys):
    same, altered = tmp_path / "same", tmp_path / "altered"
    shutil.copytree(tiny_run, same), shutil.copytree(tiny_run, altered)
    out = tmp_path / "cmp.json"
    assert main(["compare", str(tiny_run), str(same), "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    n_checks = len(json.loads((tiny_run / "checks.json").read_text())["checks"])
    assert result["identical"] and result["checks"]["identical"] == n_checks > 10
    assert result["figures"]["a"] == result["figures"]["b"] > 0
    assert "identical within rtol 1e-09" in capsys.readouterr().out

    path = altered / "exact" / "alpha_0.5" / "metrics.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[3]["eps2"] = rows[3]["eps2"] * (1 + 1e-7)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["compare", str(tiny_run), str(altered), "--json", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "exact/alpha_0.5/metrics.jsonl: generation 3.eps2" in printed
    assert printed.endswith("differ beyond rtol 1e-09\n")
    (entry,) = json.loads(out.read_text())["data_files"]["differences"]
    assert [d["where"] for d in entry["differences"]] == ["generation 3.eps2"]
    assert entry["differences"][0]["relative"] == pytest.approx(1e-7, rel=1e-3)
    assert main(["compare", str(tiny_run), str(altered), "--rtol", "1e-6"]) == 0


def test_real_run_in_the_old_checks_format(tiny_run, tmp_path):
    """The current checks.json rewritten as 683fc19 wrote it compares identical; a margin changed in
    it does not."""
    old = tmp_path / "old"
    shutil.copytree(tiny_run, old)
    doc = json.loads((old / "checks.json").read_text())
    old_row = ("check", "result", "side", "kind", "generations", "verdict", "min_margin", "constants", "passed",
               "failed", "note")
    rows = [{k: (len(r[k]) if k == "generations" else r[k]) for k in old_row} for r in doc["checks"]]
    details = copy.deepcopy(doc["details"])
    for d in details:
        for k in ("scope", "run", "sources"):
            d.pop(k)
        for r in d["rows"]:
            r.pop("reason")
    write_json(old / "checks.json", {"checks": rows, "details": details})
    assert compare_runs(tiny_run, old)["identical"]
    i = next(i for i, d in enumerate(details) if d["rows"] and np.isfinite(d["rows"][0]["margin"]))
    details[i]["rows"][0]["margin"] += 1.0
    write_json(old / "checks.json", {"checks": rows, "details": details})
    r = compare_runs(tiny_run, old)
    assert _differences(r) == [(rows[i]["check"], "rows[generation 0].margin")]


@pytest.mark.parametrize("argv, message", [
    (["compare", "/no/such/run", "."], "does not exist"),
    (["compare", "{tmp}", "{tmp}"], "holds no run"),
    (["compare", "{a}", "{a}", "--rtol", "-1"], "rtol"),
    (["compare", "{a}", "{a}", "--rename", "nonsense"], "OLD=NEW"),
    (["compare", "{a}", "{a}", "--rename", "unknown=x"], "rename"),
    (["compare", "{bad}", "{a}"], "not valid JSON"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, argv, message):
    (tmp_path / "a").mkdir(), (tmp_path / "bad").mkdir(), (tmp_path / "empty").mkdir()
    _hand_run(tmp_path / "a")
    (tmp_path / "bad" / "checks.json").write_text("{not json")
    names = {"tmp": tmp_path / "empty", "a": tmp_path / "a", "bad": tmp_path / "bad"}
    assert main([w.format(**names) for w in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_rename_may_be_given_more_than_once():
    """`--rename A=B --rename C=D` keeps both (argparse "extend"), as does one --rename with two items."""
    from validate.cli.parser import build_parser
    args = build_parser().parse_args(["compare", "a", "b", "--rename", "x=y", "--rename", "z=w", "u=v"])
    assert args.rename == ["x=y", "z=w", "u=v"]
