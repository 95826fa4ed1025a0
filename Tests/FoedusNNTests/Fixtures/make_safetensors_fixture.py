#!/usr/bin/env python3
"""Writes independent.safetensors: a safetensors file produced without Foedus, torch or the
safetensors package, as a third-party writer would lay it out.

Independence from the Swift writer: keys are sorted alphabetically (json sort_keys), the JSON
uses Python's default separators and \\u escapes for non-ASCII text, "__metadata__" is not
first, and the data are laid out in an order unrelated to the key order, with an F64 tensor at
an offset that is not a multiple of 8. Values follow simple formulas that the Swift test
(SafeTensorsFixtureTests.swift) hard-codes independently.

Run from anywhere: python3 make_safetensors_fixture.py
"""
import json
import os
import struct


def pack(fmt, values):
    return b"".join(struct.pack("<" + fmt, v) for v in values)


# name -> (dtype, shape, little-endian bytes), in buffer order (not key order).
tensors = [
    ("Count.i32", "I32", [2, 2, 2], pack("i", [i * 7 - 20 for i in range(8)])),
    ("weight.f32", "F32", [2, 3], pack("f", [i * 0.5 - 3 for i in range(6)])),
    ("\u00fcn\u00efcode/\u540d\u524d", "F32", [1], pack("f", [42.0])),
    ("empty.f32", "F32", [0, 4], b""),
    # Starts at byte 60: an F64 tensor that is not 8-byte aligned in the buffer.
    ("bias.f64", "F64", [3], pack("d", [i * 0.25 + 1 for i in range(3)])),
    ("scalar.f64", "F64", [], pack("d", [-1.0 / 3.0])),
    # Bit patterns: -0.0, +inf, -inf, smallest denormal, quiet NaN.
    ("special.f32", "F32", [5], pack("I", [0x80000000, 0x7F800000, 0xFF800000, 0x00000001, 0x7FC00000])),
]

header = {
    "__metadata__": {
        "format": "pt",
        "producer": "make_safetensors_fixture.py",
        "note": 'quote " backslash \\ newline \n tab \t e-acute \u00e9',
    }
}
buffer = b""
for name, dtype, shape, data in tensors:
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(buffer), len(buffer) + len(data)]}
    buffer += data

text = json.dumps(header, sort_keys=True).encode("utf-8")
text += b" " * (-(8 + len(text)) % 8)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "independent.safetensors")
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    f.write(buffer)
print(f"wrote {path}: header {len(text)} bytes, buffer {len(buffer)} bytes")
