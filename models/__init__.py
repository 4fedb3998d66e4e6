"""Chat-model backends and presets for the ChemDFM/ChemVLM cores (lands with the models issue)."""
