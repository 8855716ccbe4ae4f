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


def test_old_module_names_import_the_moved_modules_with_a_warning():
    import keras_motifs
    from keras_motifs._internal.moved import MovedModules

    def forget(old):
        sys.modules.pop(old, None)
        vars(keras_motifs).pop(old.rsplit(".", 1)[1], None)

    moved = next(finder.moved for finder in sys.meta_path
                 if isinstance(finder, MovedModules))
    assert len(moved) == 16
    for old, new in sorted(moved.items()):
        assert not (PACKAGE / (old.split(".", 1)[1] + ".py")).exists(), old
        forget(old)
        with pytest.warns(DeprecationWarning, match=f"{old} is now {new}"):
            module = importlib.import_module(old)
        assert module is importlib.import_module(new)
        forget(old)
    # `from keras_motifs import compare` too, as 0.1 scripts wrote it.
    with pytest.warns(DeprecationWarning, match="keras_motifs.matching.compare"):
        from keras_motifs import compare
    assert compare.tomtom is importlib.import_module("keras_motifs.matching.compare").tomtom
    forget("keras_motifs.compare")


def test_grouped_packages_give_the_names_the_readme_names():
    from keras_motifs import data, models
    from keras_motifs.data import genome, intervals
    from keras_motifs.models import initializers

    assert data.GenomeIntervals is genome.GenomeIntervals
    assert data.Interval is intervals.Interval
    assert data.read_intervals is intervals.read_intervals
    assert models.MotifInitializer is initializers.MotifInitializer
    assert models.MotifBiasInitializer is initializers.MotifBiasInitializer
    assert models.MotifPlacement is initializers.MotifPlacement


# Modules whose names are all the package's own machinery: the command line
# (its entry point is `keras-motifs`) and the internals.
WITHOUT_PUBLIC_NAMES = ("cli/", "_internal/")


def test_every_public_module_lists_its_public_names():
    """`__all__` in every public module, naming what it defines."""
    missing, unknown = [], []
    for module in sorted(package_modules()):
        if module.startswith(WITHOUT_PUBLIC_NAMES) or module.endswith("__main__.py") \
                or module.rsplit("/", 1)[-1].startswith("_") and not module.endswith("__init__.py"):
            continue
        tree = ast.parse((PACKAGE / module).read_text())
        listed = [node for node in tree.body
                  if isinstance(node, (ast.Assign, ast.AnnAssign))
                  and "__all__" in [getattr(target, "id", None) for target in (
                      node.targets if isinstance(node, ast.Assign) else [node.target])]]
        if not listed:
            missing.append(module)
            continue
        if module.endswith("__init__.py"):
            continue  # re-exports, lazily (keras_motifs/__init__.py)
        names = ast.literal_eval(listed[0].value)
        defined = {node.name for node in tree.body
                   if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        defined |= {target.id for node in tree.body if isinstance(node, ast.Assign)
                    for target in node.targets if isinstance(target, ast.Name)}
        defined |= {alias.asname or alias.name for node in tree.body
                    if isinstance(node, ast.ImportFrom) for alias in node.names}
        unknown += [f"{module}: {name}" for name in names if name not in defined]
    assert not missing, f"public modules without __all__: {missing}"
    assert not unknown, f"__all__ names nothing defined there: {unknown}"
