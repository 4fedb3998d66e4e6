"""Literature retrieval: ingest papers, a persistent hybrid (dense + lexical) index, cited passages.

Heavy parts (sentence-transformers, torch, FAISS) are imported only when an index is built or
searched, so registering the tool costs nothing.
"""
