"""run_costs reads Snakemake benchmark files and ranks jobs by wall time."""
import pytest

from mobileopt.core.run_costs import job_costs

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def test_slowest_first(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "train.tsv").write_text(HEADER + "120.5\t0:02:00\t1200\t0\t0\t0\t0\t0\t0\t0\n")
    (tmp_path / "report.tsv").write_text(HEADER + "3.0\t0:00:03\t300\t0\t0\t0\t0\t0\t0\t0\n")
    costs = job_costs(tmp_path)
    assert list(costs["job"]) == ["a/train", "report"]
    assert costs["seconds"].tolist() == [120.5, 3.0] and costs["max_rss_mb"].tolist() == [1200, 300]


def test_no_benchmarks_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="no benchmark files"):
        job_costs(tmp_path)
