"""Helpers that belong to no pipeline stage: process-level speed tricks."""
