"""Analysis helpers for the research notebooks (pandas, matplotlib, networkx come with the
``analysis`` extra)."""
