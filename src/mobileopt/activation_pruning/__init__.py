"""Activation-based pruning (sections 2.2.2-2.2.3): selection rules, unit surgery, the toy and autoencoder experiments, and their report."""
