"""吹哨报到 (issue 22 §2, §3): whistles to departments, their reports, refusals, ratings both ways."""
