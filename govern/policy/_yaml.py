"""The line-aware YAML loader, now `govern.safe_yaml` (kept here for older imports)."""

from govern.safe_yaml import LocatedYaml, PathKey, load_located, plain

__all__ = ["LocatedYaml", "PathKey", "load_located", "plain"]
