"""A node among nodes: what it publishes of itself (DCAT catalogue, dumps, JSON-LD context)."""
