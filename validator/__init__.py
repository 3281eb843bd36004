"""validator: a declarative infrastructure validator."""

__version__ = "0.1.0"
