"""The web layer: ``essaim serve``. ``app`` builds the application; ``protocols/`` holds what
programs speak (SPARQL Protocol, Graph Store Protocol, descriptions, formats), ``pages/`` what
people read (routes, templates, canned-query API, editor, pictures, search). Query execution
lives outside, in :mod:`essaim.execution`, since the command line uses it too."""
