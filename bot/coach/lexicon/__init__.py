"""Data files for the coach (word lists written for this project)."""
