import json

import numpy as np
import pytest

from run_files import write_jsonl
from validate.report.run_io import read_metrics


def test_roundtrip_with_numpy_values(tmp_path):
    rows = [{"generation": 0, "D": np.float64(0.5)}, {"generation": 1, "D": 1.5}]
    write_jsonl(tmp_path / "metrics.jsonl", rows)
    back = read_metrics(tmp_path, required=("generation", "D"))
    assert [r["D"] for r in back] == [0.5, 1.5]


def test_missing_run_dir_and_file_and_field(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_metrics(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="metrics.jsonl"):
        read_metrics(tmp_path)
    (tmp_path / "metrics.jsonl").write_text(json.dumps({"generation": 0}) + "\n")
    with pytest.raises(ValueError, match="missing field.*D_chi2"):
        read_metrics(tmp_path, required=("generation", "D_chi2"))
