"""Training recipes for the core models (lands with the training issue)."""
