"""The standard protocols the node speaks to programs: the SPARQL 1.1 Protocol, the Graph Store
Protocol, the service and dataset descriptions, and the result formats and their negotiation."""
