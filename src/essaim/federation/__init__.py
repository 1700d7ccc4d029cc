"""essaim as one node of a network of territory nodes."""
