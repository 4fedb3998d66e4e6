"""The ChemVLM architecture (ViT-MLP-LLM, InternVL layout): encoder, projector, LLM, tiling."""
