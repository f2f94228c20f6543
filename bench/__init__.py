"""Benchmarks for Outsource Check (issue 7): every figure beside a baseline measured in the same run.

Run them all with `python -m bench` (about ten minutes on two cores; `--quick` for a ~30 s pass).
The run writes `docs/performance.md`. Nothing here is a pass/fail test: the machines are shared
and noisy, so figures are ratios, medians and percentiles against a baseline measured alongside.
"""
