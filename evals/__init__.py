"""Benchmark tasks, metrics and reports (lands with the evaluation issue)."""
