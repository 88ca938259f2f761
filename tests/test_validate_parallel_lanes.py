"""Lanes of the main job (validate.pipeline.lanes): grouping of the specs, threads per lane, and a
lane process that reports success and failure."""
import pytest

from run_files import RunFileError
from validate.pipeline.lanes import (
    LaneProcess,
    lane_threads,
    neural_lanes,
    usable_cores,
)
from validate.pipeline.reproduce import SCALES

SPECS = [dict(target="gmm", lane=0), dict(target="digits", lane=1), dict(target="gmm1d")]


def test_specs_grouped_by_lane_on_the_cpu_only():
    assert neural_lanes(SPECS, "cpu", cores=2) == [[SPECS[0], SPECS[2]], [SPECS[1]]]
    assert neural_lanes(SPECS, "cpu", cores=1) == [SPECS]
    assert neural_lanes(SPECS, "cuda", cores=16) == [SPECS]
    assert neural_lanes([], "cpu", cores=2) == []
    with pytest.raises(ValueError, match="lane must be an int >= 0"):
        neural_lanes([dict(lane=-1)], "cpu", cores=2)
    assert lane_threads(2, cores=2) == 1 and lane_threads(1, cores=2) == 2 and lane_threads(2, cores=1) == 1
    assert all(len(neural_lanes(SCALES[s].neural, "cpu", cores=2)) == 1 for s in ("tiny", "paper"))
    assert len(neural_lanes(SCALES["small"].neural, "cpu", cores=2)) == 2


def test_lane_process_reports_success_and_failure():
    assert LaneProcess(usable_cores, (), threads=1).result() == usable_cores()   # the value comes back
    failing = LaneProcess(neural_lanes, ([dict(lane="x")], "cpu"), threads=1)
    with pytest.raises(ValueError, match="lane must be an int >= 0") as info:   # its own type again
        failing.result()
    assert isinstance(info.value.__cause__, RuntimeError)
    assert "Traceback" in str(info.value.__cause__)   # the lane's traceback is kept


def test_a_usage_error_in_a_lane_stays_a_usage_error():
    """A RunFileError in the lane (the CLI answers it with one line, exit 2) must reach the parent
    as a RunFileError, not as a generic failure."""
    failing = LaneProcess(_raise_run_file_error, (), threads=1)
    with pytest.raises(RunFileError, match="config.json"):
        failing.result()


def _raise_run_file_error():
    raise RunFileError("runs/x/config.json is malformed")
