"""Keras 3 layers for a Keras 0.x/1 graph, with their weights re-laid out."""

from __future__ import annotations

import os
import warnings

import numpy as np

from keras_motifs.legacy.configs import (
    LegacyGraph,
    Unsupported,
    activation_name,
    config_value,
    normalise_layer,
    padding_name,
)
from keras_motifs.legacy.weights import (
    HARD_SIGMOID_SCALE,
    conv1d_kernel,
    flip,
    gru_weights,
    lstm_weights,
    major_version,
)

__all__ = ["build_legacy"]


class _Builder:
    """Makes Keras 3 layers for a `LegacyGraph` and fills in their weights."""

    def __init__(self, graph, weights, kernel_order, keras_version, custom_objects):
        self.graph = graph
        self.weights = weights
        self.kernel_order = kernel_order
        self.std_batchnorm = major_version(keras_version) == 0 or (
            weights is not None and weights.layout == "keras0")
        self.custom_objects = custom_objects or {}
        self.cursor = {}
        self.onehot_th = self._onehot_th_inputs()

    # Keras 0.x/1 one-hot images: (1, 4, L) "th" inputs read by a Conv2D
    # spanning the four rows, i.e. a Conv1D on (L, 4).
    def _onehot_th_inputs(self):
        consumers = {}
        for name, nodes in self.graph.order:
            for node in nodes:
                for ref in node:
                    consumers.setdefault(ref[0], []).append(name)
        found = set()
        for name, (cls, config) in self.graph.layers.items():
            if cls != "InputLayer" or tuple(config["shape"])[:2] != (1, 4) or (
                    len(config["shape"]) != 3):
                continue
            users = consumers.get(name, [])
            if users and all(self._spans_rows(u) for u in users):
                found.add(name)
        return found

    def _spans_rows(self, name):
        cls, config = self.graph.layers[name]
        return (cls in ("Convolution2D", "Conv2D")
                and config_value(config, "dim_ordering", "data_format") in ("th", "channels_first")
                and config_value(config, "nb_row", default=(config.get("kernel_size") or [0])[0]) == 4)

    def take(self, name, count):
        """The next `count` stored arrays (and names) of a layer."""
        if count == 0:
            return [], []
        if self.weights is None:
            raise ValueError("no weights")
        kind, key = self.graph.weight_keys[name]
        if kind == "index":
            key = f"layer_{key}"
        if key not in self.weights.layers:
            raise ValueError(
                f"Expected weights for layer {name!r} in the weights file "
                f"(group {key!r}); it has {list(self.weights.layers)[:12]}"
            )
        start = self.cursor.get(key, 0)
        arrays = self.weights.layers[key][start:start + count]
        names = self.weights.names[key][start:start + count]
        if len(arrays) != count:
            raise ValueError(
                f"Expected {count} weight arrays for layer {name!r} in group "
                f"{key!r}; it holds {len(self.weights.layers[key]) - start}"
            )
        self.cursor[key] = start + count
        return arrays, names

    def make(self, name, input_shapes):
        """(call(tensors) -> tensor, set_weights()) for one legacy layer."""
        import keras
        from keras import layers as L

        cls, c = self.graph.layers[name]

        def plain(layer, convert=None, count=0):
            def set_weights():
                arrays, names = self.take(name, count)
                if count:
                    layer.set_weights(convert(arrays, names))
            return (lambda xs: layer(xs[0] if len(xs) == 1 else xs)), set_weights

        bias = bool(c.get("bias", c.get("use_bias", True)))
        if cls == "InputLayer":
            shape = tuple(c["shape"])
            if name in self.onehot_th:
                shape = (shape[2], 4)
            tensor = keras.Input(shape=shape, dtype=c.get("dtype") or "float32", name=name)
            return (lambda xs: tensor), (lambda: None)
        if cls in ("Convolution1D", "AtrousConvolution1D", "Conv1D"):
            act = activation_name(c)
            filters = config_value(c, "nb_filter", "filters")
            layer = L.Conv1D(
                filters, config_value(c, "filter_length", "kernel_size"),
                strides=config_value(c, "subsample_length", "strides", default=1),
                padding=padding_name(c), dilation_rate=config_value(c, "atrous_rate", default=1),
                activation=act, use_bias=bias, name=name)

            def conv(arrays, names):
                kernel = conv1d_kernel(arrays[0], kernel_order=self.kernel_order,
                                       filters=filters)
                return hard_sigmoid_scaled([kernel] + arrays[1:], act)
            return plain(layer, conv, 1 + bias)
        if cls in ("Convolution2D", "Conv2D"):
            return self._conv2d(name, c, bias, input_shapes)
        if cls == "Dense":
            act = activation_name(c)
            layer = L.Dense(config_value(c, "output_dim", "units"), activation=act,
                            use_bias=bias, name=name)
            return plain(layer, lambda a, n: hard_sigmoid_scaled(a, act), 1 + bias)
        if cls == "Activation":
            act = activation_name(c)
            if act == "hard_sigmoid":
                scale = L.Rescaling(float(HARD_SIGMOID_SCALE), name=f"{name}_slope")
                layer = L.Activation(act, name=name)
                return (lambda xs: layer(scale(xs[0]))), (lambda: None)
            return plain(L.Activation(act, name=name))
        if cls == "Dropout":
            return plain(L.Dropout(float(config_value(c, "p", "rate", default=0.0)), name=name))
        if cls == "SpatialDropout1D":
            return plain(L.SpatialDropout1D(float(config_value(c, "p", "rate", default=0.0)), name=name))
        if cls == "Flatten":
            return plain(L.Flatten(data_format="channels_last", name=name))
        if cls in ("MaxPooling1D", "AveragePooling1D"):
            size = config_value(c, "pool_length", "pool_size", default=2)
            size = size[0] if isinstance(size, (list, tuple)) else size
            stride = config_value(c, "stride", "strides", default=size)
            stride = stride[0] if isinstance(stride, (list, tuple)) else stride
            kind = L.MaxPooling1D if cls == "MaxPooling1D" else L.AveragePooling1D
            return plain(kind(size, stride, padding=padding_name(c), name=name))
        if cls in ("MaxPooling2D", "AveragePooling2D"):
            size = tuple(config_value(c, "pool_size", default=(2, 2)))
            stride = tuple(config_value(c, "strides", default=size))
            kind = L.MaxPooling2D if cls == "MaxPooling2D" else L.AveragePooling2D
            return plain(kind(size, stride, padding=padding_name(c),
                              data_format=_data_format(c), name=name))
        if cls in ("GlobalMaxPooling1D", "GlobalAveragePooling1D"):
            return plain(getattr(L, cls)(name=name))
        if cls == "ZeroPadding1D":
            return plain(L.ZeroPadding1D(c.get("padding", 1), name=name))
        if cls == "Reshape":
            return plain(L.Reshape(tuple(c["target_shape"]), name=name))
        if cls == "Permute":
            return plain(L.Permute(tuple(c["dims"]), name=name))
        if cls == "Embedding":
            layer = L.Embedding(c["input_dim"], c["output_dim"], name=name)
            return plain(layer, lambda a, n: a, 1)
        if cls == "BatchNormalization":
            return self._batchnorm(name, c)
        if cls in ("LSTM", "GRU"):
            layer, convert, count = self._recurrent(cls, c, name)
            return plain(layer, convert, count)
        if cls == "Bidirectional":
            icls, ic = normalise_layer(c["layer"])
            if icls not in ("LSTM", "GRU"):
                raise Unsupported(f"Bidirectional({icls})")
            inner, convert, count = self._recurrent(icls, ic, ic.get("name", "rnn"))
            mode = c.get("merge_mode", "concat")
            if mode not in ("concat", "sum", "mul", "ave"):
                raise Unsupported(f"Bidirectional merge_mode {mode!r}")
            layer = L.Bidirectional(inner, merge_mode=mode, name=name)

            def both(arrays, names):
                return (convert(arrays[:count], names[:count])
                        + convert(arrays[count:], names[count:]))
            return plain(layer, both, 2 * count)
        if cls == "TimeDistributed":
            icls, ic = normalise_layer(c["layer"])
            if icls != "Dense":
                raise Unsupported(f"TimeDistributed({icls})")
            ibias = bool(ic.get("bias", ic.get("use_bias", True)))
            act = activation_name(ic)
            inner = L.Dense(config_value(ic, "output_dim", "units"), activation=act,
                            use_bias=ibias, name=ic.get("name") or f"{name}_dense")
            layer = L.TimeDistributed(inner, name=name)
            return plain(layer, lambda a, n: hard_sigmoid_scaled(a, act), 1 + ibias)
        if cls == "Merge":
            mode = c.get("mode", "sum")
            kinds = {"sum": L.Add, "mul": L.Multiply, "ave": L.Average,
                     "max": L.Maximum}
            if mode == "concat":
                layer = L.Concatenate(axis=c.get("concat_axis", -1), name=name)
            elif mode in kinds:
                layer = kinds[mode](name=name)
            else:
                raise Unsupported(f"Merge mode {mode!r}")
            return (lambda xs: layer(list(xs))), (lambda: None)
        if cls in self.custom_objects:
            layer = self.custom_objects[cls].from_config(c)
            count = len(self.weights.layers.get(name, [])) if self.weights else 0
            return plain(layer, lambda a, n: a, count)
        raise Unsupported(f"class {cls!r}")

    def _conv2d(self, name, c, bias, input_shapes):
        from keras import layers as L

        act = activation_name(c)
        filters = config_value(c, "nb_filter", "filters")
        rows = config_value(c, "nb_row", default=(c.get("kernel_size") or [None])[0])
        cols = config_value(c, "nb_col", default=(c.get("kernel_size") or [None, None])[1])
        strides = tuple(config_value(c, "subsample", "strides", default=(1, 1)))
        th = _data_format(c) == "channels_first"
        source = self._source_input(name)
        if source in self.onehot_th:
            # A first-layer Conv2D spanning all four rows of a (1, 4, L)
            # image is the Conv1D on (L, 4) it stands for.
            conv = L.Conv1D(filters, cols, strides=strides[1], padding=padding_name(c),
                            activation=act, use_bias=bias, name=name)
            back = L.Permute((2, 1), name=f"{name}_channels_first")
            image = L.Reshape((filters, 1, -1), name=f"{name}_as_image")

            def convert(arrays, names):
                kernel = _th_kernel(arrays[0], th, self.kernel_order)  # (r, c, in, f)
                kernel = np.transpose(kernel[:, :, 0, :], (1, 0, 2))     # (c, r=4, f)
                return hard_sigmoid_scaled([kernel] + arrays[1:], act)

            def call(xs):
                return image(back(conv(xs[0])))

            def set_weights():
                arrays, names = self.take(name, 1 + bias)
                conv.set_weights(convert(arrays, names))
            return call, set_weights
        layer = L.Conv2D(filters, (rows, cols), strides=strides, padding=padding_name(c),
                         data_format=_data_format(c), activation=act,
                         use_bias=bias, name=name)

        def set_weights():
            arrays, names = self.take(name, 1 + bias)
            kernel = _th_kernel(arrays[0], th, self.kernel_order)
            layer.set_weights(hard_sigmoid_scaled([kernel] + arrays[1:], act))
        return (lambda xs: layer(xs[0])), set_weights

    def _source_input(self, name):
        for layer, nodes in self.graph.order:
            if layer == name and nodes and len(nodes[0]) == 1:
                return nodes[0][0][0]
        return None

    def _batchnorm(self, name, c):
        from keras import layers as L

        mode = c.get("mode", 0)
        if mode != 0:
            raise Unsupported(f"BatchNormalization mode {mode}")
        epsilon = float(c.get("epsilon", 1e-3))
        axis = c.get("axis", -1)
        layer = L.BatchNormalization(axis=axis, momentum=float(c.get("momentum", 0.99)),
                                     epsilon=0.0 if self.std_batchnorm else epsilon,
                                     name=name)

        def convert(arrays, names):
            gamma, beta, mean, spread = [np.asarray(a, "float32") for a in arrays]
            if self.std_batchnorm:
                # Keras 0.x: (x - mean) / (std + epsilon).
                spread = np.square(spread + np.float32(epsilon))
            # Keras 1.1+ stored the variance under the name running_std.
            return [gamma, beta, mean, spread]

        def set_weights():
            arrays, names = self.take(name, 4)
            layer.set_weights(convert(arrays, names))
        return (lambda xs: layer(xs[0])), set_weights

    def _recurrent(self, cls, c, name):
        from keras import layers as L

        if c.get("stateful"):
            raise Unsupported(f"stateful {cls}")
        units = config_value(c, "output_dim", "units")
        act = activation_name(c)
        inner = activation_name(c, "inner_activation") if "inner_activation" in c else (
            activation_name(c, "recurrent_activation") if "recurrent_activation" in c
            else "hard_sigmoid")
        common = dict(activation=act, recurrent_activation=inner,
                      return_sequences=bool(c.get("return_sequences", False)),
                      go_backwards=bool(c.get("go_backwards", False)), name=name)
        if cls == "LSTM":
            layer = L.LSTM(units, **common)
            return layer, (lambda a, n: lstm_weights(a, names=n, recurrent_activation=inner)), 12
        layer = L.GRU(units, reset_after=False, **common)
        return layer, (lambda a, n: gru_weights(a, n, inner)), 9


