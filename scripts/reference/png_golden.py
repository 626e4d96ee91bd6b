#!/usr/bin/env python3
"""Golden PNG decodes: what Pillow's Image.open(f).convert("RGB") gives for each PNG.

This is the reference Sift's PngDecoder is checked against
(curation/src/test/resources/fixtures/png/png-golden.tsv). The PNGs of the golden set are
written by the small encoder below (struct + zlib, no Pillow), so that every field the
decoder reads is under control: each colour type and bit depth, short palettes, tRNS,
gAMA/sRGB/iCCP chunks, every filter type (each image cycles through filters 0-4 row by row,
from a different starting filter), IDAT split into several chunks (one of them empty),
Adam7 interlacing, and corrupt files (truncated, bad CRCs, a bad filter byte, broken zlib).

Needs Pillow and numpy (Debian: apt-get install -y python3-pil python3-numpy). From the
repository root (the golden README has the exact commands):

    /usr/bin/python3 scripts/reference/png_golden.py --make-fixtures DIR

writes the PNGs into DIR (seeded, so reruns give the same bytes), and

    /usr/bin/python3 scripts/reference/png_golden.py [--root DIR] FILE...

prints, per file, "name<TAB>ok<TAB>width<TAB>height<TAB>sha256" with the SHA-256 of the RGB
bytes Pillow's convert("RGB") gives (row by row, R, G, B), or "name<TAB>error<TAB>-<TAB>-<TAB>
reason" when Pillow refuses the file. name is the path relative to --root (default: the
file's directory).

    /usr/bin/python3 scripts/reference/png_golden.py --prefixes [--root DIR] FILE...

prints "name<TAB>ranges": which prefixes of each file (lengths, as "a-b,c-d") Pillow decodes,
i.e. exactly how a truncated download fares.

    /usr/bin/python3 scripts/reference/png_golden.py --damage N [--root DIR] FILE...

prints N seeded damaged variants of each file (flipped, set, inserted or deleted bytes, with or
without CRCs recomputed; cuts) as "name<TAB>edits<TAB>verdict": the edits in the form
apply_edits reads, then "ok<TAB>width<TAB>height<TAB>sha256[:16]" or "error<TAB>exception".
"""

import hashlib
import io
import os
import random
import struct
import sys
import zlib

import numpy
from PIL import Image

SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Adam7: (x start, y start, x step, y step) of the seven passes.
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]

CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(kind, data, crc=None):
    """One chunk; crc overrides the checksum (to write a broken one)."""
    if crc is None:
        crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc & 0xFFFFFFFF)


def ihdr(width, height, depth, colour, compression=0, filtering=0, interlace=0):
    return struct.pack(">IIBBBBB", width, height, depth, colour, compression, filtering, interlace)


