"""The chemistry LLM's own knowledge as tools, each answer checked by RDKit where it can be."""
