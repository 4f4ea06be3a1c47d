"""Scorecards (考核): issue 22 §4."""
