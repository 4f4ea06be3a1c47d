"""吹哨报到 (issue 22 §2, §3): whistles to departments, their reports and refusals, ratings both ways, the
routing of needs by the communities' negative list, and the sweep of overdue calls."""
