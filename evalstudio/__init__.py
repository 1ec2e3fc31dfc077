"""EvalStudio: AI-assisted evaluation with ground truth to measure whether the help helps."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("evalstudio")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
