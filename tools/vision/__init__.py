"""Image -> structure: OSRA (offline) and, when one is served, the ChemVLM core."""
