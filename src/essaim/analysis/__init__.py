"""Comparative analysis over essaim data: canned-query results as pandas DataFrames, the
partnership network as a networkx graph, the plots the notebooks share, the statement of the
data an analysis ran on, and crisp-set Qualitative Comparative Analysis (``qca``, standard library
only).

Needs the ``analysis`` extra (``pip install 'essaim[analysis]'``: pandas, matplotlib, Jupyter).
Kept light: each module is imported by name (``from essaim.analysis import frames``), so that
importing this package loads none of them.
"""
