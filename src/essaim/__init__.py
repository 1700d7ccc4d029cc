"""essaim: a linked-data knowledge base on social innovation in the social and solidarity
economy."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("essaim")
except PackageNotFoundError:  # running from a checkout without an install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
