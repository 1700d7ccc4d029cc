"""What the node shows people: page routes, templates and static files, the canned-query API
and pages, the SPARQL editor, pictures, search pages and the fr/en catalogue."""
