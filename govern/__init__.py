"""govern: a data compliance gate for fine-tuning language models.

Heavy dependencies (torch, presidio, opacus) are imported only by the modules that need them,
so `import govern`, the CLI's help and the ledger stay fast.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
