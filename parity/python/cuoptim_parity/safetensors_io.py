"""The safetensors format, written and read with numpy alone (huggingface/safetensors' layout):

  [u64 little-endian N][N bytes of JSON header, space-padded][data]
  header = {"<name>": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}

Files are readable by the stock `safetensors` package. Tensors are written in name order, so the
same tensors and metadata give the same bytes. Writes are atomic: a temporary file in the same
directory, fsynced, then renamed over the path.
"""
import json
import os
import struct
import tempfile

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "BF16": np.dtype("<u2"), "F16": np.dtype("<u2"), "U8": np.dtype("u1")}


def write(path, tensors, metadata):
    """tensors: {name: (dtype tag, shape, numpy array of DTYPES[tag])}; metadata: {str: str}."""
    header = {"__metadata__": dict(sorted(metadata.items()))}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        tag, shape, array = tensors[name]
        data = np.ascontiguousarray(array, dtype=DTYPES[tag]).tobytes()
        header[name] = {"dtype": tag, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    directory = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix=".cuoptim-parity-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for c in chunks:
                f.write(c)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def read(path):
    """{name: (dtype tag, shape, numpy array)}, metadata."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: not a safetensors file ({len(blob)} bytes)")
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        raise ValueError(f"{path}: the header runs past the end of the file (truncated?)")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = blob[8 + n:]
    out = {}
    for name, e in header.items():
        if e["dtype"] not in DTYPES:
            raise ValueError(f"{path}: tensor {name}: dtype {e['dtype']} (expected F32, BF16, F16 or U8)")
        begin, end = e["data_offsets"]
        out[name] = (e["dtype"], e["shape"], np.frombuffer(data[begin:end], dtype=DTYPES[e["dtype"]]).copy())
    return out, metadata
