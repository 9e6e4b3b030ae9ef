"""The consent registry and erasure of a data subject."""
