"""The commands a student runs too: local and requirements."""
