"""Efficient structures (sections 2.3-2.5): the variants, their training, the ResNet cost table, and their report."""
