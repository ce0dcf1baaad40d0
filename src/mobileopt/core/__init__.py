"""Core of every experiment: configuration, the data set, deterministic training, atomic outputs with provenance."""
