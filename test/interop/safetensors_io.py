#!/usr/bin/env python3
"""An independent safetensors reader and writer (numpy only), to check cuoptim's files against the
format as huggingface/safetensors specifies it:

    [u64 little-endian N][N bytes: JSON header][data]
    header: {name: {"dtype": ..., "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {str: str}}

  read PATH        prints {"metadata": {...}, "tensors": {name: {"dtype", "shape", "b64"}}, "library": bool}
                   parsed by hand; when the safetensors package is importable its numpy loader must
                   agree ("library": true says it was used).
  write PATH       reads {name: {"dtype": "F32"|"U8", "shape", "b64"}} on stdin and writes them, with
                   __metadata__ {"format": "np"}, in reverse name order (any order is valid).
"""
import base64
import json
import struct
import sys

import numpy as np

# numpy has no bfloat16: BF16 tensors are read as their raw 16-bit patterns.
DTYPES = {"F32": "<f4", "U8": "u1", "F64": "<f8", "F16": "<f2", "BF16": "<u2", "I32": "<i4", "I64": "<i8"}


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]
    metadata = header.pop("__metadata__", {})
    out = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        arr = np.frombuffer(data[begin:end], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
        out[name] = {"dtype": e["dtype"], "shape": list(arr.shape), "b64": base64.b64encode(arr.tobytes()).decode()}
    library = False
    try:
        from safetensors.numpy import load_file
    except ImportError:
        pass
    else:
        library = True
        for name, arr in load_file(path).items():
            if header[name]["dtype"] == "BF16":
                arr = arr.view(np.uint16)
            assert base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode() == out[name]["b64"], name
    return {"metadata": metadata, "tensors": out, "library": library}


def write(path, spec):
    header, chunks, offset = {"__metadata__": {"format": "np"}}, [], 0
    for name in sorted(spec, reverse=True):
        e = spec[name]
        raw = base64.b64decode(e["b64"])
        arr = np.frombuffer(raw, dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
        header[name] = {"dtype": e["dtype"], "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    h = json.dumps(header).encode("utf-8")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))


if __name__ == "__main__":
    if sys.argv[1] == "read":
        json.dump(read(sys.argv[2]), sys.stdout)
    else:
        write(sys.argv[2], json.load(sys.stdin))
