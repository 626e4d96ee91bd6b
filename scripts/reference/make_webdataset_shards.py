#!/usr/bin/env python3
"""Writes the small WebDataset test shards under curation/src/test/resources/webdataset/.

Shards are written the way most are in the wild: Python's tarfile (PAX format, which it uses for
long and non-ASCII names) in img2dataset's layout ({key}.jpg, {key}.txt, {key}.json), plus one
shard from GNU tar (--format=gnu: long names in ././@LongLink members). Deterministic: fixed
mtime, owner and order, so a rerun gives the same bytes (the GNU shard's too, via --mtime and
--owner). Run from the repository root:

    /usr/bin/python3 scripts/reference/make_webdataset_shards.py
"""

import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile

ROOT = "curation/src/test/resources/webdataset"
IMAGES = "curation/src/test/resources/fixtures/images"


def image(name):
    with open(os.path.join(IMAGES, name), "rb") as f:
        return f.read()


JPG = image("exact_224x224.jpg")
WEBP = image("webp_320x240.webp")
PNG = image("palette_256x256.png")

LONG_DIR = "nested/deeper/"
LONG_KEY = LONG_DIR + "a_very_long_sample_key_" + "x" * 100  # > 100 chars: needs PAX / GNU
UTF8_KEY = "données/ключ_日本語_sample"


def meta(key, url, width, height, **extra):
    d = {"url": url, "key": key, "status": "success", "error_message": None,
         "width": width, "height": height, "original_width": width * 2,
         "original_height": height * 2}
    d.update(extra)
    return json.dumps(d, ensure_ascii=False).encode("utf-8")


def add(tar, name, data=None, kind=tarfile.REGTYPE):
    info = tarfile.TarInfo(name)
    info.mtime = 1700000000
    info.uid = info.gid = 1000
    info.uname = info.gname = "sift"
    info.type = kind
    if kind == tarfile.DIRTYPE:
        info.mode = 0o755
        tar.addfile(info)
        return
    info.mode = 0o644
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def shard(path, members):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for m in members:
            add(tar, *m)


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    # good/: img2dataset's layout and every naming case; each sample should be accepted.
    shard(f"{ROOT}/good/00000.tar", [
        ("nested/", None, tarfile.DIRTYPE),
        ("README", b"members without a dot are skipped"),
        ("000000000.jpg", JPG),
        ("000000000.txt", "a red double decker bus on a city street".encode()),
        ("000000000.json", meta("000000000", "http://example.com/0.jpg", 224, 224,
                                 sha256="abc", caption="ignored, txt wins")),
        (LONG_KEY + ".WEBP", WEBP),
        (LONG_KEY + ".Txt", "a small boat on a calm blue lake".encode()),
        (LONG_KEY + ".json", meta("000000001", "http://example.com/1.webp", 320, 240)),
        (UTF8_KEY + ".png", PNG),
        (UTF8_KEY + ".txt", "un chat noir assis sur une chaise en bois".encode()),
        (UTF8_KEY + ".json", meta("000000002", "http://example.com/ü.png", 256, 256)),
        ("000000003.JPG", JPG),
        ("000000003.txt", "two dogs playing with a ball in the park".encode()),
        ("000000003.json", meta("000000003", "http://example.com/3.jpg", 224, 224)),
        ("000000003.extra.cls", b"7"),
    ])
    # bad/: one sample per bad case, each with its reject reason in the test.
    shard(f"{ROOT}/bad/00000.tar", [
        ("000000010.txt", "a caption whose image is missing".encode()),
        ("000000010.json", meta("000000010", "http://example.com/10.jpg", 320, 240)),
        ("000000011.webp", WEBP),
        ("000000011.json", meta("000000011", "http://example.com/11.webp", 320, 240)),
        ("000000012.webp", WEBP),
        ("000000012.txt", "a sample with two images of one kind".encode()),
        ("000000012.webp", WEBP),
        ("000000012.json", meta("000000012", "http://example.com/12.webp", 320, 240)),
        ("000000013.webp", WEBP),
        ("000000013.txt", "a sample whose json is broken".encode()),
        ("000000013.json", b'{"key": "000000013", "url": '),
        ("000000014.webp", WEBP),
        ("000000014.txt", "a sample without any json member at all".encode()),
    ])
    # truncated/: three samples, cut inside the third sample's image.
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for i in range(3):
            add(tar, f"00000002{i}.webp", WEBP)
            add(tar, f"00000002{i}.txt", f"sample number {i} of a shard that is cut".encode())
            add(tar, f"00000002{i}.json", meta(f"00000002{i}", f"http://example.com/2{i}", 320, 240))
    whole = buf.getvalue()
    third = whole.index(b"000000022.webp")  # the third sample's first header
    os.makedirs(f"{ROOT}/truncated", exist_ok=True)
    with open(f"{ROOT}/truncated/00000.tar", "wb") as f:
        f.write(whole[: third + 512 + 1000])
    # nottar/: a file named .tar that is not an archive.
    os.makedirs(f"{ROOT}/nottar", exist_ok=True)
    with open(f"{ROOT}/nottar/00000.tar", "wb") as f:
        f.write(b"<html><body>404 Not Found</body></html>\n" * 20)
    # gnu/: GNU tar's own format, long and non-ASCII names.
    with tempfile.TemporaryDirectory() as tmp:
        key = "gnu/" + "long_key_written_by_gnu_tar_" + "y" * 90 + "_ü"
        os.makedirs(os.path.join(tmp, os.path.dirname(key)))
        for ext, data in [("webp", WEBP), ("txt", b"a lighthouse on a rocky coast at dusk"),
                          ("json", meta("000000030", "http://example.com/30.webp", 320, 240))]:
            with open(os.path.join(tmp, f"{key}.{ext}"), "wb") as f:
                f.write(data)
        os.makedirs(f"{ROOT}/gnu", exist_ok=True)
        subprocess.run(
            ["tar", "--format=gnu", "--sort=name", "--mtime=@1700000000", "--owner=0",
             "--group=0", "--numeric-owner", "-cf", os.path.abspath(f"{ROOT}/gnu/00000.tar"),
             "-C", tmp, "gnu"], check=True)


if __name__ == "__main__":
    main()
