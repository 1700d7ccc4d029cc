"""Maps drawn on the server: the world atlas's country outlines (``world``) and a territory's
located initiatives and actors over them (``svg``)."""
