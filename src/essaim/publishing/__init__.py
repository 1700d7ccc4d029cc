"""Publishing without RDF skills: the CSV template (CSV on the Web metadata), the SEA/ESSGlobal
standard CSV, both read into essaim and written out of it.

- :mod:`.cells`: reading CSV bytes safely (UTF-8, hostile cells refused) and writing cells a
  spreadsheet never runs.
- :mod:`.problems`: what is wrong, where (file, row, column) and what to fix, in French and
  English.
- :mod:`.template`: the tables of the template, their columns, and their CSVW metadata.
- :mod:`.convert`: the template's tables to essaim RDF.
- :mod:`.essglobal`: the SEA standard CSV to essaim RDF, and essaim to ESSGlobal RDF and CSV.
- :mod:`.importer`: ``essaim import-csv``: convert, validate, load all-or-nothing.
"""
