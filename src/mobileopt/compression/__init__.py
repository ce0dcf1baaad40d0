"""Compression methods (sections 2.2.1, 2.6, 2.7): one module per method, declared once in the registry (variants), with the shared fine-tuning and conversion, and the topic's report."""