def pack_row(row, depth):
    """Samples of one scanline (flat, 0..2^depth-1) as PNG bytes: MSB first, 16-bit big-endian."""
    if depth == 16:
        return b"".join(struct.pack(">H", int(v)) for v in row)
    if depth == 8:
        return bytes(int(v) for v in row)
    per = 8 // depth
    out = bytearray((len(row) + per - 1) // per)
    for i, v in enumerate(row):
        out[i // per] |= int(v) << (8 - depth * (i % per + 1))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(kind, row, prior, bpp):
    """Applies filter `kind` (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth) to one scanline."""
    out = bytearray(len(row))
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prior[i]
        c = prior[i - bpp] if i >= bpp else 0
        predictor = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out[i] = (x - predictor) & 0xFF
    return bytes([kind]) + bytes(out)


def raw_data(samples, depth, interlace, first_filter):
    """The filtered, uncompressed image data for samples[h, w, channels]."""
    h, w, c = samples.shape
    bpp = max(1, c * depth // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    out = bytearray()
    n = first_filter
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        prior = bytes(len(pack_row(sub[0].reshape(-1), depth)))
        for row in sub:
            packed = pack_row(row.reshape(-1), depth)
            out += filter_row(n % 5, packed, prior, bpp)
            prior = packed
            n += 1
    return bytes(out)


def png(samples, depth, colour, interlace=0, first_filter=0, before=(), idat_splits=None,
        after=(), ihdr_fields=None, zdata=None, iend=True):
    """A whole PNG file. before/after: extra chunks around the image data; idat_splits: offsets
    at which the zlib stream is cut into IDAT chunks; zdata: the zlib stream, if not the one the
    samples give; ihdr_fields: IHDR as written, if not the one the samples give."""
    h, w, _ = samples.shape
    if zdata is None:
        zdata = zlib.compress(raw_data(samples, depth, interlace, first_filter), 9)
    cuts = [0] + list(idat_splits or []) + [len(zdata)]
    idats = [chunk(b"IDAT", zdata[a:b]) for a, b in zip(cuts, cuts[1:])]
    header = ihdr_fields or ihdr(w, h, depth, colour, interlace=interlace)
    return (
        SIGNATURE
        + chunk(b"IHDR", header)
        + b"".join(before)
        + b"".join(idats)
        + b"".join(after)
        + (chunk(b"IEND", b"") if iend else b"")
    )


def make_fixtures(directory):
    os.makedirs(directory, exist_ok=True)
    rng = numpy.random.default_rng(20240614)

    def samples(w, h, colour, depth):
        # 16-bit grey is clipped to 255: keep most values near that edge rather than above it.
        top = 600 if (colour, depth) == (0, 16) else 1 << depth
        return rng.integers(0, top, (h, w, CHANNELS[colour]), dtype=numpy.int64)

    def palette(n):
        return chunk(b"PLTE", bytes(rng.integers(0, 256, 3 * n, dtype=numpy.int64).tolist()))

    files = {}
    start = 0
    # Every colour type and bit depth, 13x7 (rows of 13 samples end mid-byte for 1/2/4 bits).
    all_depths = [(0, [1, 2, 4, 8, 16]), (2, [8, 16]), (3, [1, 2, 4, 8]), (4, [8, 16]),
                  (6, [8, 16])]
    for colour, depths in all_depths:
        for depth in depths:
            before = [palette(1 << depth)] if colour == 3 else []
            name = "ct%d_%dbit_13x7.png" % (colour, depth)
            pixels = samples(13, 7, colour, depth)
            files[name] = png(pixels, depth, colour, first_filter=start, before=before)
            start += 1
    # 16-bit grey and RGB with values around 255, where clipping and taking the high byte differ.
    edges = [0, 1, 127, 128, 254, 255, 256, 257, 511, 4095, 32768, 65534, 65535]
    grey = numpy.array(edges * 3).reshape(3, 13, 1)
    files["ct0_16bit_edges_13x3.png"] = png(grey, 16, 0, first_filter=1)
    files["ct2_16bit_edges_13x3.png"] = png(numpy.repeat(grey, 3, axis=2), 16, 2, first_filter=2)
    # Palettes: short (indices past the end), with tRNS (alpha per entry and a single
    # transparent entry), and a suggested palette in an RGB image.
    short = samples(17, 5, 3, 8)
    short[0, :8, 0] = [0, 1, 2, 3, 4, 5, 200, 255]
    files["ct3_8bit_short_palette_17x5.png"] = png(short, 8, 3, first_filter=3, before=[palette(5)])
    files["ct3_4bit_short_palette_9x4.png"] = png(
        samples(9, 4, 3, 4), 4, 3, first_filter=4, before=[palette(3)])
    trns = bytes(rng.integers(0, 256, 16, dtype=numpy.int64).tolist())
    files["ct3_4bit_trns_11x6.png"] = png(
        samples(11, 6, 3, 4), 4, 3, before=[palette(16), chunk(b"tRNS", trns)])
    files["ct3_8bit_trns_single_10x4.png"] = png(
        samples(10, 4, 3, 8), 8, 3, first_filter=2,
        before=[palette(40), chunk(b"tRNS", b"\xff\xff\x00")])
    files["ct2_8bit_suggested_palette_6x5.png"] = png(
        samples(6, 5, 2, 8), 8, 2, first_filter=4, before=[palette(7)])
    # tRNS on grey and RGB (a colour key): ignored by convert("RGB").
    files["ct0_8bit_trns_7x5.png"] = png(
        samples(7, 5, 0, 8), 8, 0, before=[chunk(b"tRNS", b"\x00\x10")])
    files["ct0_16bit_trns_7x5.png"] = png(
        samples(7, 5, 0, 16), 16, 0, first_filter=1, before=[chunk(b"tRNS", b"\x01\x10")])
    files["ct2_8bit_trns_7x5.png"] = png(
        samples(7, 5, 2, 8), 8, 2, first_filter=2,
        before=[chunk(b"tRNS", b"\x00\x10\x00\x20\x00\x30")])
    # Colour chunks Pillow keeps in info but does not apply: gAMA, cHRM, sRGB, iCCP.
    icc = b"not a real profile\x00\x00" + zlib.compress(b"\x00" * 64)
    files["ct2_8bit_gama_iccp_9x6.png"] = png(
        samples(9, 6, 2, 8), 8, 2, first_filter=3,
        before=[chunk(b"gAMA", struct.pack(">I", 100000)), chunk(b"cHRM", bytes(32)),
                chunk(b"iCCP", icc)])
    files["ct6_8bit_srgb_gama_9x6.png"] = png(
        samples(9, 6, 6, 8), 8, 6, first_filter=4,
        before=[chunk(b"sRGB", b"\x00"), chunk(b"gAMA", struct.pack(">I", 45455))])
    # Image data in several IDAT chunks (one empty), text chunks before and after it, and the
    # zlib stream made of stored (uncompressed) blocks.
    rgb = samples(17, 7, 2, 8)
    z = zlib.compress(raw_data(rgb, 8, 0, 0), 9)
    files["ct2_8bit_multi_idat_17x7.png"] = png(
        rgb, 8, 2, idat_splits=[1, 2, 2, 40, len(z) - 3],
        before=[chunk(b"tEXt", b"Comment\x00before")], after=[chunk(b"tEXt", b"Comment\x00after")])
    stored = samples(15, 9, 6, 8)
    co = zlib.compressobj(0)
    files["ct6_8bit_stored_blocks_15x9.png"] = png(
        stored, 8, 6, zdata=co.compress(raw_data(stored, 8, 0, 1)) + co.flush(), idat_splits=[100])
    # Adam7: several types and bit depths, sizes where some passes are empty.
    for w, h, colour, depth in [(1, 1, 2, 8), (3, 2, 0, 1), (5, 5, 3, 4), (9, 10, 2, 8),
                                (13, 7, 0, 2), (9, 6, 6, 16), (10, 11, 4, 8), (17, 3, 3, 8),
                                (7, 13, 0, 16)]:
        before = [palette(min(1 << depth, 64))] if colour == 3 else []
        name = "interlaced_ct%d_%dbit_%dx%d.png" % (colour, depth, w, h)
        pixels = samples(w, h, colour, depth)
        files[name] = png(pixels, depth, colour, interlace=1, first_filter=w, before=before)
    # Small and odd shapes.
    files["ct2_8bit_1x1.png"] = png(samples(1, 1, 2, 8), 8, 2, first_filter=4)
    files["ct0_1bit_1x9.png"] = png(samples(1, 9, 0, 1), 1, 0)
    files["ct6_8bit_33x2.png"] = png(samples(33, 2, 6, 8), 8, 6, first_filter=3)
    # What Pillow tolerates: no IEND, bytes after IEND, more image data than rows, a bad CRC on
    # IDAT and on chunks after it (Pillow checks CRCs only before the first IDAT), compression
    # method byte other than 0, an interlace byte other than 0 or 1 (read as Adam7).
    ok = samples(8, 4, 2, 8)
    files["tolerated_no_iend_8x4.png"] = png(ok, 8, 2, iend=False)
    files["tolerated_trailing_bytes_8x4.png"] = png(ok, 8, 2) + b"junk after IEND"
    files["tolerated_extra_rows_8x4.png"] = png(
        ok, 8, 2, zdata=zlib.compress(raw_data(ok, 8, 0, 0) + b"\x00" * 25))
    good = png(ok, 8, 2, after=[chunk(b"tEXt", b"k\x00v", crc=1)])
    idat = good.index(b"IDAT")
    length = struct.unpack(">I", good[idat - 4:idat])[0]
    crc_at = idat + 4 + length
    files["tolerated_bad_crc_idat_text_8x4.png"] = good[:crc_at] + bytes(4) + good[crc_at + 4:]
    files["tolerated_compression_byte_8x4.png"] = png(
        ok, 8, 2, ihdr_fields=ihdr(8, 4, 8, 2, compression=1))
    odd = samples(6, 6, 0, 8)
    files["tolerated_interlace_byte_6x6.png"] = png(
        odd, 8, 0, zdata=zlib.compress(raw_data(odd, 8, 1, 0)),
        ihdr_fields=ihdr(6, 6, 8, 0, interlace=2))
    # A palette image without PLTE (Pillow's palette is then its grey ramp), a PLTE whose length
    # is not a multiple of 3, PLTE before IHDR (Pillow ignores it: the mode is not known yet), no
    # zlib checksum, and a file that ends right after the image data.
    files["tolerated_palette_missing_8x4.png"] = png(samples(8, 4, 3, 8), 8, 3)
    partial = samples(8, 4, 3, 8)
    partial[0, :4, 0] = [0, 1, 2, 3]
    files["tolerated_palette_partial_entry_8x4.png"] = png(
        partial, 8, 3, before=[chunk(b"PLTE", bytes(range(10, 20)))])
    files["tolerated_plte_before_ihdr_8x4.png"] = SIGNATURE + palette(4) + png(partial, 8, 3)[8:]
    files["tolerated_ihdr_14_bytes_8x4.png"] = png(ok, 8, 2, ihdr_fields=ihdr(8, 4, 8, 2) + b"\x00")
    z_ok = zlib.compress(raw_data(ok, 8, 0, 0))
    files["tolerated_no_adler32_8x4.png"] = png(ok, 8, 2, zdata=z_ok[:-4])
    files["tolerated_cut_after_idat_data_8x4.png"] = png(ok, 8, 2)[:-16]
    # A zlib stream that ends with a whole row before the last one: Pillow stops there and
    # leaves the other pixels at sample 0 (palette colour 0 here), plain and interlaced.
    few = samples(9, 6, 3, 8)
    files["tolerated_stream_ends_early_9x6.png"] = png(
        few, 8, 3, before=[palette(256)], zdata=zlib.compress(raw_data(few, 8, 0, 0)[:2 * 10]))
    passes = raw_data(few, 8, 1, 0)
    files["tolerated_stream_ends_early_interlaced_9x6.png"] = png(
        few, 8, 3, interlace=1, before=[palette(256)], zdata=zlib.compress(passes[:12]))
    # What Pillow refuses.
    whole = files["ct2_8bit_multi_idat_17x7.png"]
    files["corrupt_truncated_in_idat.png"] = whole[: len(whole) // 2]
    files["corrupt_truncated_after_ihdr.png"] = whole[:33]
    files["corrupt_bad_crc_ihdr.png"] = png(ok, 8, 2)[:29] + bytes(4) + png(ok, 8, 2)[33:]
    files["corrupt_bad_crc_gama.png"] = png(
        ok, 8, 2, before=[chunk(b"gAMA", struct.pack(">I", 45455), crc=7)])
    bad_filter = bytearray(raw_data(ok, 8, 0, 0))
    bad_filter[2 * (1 + 3 * 8)] = 5
    files["corrupt_filter_type_8x4.png"] = png(ok, 8, 2, zdata=zlib.compress(bytes(bad_filter)))
    files["corrupt_zlib_8x4.png"] = png(ok, 8, 2, zdata=b"\x78\x9c\xff\xff\xff\xff" + bytes(40))
    files["corrupt_short_data_8x4.png"] = png(
        ok, 8, 2, zdata=zlib.compress(raw_data(ok, 8, 0, 0)[:-30]))
    files["corrupt_idat_interrupted_17x7.png"] = split_by_text(png(rgb, 8, 2, idat_splits=[60]))
    files["corrupt_filter_method_8x4.png"] = png(
        ok, 8, 2, ihdr_fields=ihdr(8, 4, 8, 2, filtering=1))
    files["corrupt_bit_depth_8x4.png"] = png(ok, 8, 2, ihdr_fields=ihdr(8, 4, 4, 2))
    files["corrupt_palette_257_colours_8x4.png"] = png(
        samples(8, 4, 3, 8), 8, 3, before=[palette(257)])
    files["corrupt_bad_adler32_8x4.png"] = png(ok, 8, 2, zdata=z_ok[:-1] + bytes([z_ok[-1] ^ 1]))
    files["corrupt_chunk_name_8x4.png"] = png(ok, 8, 2, before=[chunk(b"a b!", b"xx")])
    files["corrupt_bad_crc_private_8x4.png"] = png(ok, 8, 2, before=[chunk(b"prIv", b"xx", crc=3)])
    files["corrupt_no_idat.png"] = (
        SIGNATURE + chunk(b"IHDR", ihdr(8, 4, 8, 2)) + chunk(b"IEND", b""))
    files["corrupt_zero_width.png"] = png(ok, 8, 2, ihdr_fields=ihdr(0, 4, 8, 2))
    for name, data in files.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)


def split_by_text(data):
    """Puts a tEXt chunk between the first two IDAT chunks of data."""
    first = data.index(b"IDAT")
    length = struct.unpack(">I", data[first - 4:first])[0]
    end = first + 4 + length + 4
    return data[:end] + chunk(b"tEXt", b"k\x00v") + data[end:]


def fix_crcs(data):
    """Recomputes the CRC of every chunk that fits in data, so damage is not caught by CRCs."""
    data = bytearray(data)
    at = 8
    while at + 12 <= len(data):
        length = struct.unpack(">I", data[at:at + 4])[0]
        if at + 12 + length > len(data):
            break
        crc = zlib.crc32(bytes(data[at + 4:at + 8 + length]))
        data[at + 8 + length:at + 12 + length] = struct.pack(">I", crc)
        at += 12 + length
    return bytes(data)


def apply_edits(data, edits):
    """Applies edits such as "x12:5a,s20:ff,i30:07,d40,c100,crc" in order: xor, set, insert and
    delete a byte at an offset, cut the file to a length, recompute the CRCs."""
    data = bytearray(data)
    for edit in edits.split(","):
        op, arg = edit[0], edit[1:]
        if edit == "crc":
            data = bytearray(fix_crcs(data))
        elif op == "c":
            del data[int(arg):]
        elif op == "d":
            del data[int(arg)]
        else:
            at, value = arg.split(":")
            at, value = int(at), int(value, 16)
            if op == "x":
                data[at] ^= value
            elif op == "s":
                data[at] = value
            else:
                data.insert(at, value)
    return bytes(data)


def random_edits(rng, size):
    """Seeded damage: flipped bytes (CRCs kept or fixed), an IHDR field, a cut, a byte in or out."""
    kind = rng.randrange(5)
    if kind == 0:
        flips = ["x%d:%02x" % (rng.randrange(8, size), rng.randint(1, 255))
                 for _ in range(rng.randint(1, 3))]
        return ",".join(flips + (["crc"] if rng.random() < 0.7 else []))
    if kind == 1:
        value = rng.choice([0, 1, 2, 3, 4, 6, 8, 16, 255, rng.randrange(256)])
        return "s%d:%02x,crc" % (rng.randrange(16, 29), value)
    if kind == 2:
        return "c%d" % rng.randrange(8, size)
    if kind == 3:
        return "i%d:%02x,crc" % (rng.randrange(8, size), rng.randrange(256))
    return "d%d,crc" % rng.randrange(8, size)


def decode(data):
    """("ok", width, height, sha256) or ("error", reason) for Pillow's convert("RGB")."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            rgb = image.convert("RGB")
        return "ok", str(rgb.width), str(rgb.height), hashlib.sha256(rgb.tobytes()).hexdigest()
    except Exception as e:  # noqa: BLE001 - the verdict is the golden value
        return "error", type(e).__name__


def accepted_prefixes(data):
    """The lengths of the prefixes of data that Pillow decodes, as ranges "a-b,c-d"."""
    ranges = []
    for keep in range(len(data)):
        if decode(data[:keep])[0] == "ok":
            if ranges and ranges[-1][1] == keep - 1:
                ranges[-1][1] = keep
            else:
                ranges.append([keep, keep])
    return ",".join("%d-%d" % (a, b) for a, b in ranges)


def golden_row(path, name):
    try:
        with Image.open(path) as image:
            rgb = image.convert("RGB")
        digest = hashlib.sha256(rgb.tobytes()).hexdigest()
        return "\t".join([name, "ok", str(rgb.width), str(rgb.height), digest])
    except Exception as e:  # noqa: BLE001 - the reason is the golden value
        reason = str(e).replace(repr(path), repr(os.path.basename(path)))
        return "\t".join([name, "error", "-", "-", "%s: %s" % (type(e).__name__, reason)])


def main(argv):
    if argv[:1] == ["--make-fixtures"]:
        make_fixtures(argv[1])
        return
    mode = None
    if argv[:1] in (["--prefixes"], ["--damage"]):
        mode, argv = argv[0], argv[1:]
    cases = int(argv.pop(0)) if mode == "--damage" else 0
    root = None
    if argv[:1] == ["--root"]:
        root, argv = argv[1], argv[2:]
    rng = random.Random(14)
    for path in argv:
        name = os.path.relpath(path, root or os.path.dirname(path))
        with open(path, "rb") as f:
            data = f.read()
        if mode == "--prefixes":
            print("%s\t%s" % (name, accepted_prefixes(data)))
        elif mode == "--damage":
            for _ in range(cases):
                edits = random_edits(rng, len(data))
                verdict = decode(apply_edits(data, edits))
                # 64 bits of the digest are plenty here and keep the file small.
                print("\t".join((name, edits) + verdict[:3] + tuple(v[:16] for v in verdict[3:])))
        else:
            print(golden_row(path, name))


if __name__ == "__main__":
    main(sys.argv[1:])
