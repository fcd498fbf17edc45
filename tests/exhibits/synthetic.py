"""Synthetic pictures and hash sets for the exhibits' tests: shapes drawn by Pillow from a seed,
never real material."""

import json
import random

from PIL import Image, ImageDraw, ImageFilter

from vigil.exhibits.hashing import file_digests, pdq_of


def picture(seed: int, size=(640, 480)) -> Image.Image:
    """Forty coloured rectangles and ellipses on a coloured ground, the same for the same seed."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        box = (x, y, x + rng.randrange(20, 300), y + rng.randrange(20, 300))
        fill = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)
    return image


def resized(image):
    return image.resize((image.width // 2, image.height // 2))


def blurred(image):
    return image.filter(ImageFilter.GaussianBlur(1.5))


def cropped(image, share=0.025):
    """A crop of 2.5% off the top and left edges: PDQ does not survive it."""
    return image.crop(
        (int(image.width * share), int(image.height * share), image.width, image.height)
    )


def known(path, category) -> dict:
    """A VICS Media entry for a file, with its MD5, SHA-1 and PDQ."""
    _, md5, sha1 = file_digests(path)
    pdq = pdq_of(path)
    return {
        "MD5": md5.upper(),
        "SHA1": sha1.upper(),
        "PDQ": pdq[0] if pdq else None,
        "Category": category,
    }


def vics(path, media: list[dict], version: str = "2.0", cases: bool = False):
    """Write a VICS document: 2.0 with ``@odata.context``, 1.x with ``odata.metadata``; a hash
    set (a value array of Media) or a case export (cases, each with its Media)."""
    key = "@odata.context" if version.startswith("2") else "odata.metadata"
    shape = "Cases" if cases else "Media"
    value = [{"CaseNumber": "SYN-1", "Media": media}] if cases else media
    document = {
        key: f"http://github.com/ICMEC/ProjectVic/DataModels/{version}.xml/$metadata#{shape}",
        "value": value,
    }
    path.write_text(json.dumps(document))
    return path
