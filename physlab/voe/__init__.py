"""Violation of expectation: surprise curves of any clip, metrics on stimulus sets, visibility, comparisons, plots."""
