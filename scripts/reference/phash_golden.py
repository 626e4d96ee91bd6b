#!/usr/bin/env python3
"""Reference 64-bit perceptual hash (pHash), the definition of Python's imagehash.phash.

This is the independent implementation that Sift's Java PerceptualHash is checked against
(curation/src/test/resources/dedup/phash-golden.tsv). imagehash itself is not needed: its
phash(image, hash_size=8, highfreq_factor=4) is, in full,

    pixels = numpy.asarray(image.convert("L").resize((32, 32), Image.Resampling.LANCZOS))
    dct = scipy.fftpack.dct(scipy.fftpack.dct(pixels, axis=0), axis=1)
    low = dct[:8, :8]
    bits = low > numpy.median(low)

and str(hash) prints the 64 bits flattened row-major, first bit most significant, as 16
lower-case hex digits. Images are converted to RGB first (Image.open(f).convert("RGB")), the
pixels Sift's ImageDecoder produces, so that both sides hash the same pixels.

Needs Pillow, numpy and scipy (Debian: apt-get install -y python3-pil python3-numpy
python3-scipy). Rerun from the repository root (the golden README has the exact command):

    /usr/bin/python3 scripts/reference/phash_golden.py [--margin] IMAGE...

prints "file<TAB>hex" per image (file = the argument's base name). With --margin a third
column gives min |coefficient - median| over the 64 coefficients: a hash whose margin is far
above floating-point noise cannot flip a bit between two correct implementations.

    /usr/bin/python3 scripts/reference/phash_golden.py --make-fixtures DIR PHOTO

writes the synthetic PNGs of the golden set into DIR (lossless, so both sides hash exactly the
same pixels; seeded, so reruns give the same files) and one derived variant of PHOTO.
"""

import os
import sys

import numpy
import scipy.fftpack
from PIL import Image


def phash_bits(image):
    """The 8x8 boolean array and the margin for a PIL image (any mode)."""
    pixels = numpy.asarray(
        image.convert("RGB").convert("L").resize((32, 32), Image.Resampling.LANCZOS)
    )
    dct = scipy.fftpack.dct(scipy.fftpack.dct(pixels, axis=0), axis=1)
    low = dct[:8, :8]
    median = numpy.median(low)
    return low > median, float(numpy.min(numpy.abs(low - median)))


def to_hex(bits):
    value = 0
    for bit in bits.flatten():
        value = (value << 1) | int(bit)
    return "%016x" % value


def make_fixtures(directory, photo):
    """Small lossless test images that exercise every path of the resampler."""
    os.makedirs(directory, exist_ok=True)
    rng = numpy.random.default_rng(20240601)

    def save(name, array):
        Image.fromarray(numpy.asarray(array, dtype=numpy.uint8), "RGB").save(
            os.path.join(directory, name), optimize=True
        )

    y, x = numpy.mgrid[0:48, 0:64]
    save("synth_gradient_64x48.png", numpy.stack([x * 4, y * 5, (x + y) * 2], axis=-1))
    save("synth_noise_97x61.png", rng.integers(0, 256, (61, 97, 3)))
    blocks = rng.integers(0, 256, (10, 15, 3)).repeat(20, axis=0).repeat(20, axis=1)
    y, x = numpy.mgrid[0:200, 0:300]
    save("synth_blocks_300x200.png", (blocks + (x // 3)[..., None]) % 256)
    save("synth_exact_32x32.png", rng.integers(0, 256, (32, 32, 3)))
    save("synth_tall_32x90.png", rng.integers(0, 256, (9, 32, 3)).repeat(10, axis=0))
    save("synth_wide_150x32.png", rng.integers(0, 256, (32, 15, 3)).repeat(10, axis=1))
    save("synth_up_20x15.png", rng.integers(0, 256, (15, 20, 3)))
    save("synth_thin_1000x3.png", rng.integers(0, 256, (3, 100, 3)).repeat(10, axis=1))
    save("synth_flat_40x30.png", numpy.full((30, 40, 3), (200, 120, 40)))
    with Image.open(photo) as image:
        variant = image.convert("RGB").resize((131, 79), Image.Resampling.BICUBIC)
        name = os.path.splitext(os.path.basename(photo))[0] + "_small_131x79.png"
        variant.save(os.path.join(directory, name), optimize=True)


def main(argv):
    if argv[:1] == ["--make-fixtures"]:
        make_fixtures(argv[1], argv[2])
        return
    margin = "--margin" in argv
    for path in [a for a in argv if a != "--margin"]:
        with Image.open(path) as image:
            bits, gap = phash_bits(image)
        row = [os.path.basename(path), to_hex(bits)]
        if margin:
            row.append("%.6g" % gap)
        print("\t".join(row))


if __name__ == "__main__":
    main(sys.argv[1:])
