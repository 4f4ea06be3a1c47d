"""All Cypher, the kinds' declarations and their domains. Importing `graph` registers every domain
with the kernel (graph/domains.py) before any module of it runs, so no import order can read the
kinds before they are known."""

from graph.domains import register

register()
