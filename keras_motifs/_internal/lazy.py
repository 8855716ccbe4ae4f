"""Names of a package imported on first use (PEP 562).

`import keras_motifs` and the command line's `--help` then start neither
Keras nor TensorFlow; each public name is imported from its module the
first time it is used.
"""

from __future__ import annotations

import importlib


def lazy_names(package: str, modules: dict):
    """The `__getattr__` and `__dir__` of `package`, importing `modules`'
    names on first use.

    Args:
        package: The package's dotted name, for the error message.
        modules: `{name: dotted module that defines it}`.

    Returns:
        `(__getattr__, __dir__)` to assign in the package's `__init__.py`.

    Example:

    >>> __getattr__, __dir__ = lazy_names("keras_motifs", {"MotifSet": "keras_motifs.motifs"})
    >>> __getattr__("MotifSet").__name__
    'MotifSet'
    """
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str):
        if name in modules:
            value = getattr(importlib.import_module(modules[name]), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(namespace) | set(modules))

    return __getattr__, __dir__
