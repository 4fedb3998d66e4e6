"""The graph's nodes, one module each: screen -> plan -> act -> ... -> answer."""
