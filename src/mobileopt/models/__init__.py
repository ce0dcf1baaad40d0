"""Model builders: the Table 2.2 classifier, the structure variants' architectures, the autoencoder, and surgery on chain models."""
