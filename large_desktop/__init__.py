"""large-desktop: sort a photo library by attributes taught from a few examples."""

__version__ = "0.1.0"
