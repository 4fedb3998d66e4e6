"""Training data: packed pretraining corpora, instruction dialogues, image-SMILES pairs."""
