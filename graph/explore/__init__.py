"""Exploring the graph: what lies around a node, and how two nodes are linked."""
