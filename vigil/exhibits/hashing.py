"""Hashing what is on a device: MD5 and SHA-1 of every file, PDQ of every image.

Pure: no Django. Files are read to be hashed and nothing else: no pixel is kept, only the hashes,
the path and the size. The PDQ hash is pdqhash's 256 bits written as 64 hex digits, the first
bit the most significant (the convention of python-threatexchange's PDQ hasher, so sets made with
it compare).
"""

import hashlib
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image, UnidentifiedImageError

CHUNK = 1 << 20
# PDQ hashes of lower quality are kept but never matched (the PDQ paper's advice).
PDQ_MIN_QUALITY = 50
# PDQ reads the image at 512 pixels or less: a JPEG is decoded straight at about that size.
PDQ_SIZE = (512, 512)


def file_digests(path: Path | str) -> tuple[int, str, str]:
    """The file's size, MD5 and SHA-1, read in chunks."""
    md5 = hashlib.md5(usedforsecurity=False)
    sha1 = hashlib.sha1(usedforsecurity=False)
    size = 0
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            md5.update(chunk)
            sha1.update(chunk)
            size += len(chunk)
    return size, md5.hexdigest(), sha1.hexdigest()


def pdq_hex(bits) -> str:
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def pdq_of(path: Path | str) -> tuple[str, int] | None:
    """The PDQ hash (hex) and quality of an image Pillow can open, or None for anything else
    (not an image, damaged, or one Pillow refuses as a decompression bomb)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.draft("RGB", PDQ_SIZE)
                pixels = np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        return None
    bits, quality = pdqhash.compute(pixels)
    return pdq_hex(bits), int(quality)


def walk(root: Path | str) -> Iterator[Path]:
    """Every regular file under a folder, in a stable order (so a stopped run resumes where it
    stopped); links are not followed, so nothing outside the device is read."""
    for folder, folders, files in os.walk(root, followlinks=False):
        folders.sort()
        for name in sorted(files):
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                yield path
