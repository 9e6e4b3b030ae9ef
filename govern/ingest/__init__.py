"""Data in: record files, the object store, immutable snapshots, datasets and derived snapshots."""
