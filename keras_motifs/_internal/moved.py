"""Old module names that still import, with a `DeprecationWarning`.

Modules renamed so that no two share a confusing name stay importable by
their old names for a while: `import keras_motifs.benchmark` gives the
module `keras_motifs.analysis.motif_recovery`, and says so once.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings


class MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """A finder that answers old module names with the renamed modules.

    Args:
        moved: `{old dotted name: new dotted name}`.
        release: The release that removes the old names (for the warning).

    Example:

    >>> MovedModules({"keras_motifs.null": "keras_motifs.matching.match_calibration"},
    ...              "0.3").install()
    """

    def __init__(self, moved: dict, release: str):
        self.moved = dict(moved)
        self.release = release

    def install(self) -> None:
        """Puts the finder on `sys.meta_path` (once)."""
        if not any(isinstance(finder, MovedModules) and finder.moved == self.moved
                   for finder in sys.meta_path):
            sys.meta_path.append(self)

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.moved:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        new = self.moved[spec.name]
        warnings.warn(
            f"{spec.name} is now {new}; the old name goes in keras-motifs "
            f"{self.release}. Import {new} instead.",
            DeprecationWarning, stacklevel=2)
        return importlib.import_module(new)

    def exec_module(self, module) -> None:
        """Nothing to run: `create_module` gave the renamed module."""
