"""HTTP API and web page (FastAPI; the only place a web framework is imported)."""
