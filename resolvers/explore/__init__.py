"""Exploring the graph for coordinators: neighbourhoods and paths, with the viewer's rules."""
