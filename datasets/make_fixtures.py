#!/usr/bin/env python3
"""Writes the tiny dataset fixtures used by Tests/FoedusDataTests.

Plain Python (struct + gzip), no numpy. Deterministic: rerunning it rewrites identical
files (gzip headers carry mtime 0 and no file name). The byte formulas below are repeated in
the Swift tests as their oracle, so change both together.

Usage: python3 datasets/make_fixtures.py [OUTPUT_DIR]
(default: Tests/FoedusDataTests/Fixtures next to this script's parent)
"""
import gzip
import os
import struct
import sys

IDX_UBYTE = 0x08
IDX_FLOAT32 = 0x0D


def idx(dims, payload, element_type=IDX_UBYTE):
    """An IDX file: 00 00 <type> <rank>, big-endian uint32 extents, then the payload."""
    header = bytes([0, 0, element_type, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    return header + bytes(payload)


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


# Tiny MNIST-like set: 7 images of 5 rows x 4 columns.
TINY_COUNT, TINY_ROWS, TINY_COLS = 7, 5, 4
TINY_LABELS = [3, 1, 4, 1, 5, 9, 2]


def tiny_pixel(n, r, c):
    return (n * 37 + r * 11 + c * 3 + 5) % 256


def tiny_images():
    return idx([TINY_COUNT, TINY_ROWS, TINY_COLS],
               [tiny_pixel(n, r, c) for n in range(TINY_COUNT) for r in range(TINY_ROWS) for c in range(TINY_COLS)])


def tiny_labels(labels=TINY_LABELS):
    return idx([len(labels)], labels)


# EMNIST-letters-like set: images stored transposed, 3 stored rows x 2 stored columns, labels 1...26.
def emnist_pixel(n, i, j):
    """Byte at stored position (row i, column j) of image n."""
    return n * 50 + i * 2 + j + 1


def emnist_images(count):
    return idx([count, 3, 2], [emnist_pixel(n, i, j) for n in range(count) for i in range(3) for j in range(2)])


# CIFAR-style records: 1 label byte + 3072 image bytes.
CIFAR_LABELS = [7, 0, 9]


def cifar_pixel(k, i):
    return (k * 101 + i) % 251


def cifar_records(labels):
    out = bytearray()
    for k, label in enumerate(labels):
        out.append(label)
        out.extend(cifar_pixel(k, i) for i in range(3072))
    return bytes(out)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "Tests", "FoedusDataTests", "Fixtures")
    os.makedirs(out_dir, exist_ok=True)

    images = tiny_images()
    labels = tiny_labels()
    compressed_images = gz(images)
    compressed_labels = gz(labels)
    corrupt_deflate = bytearray(compressed_labels)
    corrupt_deflate[10] = 0xFF  # first deflate byte: block type 3, which does not exist
    bad_crc = bytearray(compressed_labels)
    bad_crc[-8] ^= 0xFF  # CRC-32 field of the trailer

    files = {
        # Valid files.
        "tiny-images-idx3-ubyte": images,
        "tiny-labels-idx1-ubyte": labels,
        "tiny-images-idx3-ubyte.gz": compressed_images,
        "tiny-labels-idx1-ubyte.gz": compressed_labels,
        "tiny-labels-two-members.gz": gz(labels[:5]) + gz(labels[5:]),
        "emnist-letters-train-images-idx3-ubyte.gz": gz(emnist_images(4)),
        "emnist-letters-train-labels-idx1-ubyte.gz": gz(tiny_labels([1, 26, 13, 2])),
        "cifar-tiny.bin": cifar_records(CIFAR_LABELS),
        # Broken IDX files.
        "bad-magic-idx": bytes([0x12, 0x34]) + images[2:],
        "float-elements-idx": idx([2], struct.pack(">2f", 1.0, 2.0), element_type=IDX_FLOAT32),
        "rank-zero-idx": bytes([0, 0, IDX_UBYTE, 0]),
        "truncated-header-idx": images[:6],
        "truncated-images-idx3-ubyte": images[:-3],
        "trailing-images-idx3-ubyte": images + b"\x00\x00",
        "count-mismatch-labels-idx1-ubyte": tiny_labels(TINY_LABELS[:6]),
        "label-range-labels-idx1-ubyte": tiny_labels([3, 1, 4, 1, 10, 9, 2]),
        "emnist-letters-test-images-idx3-ubyte.gz": gz(emnist_images(2)),
        "emnist-letters-test-labels-idx1-ubyte.gz": gz(tiny_labels([5, 0])),
        # Broken gzip files.
        "corrupt-deflate.gz": bytes(corrupt_deflate),
        "bad-crc.gz": bytes(bad_crc),
        "truncated.gz": compressed_images[: len(compressed_images) // 2],
        "trailing-garbage.gz": compressed_labels + b"junk",
        # Broken CIFAR files.
        "cifar-partial.bin": cifar_records(CIFAR_LABELS[:2]) + cifar_records([4])[:100],
        "cifar-bad-label.bin": cifar_records([7, 10, 9]),
        "empty.bin": b"",
    }
    for name, data in sorted(files.items()):
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
