"""The facts behind the scorecards (考核): issue 22 §4."""
