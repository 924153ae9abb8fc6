"""solgen: worked, verified solutions for a machine-learning assignment."""

__version__ = "0.1.0"
