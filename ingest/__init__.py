"""Turn a folder of documents into citable chunks; knows nothing of models or search."""
