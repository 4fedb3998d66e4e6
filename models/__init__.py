"""Chat-model backends, presets, prompt formats, serving and the tiny test models of the ChemDFM/ChemVLM cores."""
