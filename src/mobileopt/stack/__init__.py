"""The stacked compression pipeline (RQ6, RQ7): global channel pruning with distillation, then weight
sparsity, sparsity-preserving clustering and cluster- and sparsity-preserving int8 QAT, each stage
fine-tuned from the one before, and an archival (entropy-coded) form of the deployable file."""
