"""docs/architecture.md's folder map names every module of the package, and
no module that is gone; `_internal` imports no public module."""

import ast
import importlib
import pathlib
import re
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "keras_motifs"


def mapped_modules() -> set:
    """The `.py` files of the folder map, as paths under keras_motifs/: an
    entry indented 4 belongs to the folder line (`name/`) indented 2 above
    it; an entry indented 2 may name its folder itself (`cli/main.py`)."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    block = text.split("## Folder map", 1)[1].split("```", 2)[1]
    modules, folder = set(), ""
    for line in block.splitlines():
        match = re.match(r"^( *)(\S+)", line)
        if not match or match.group(2) == "keras_motifs/":
            continue
        indent, name = len(match.group(1)), match.group(2)
        if indent == 2:
            folder = name if name.endswith("/") else ""
            if name.endswith(".py"):
                modules.add(name)
        elif indent == 4 and name.endswith(".py") and folder:
            modules.add(folder + name)
    return modules


def package_modules() -> set:
    return {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py" or path.parent == PACKAGE
    }


def test_the_folder_map_names_every_module_and_no_other():
    mapped, actual = mapped_modules(), package_modules()
    assert not actual - mapped, f"modules missing from the map: {sorted(actual - mapped)}"
    assert not mapped - actual, f"modules in the map that are gone: {sorted(mapped - actual)}"


def test_internal_imports_no_public_module():
    public = []
    for path in (PACKAGE / "_internal").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            public += [f"{path.name}: {name}" for name in names
                       if name.startswith("keras_motifs")
                       and not name.startswith("keras_motifs._internal")]
    assert not public, public


def test_old_module_names_import_the_renamed_modules_with_a_warning():
    for old, new in (("keras_motifs.null", "keras_motifs.match_calibration"),
                     ("keras_motifs.meme", "keras_motifs.formats.meme"),
                     ("keras_motifs.jaspar", "keras_motifs.motif_database"),
                     ("keras_motifs.benchmark", "keras_motifs.motif_recovery")):
        sys.modules.pop(old, None)
        with pytest.warns(DeprecationWarning, match=f"{old} is now {new}"):
            module = importlib.import_module(old)
        assert module is importlib.import_module(new)
        sys.modules.pop(old, None)
