"""Kiểm Chứng — a Vietnamese-first misinformation monitoring and fact-checking workbench."""

__version__ = "0.1.0"
