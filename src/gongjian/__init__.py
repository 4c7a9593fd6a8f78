"""gongjian: command platform for environmental remediation campaigns (整治攻坚)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gongjian")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
