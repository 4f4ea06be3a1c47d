"""Property firms (物业企业, issue 22 §5): who manages each compound, the needs counted against each firm
and its residents' satisfaction, and the fallback service (兜底) of compounds no firm manages."""