def _data_format(c):
    value = config_value(c, "dim_ordering", "data_format", default="th")
    return "channels_first" if value in ("th", "channels_first") else "channels_last"


def _th_kernel(kernel, th, kernel_order):
    """A Keras 0.x/1 Convolution2D kernel as (rows, cols, in, filters)."""
    kernel = np.asarray(kernel)
    if th:
        kernel = np.transpose(kernel, (2, 3, 1, 0))
    if kernel_order == "theano":
        kernel = flip(kernel, (0, 1))
    return np.ascontiguousarray(kernel)


def hard_sigmoid_scaled(arrays, activation):
    if activation != "hard_sigmoid":
        return list(arrays)
    return [np.asarray(a, "float32") * HARD_SIGMOID_SCALE for a in arrays]


def _set_weights(set_weights, name, path):
    """Runs a layer's `set_weights`; a mismatch names the layer and the file."""
    try:
        set_weights()
    except ValueError as error:  # Keras' shape check, or a group missing
        raise ValueError(
            f"The weights of layer {name!r} in {os.fspath(path)} do not fit the "
            f"architecture: {str(error).rstrip('.')}. Are the weights file and the architecture "
            "of the same model (and of the same Keras era)?"
        ) from None


def build_legacy(config, weights, kernel_order, keras_version, partial,
                  custom_objects, path):
    import keras

    graph = LegacyGraph(config)
    builder = _Builder(graph, weights, kernel_order, keras_version, custom_objects)
    tensors = {}      # (layer, node) -> tensor
    made = {}
    calls = {}
    failed = {}       # layer -> reason
    feeding = []      # tensors read by a layer that did not convert
    for name, nodes in graph.order:
        if not nodes:
            nodes = [[]]
        for node in nodes:
            refs = [(ref[0], ref[1]) for ref in node]
            if any(ref not in tensors for ref in refs):
                continue
            inputs = [tensors[ref] for ref in refs]
            try:
                if name not in made:
                    made[name] = builder.make(name, [x.shape for x in inputs])
                    first = True
                else:
                    first = False
                call, set_weights = made[name]
                out = call(inputs)
                if first:
                    _set_weights(set_weights, name, path)
            except Unsupported as error:
                cls = graph.layers[name][0]
                failed[name] = f"{cls}: {error}"
                if not partial:
                    raise ValueError(
                        f"Layer {name!r} of {os.fspath(path)!r} cannot be "
                        f"converted to Keras 3 ({failed[name]}). Pass "
                        "partial=True to load the model up to that layer "
                        "(enough to extract motifs from its first "
                        "convolution). Received: partial=False"
                    ) from None
                feeding.extend(x for x in inputs if all(x is not f for f in feeding))
                made.pop(name, None)
                break
            index = calls.get(name, 0)
            calls[name] = index + 1
            tensors[(name, index)] = out
    inputs = [tensors[(ref[0], ref[1])] for ref in graph.inputs
              if (ref[0], ref[1]) in tensors]
    outputs = [tensors[(ref[0], ref[1])] for ref in graph.outputs
               if (ref[0], ref[1]) in tensors]
    for tensor in feeding:
        if all(tensor is not o for o in outputs) and all(tensor is not i for i in inputs):
            outputs.append(tensor)
    if failed:
        warnings.warn(
            f"Loaded {os.fspath(path)!r} only up to the layers that convert: "
            + "; ".join(f"{k} ({v})" for k, v in failed.items())
            + " and what follows them were left out; the model's outputs are "
            "the tensors those layers read.", stacklevel=3)
    if not outputs:
        raise ValueError(
            f"No layer of {os.fspath(path)!r} could be converted: {failed}")
    name = (config.get("config") or {}).get("name") if isinstance(
        config.get("config"), dict) else None
    return keras.Model(inputs, outputs if len(outputs) > 1 else outputs[0],
                       name=name or "legacy_model")
