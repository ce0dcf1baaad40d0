"""The archival form of a deployable .tflite: the file entropy-coded by the best of the standard
library's general-purpose coders (what is stored or sent; a loader decodes it back to the identical
.tflite before LiteRT opens it). Standard containers, so `xz -d`, `gunzip` or `bunzip2` restore it too.
"""
from __future__ import annotations

import bz2
import gzip
import lzma

CODECS = {
    "xz": (lambda data: lzma.compress(data, preset=9 | lzma.PRESET_EXTREME), lzma.decompress),
    "gz": (lambda data: gzip.compress(data, compresslevel=9, mtime=0), gzip.decompress),
    "bz2": (lambda data: bz2.compress(data, compresslevel=9), bz2.decompress),
}


def encode(flatbuffer: bytes) -> tuple[str, bytes]:
    """(codec, archive): the smallest of the codecs; ties go to the first in CODECS."""
    encoded = {name: code(flatbuffer) for name, (code, _) in CODECS.items()}
    best = min(encoded, key=lambda name: (len(encoded[name]), list(CODECS).index(name)))
    return best, encoded[best]


def decode(codec: str, archive: bytes) -> bytes:
    if codec not in CODECS:
        raise ValueError(f"unknown archive codec {codec!r}; expected one of {sorted(CODECS)}")
    return CODECS[codec][1](archive)
