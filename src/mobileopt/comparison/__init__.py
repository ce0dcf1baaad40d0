"""Every classifier variant side by side (Pareto front) and methods combined (RQ4, RQ7, RQ8)."""
