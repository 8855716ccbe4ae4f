"""Which files of the package one default `extract()` runs code in.

A newcomer reading `Conv1DInterpreter(model).extract(x)` follows the files
this script lists. It builds a small Conv1D -> global max pool -> Dense
model, extracts once to import everything, then traces a second default
extract (site rule `"null:0.01"`, the engine `"auto"` picks) with
`sys.setprofile` and prints each package file whose functions ran (module
bodies, run by imports, are not counted), with the functions, in the order
first entered.

    python benchmarks/extract_path.py [--engine keras]
"""

from __future__ import annotations

import argparse
import os
import sys

import keras
import numpy as np

import keras_motifs
from keras_motifs import Conv1DInterpreter


def traced_files(model, x, **options) -> dict:
    """`{file: [functions]}` of the package files an extract runs, in the
    order first entered."""
    root = os.path.dirname(keras_motifs.__file__)
    files: dict = {}

    def profile(frame, event, arg):
        code = frame.f_code
        if event == "call" and code.co_filename.startswith(root) \
                and code.co_name != "<module>":
            names = files.setdefault(os.path.relpath(code.co_filename, root), [])
            if code.co_name not in names:
                names.append(code.co_name)

    sys.setprofile(profile)
    try:
        Conv1DInterpreter(model).extract(x, verbose=False, **options)
    finally:
        sys.setprofile(None)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="auto",
                        choices=("auto", "keras", "onehot"))
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    x = np.eye(4, dtype="float32")[rng.integers(0, 4, (200, 100))]
    inputs = keras.Input((100, 4))
    hidden = keras.layers.Conv1D(8, 9, activation="relu")(inputs)
    outputs = keras.layers.Dense(1)(keras.layers.GlobalMaxPooling1D()(hidden))
    model = keras.Model(inputs, outputs)
    Conv1DInterpreter(model).extract(x[:20], verbose=False, engine=args.engine)

    files = traced_files(model, x, engine=args.engine)
    print(f"extract(x, engine={args.engine!r}) on {len(x)} x 100 bp: "
          f"code runs in {len(files)} package files")
    for path, names in files.items():
        shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
        print(f"  {path:32s} {shown}")


if __name__ == "__main__":
    main()
