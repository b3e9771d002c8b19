"""Writes the crafted files of tests/fixtures/hostile: inputs that once crashed, hung or
misled a reader, kept as a regression corpus (and as the fuzzers' seeds). Standard library
only; the pickles are written opcode by opcode, as an attacker would.

  python3 tools/reference/make_hostile_fixtures.py
"""
from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "hostile"

PROTO2 = b"\x80\x02"


def text(s: str) -> bytes:  # BINUNICODE
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def long1(v: int) -> bytes:
    b = v.to_bytes(8, "little", signed=True).rstrip(b"\x00") or b"\x00"
    if b[-1] & 0x80 and v >= 0:
        b += b"\x00"
    return b"\x8a" + bytes([len(b)]) + b


def int_tuple(values: list[int]) -> bytes:
    return b"(" + b"".join(long1(v) for v in values) + b"t"


def tensor(key: str, storage_numel: int, offset: int, size: list[int], stride: list[int]) -> bytes:
    """_rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict())."""
    storage = b"(" + text("storage") + b"ctorch\nFloatStorage\n" + text(key) + text("cpu") + long1(storage_numel) + b"tQ"
    return (b"ctorch._utils\n_rebuild_tensor_v2\n(" + storage + long1(offset) + int_tuple(size) +
            int_tuple(stride) + b"\x89ccollections\nOrderedDict\n)Rt" + b"R")


def state_dict(entries: dict[str, bytes]) -> bytes:
    return PROTO2 + b"}(" + b"".join(text(k) + v for k, v in entries.items()) + b"u."


def pth(name: str, pickle_bytes: bytes, storages: dict[str, bytes] | None = None, packed: bool = False) -> None:
    """A .pth archive; `packed` deflates it (PyTorch stores, but the large crafted ones compress)."""
    with zipfile.ZipFile(OUT / name, "w", zipfile.ZIP_DEFLATED if packed else zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle_bytes)
        z.writestr("archive/byteorder", "little")
        for key, data in (storages or {}).items():
            z.writestr(f"archive/data/{key}", data)
        z.writestr("archive/version", "3\n")


def png(name: str, width: int, height: int, rows: bytes) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    (OUT / name).write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows, 9)) +
                             chunk(b"IEND", b""))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    one_float = struct.pack("<f", 1.0)
    # Size 2^62+1 with stride 4 over a 1-element storage: the reach wraps around int64.
    pth("overflow_stride.pth", state_dict({"w": tensor("0", 1, 0, [2**62 + 1], [4])}), {"0": one_float})
    # A storage claimed far larger than its entry: refused before allocating.
    pth("huge_storage.pth", state_dict({"w": tensor("0", 2**40, 0, [2], [1])}), {"0": one_float})
    # One storage claimed at two sizes: read at 1 element, then used as 64 (found by fuzz_pth).
    pth("storage_two_sizes.pth", state_dict({"a": tensor("0", 1, 0, [1], [1]), "b": tensor("0", 64, 0, [64], [1])}),
        {"0": one_float})
    # An offset that wraps when scaled to bytes.
    pth("overflow_offset.pth", state_dict({"w": tensor("0", 1, 2**62, [1], [1])}), {"0": one_float})
    n = 300_000
    # 300,000 lists nested by APPEND; tuples nested by MARK ... TUPLE; lists nested by APPENDS.
    pth("nested_lists.pth", PROTO2 + b"]" * n + b"a" * (n - 1) + b".", packed=True)
    pth("nested_tuples.pth", PROTO2 + b"(" * n + b")" + b"t" * n + b".", packed=True)
    pth("nested_marks.pth", PROTO2 + b"(]" * n + b"e" * n + b".", packed=True)
    # Reference cycles: a list in itself, and two lists in each other.
    pth("cycle_self.pth", PROTO2 + b"]q\x00h\x00a.")
    pth("cycle_pair.pth", PROTO2 + b"]q\x00]q\x01ah\x01h\x00a0.")
    # One list of 20,000 pairs turned into an OrderedDict 50,000 times: a billion slots.
    pairs = b"]q\x00(" + b"(K\x01K\x02t" * 20_000 + b"e0"
    bomb = b"ccollections\nOrderedDict\nq\x01h\x00\x85q\x02" + b"h\x01h\x02R0" * 50_000
    pth("slot_bomb.pth", PROTO2 + pairs + bomb + b"}.", packed=True)
    # A 74-byte PNG header claiming 20000 x 20000 pixels, and a zlib bomb of 60000 x 50000.
    png("huge_header.png", 20000, 20000, b"\x00" * 61)
    png("zlib_bomb.png", 60000, 50000, (b"\x00" + b"\x00" * 180000) * 200)


if __name__ == "__main__":
    main()
