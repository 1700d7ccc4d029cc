"""Case documents in: templates as data, reading files, sectioning, extracting what a template
states plainly, and the RDF of the case document (``essaim ingest``).

Modules: ``templates`` (the TOML templates under kb/templates/), ``headings`` (normalised heading
keys and heading-like lines), ``sections`` (a text cut into sections), ``readers`` (plain text,
Markdown, .docx), ``extract`` (facts a template states), ``rdf`` (the case graph), ``ingester``
(the whole pipeline behind the CLI, the API and the upload form).
"""
