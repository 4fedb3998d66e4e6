"""Benchmark tasks, metrics, systems under test, the resumable runner and reports (`chemagent eval`)."""
