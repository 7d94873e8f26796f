"""Which encoding a text file is in (UTF-8, UTF-16, UTF-32, else Windows-1252), and its text decoded."""

from __future__ import annotations

from pathlib import Path

from .errors import InputError

# Python codec for each encoding name pyarrow's CSV reader takes
CODECS = {
    "utf8": "utf-8-sig",
    "utf-16": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "utf-32": "utf-32",
    "cp1252": "cp1252",
}
MANGLED_BOM = "\u00ef\u00bb\u00bf"  # a byte-order mark that went through Windows-1252 and back to UTF-8


def detect_encoding(raw: bytes, path: Path, warnings: list[str] | None, sample: bool = False) -> str:
    """UTF-8 (with or without BOM), UTF-16 (with BOM, or without), UTF-32 with BOM, else Windows-1252
    with a warning. With `sample`, `raw` is the file's start, and a character cut at its end is fine.
    Returns a name pyarrow's CSV reader takes (and CODECS maps to Python's)."""
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if len(raw) >= 4:  # ASCII text in UTF-16 without a BOM: a NUL in every other byte (not in all: NUL padding)
        half = len(raw) // 2
        odd, even = raw[1::2].count(0), raw[0::2].count(0)
        if odd > 0.9 * half and even < 0.1 * half:
            return "utf-16-le"
        if even > 0.9 * half and odd < 0.1 * half:
            return "utf-16-be"
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if not sample or exc.start < len(raw) - 3:
            _check_windows_1252(raw, path)
            if warnings is not None:
                warnings.append(f"{path}: not valid UTF-8; read as Windows-1252")
            return "cp1252"
    return "utf8"


def _check_windows_1252(raw: bytes, path: Path) -> None:
    """Fail on a byte no Windows-1252 text holds (0x81, 0x8d, 0x8f, 0x90, 0x9d): the file is in
    another encoding, or not text, and reading it anyway would garble every accented letter."""
    try:
        raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(not_text(path, raw[exc.start], line)) from None


def not_text(path: Path, byte: int, line: int | None = None) -> str:
    where = f"{path} line {line}" if line else str(path)
    return (
        f"{where}: byte 0x{byte:02x} is neither UTF-8 nor Windows-1252 text; "
        "save the file as UTF-8 (in Excel: CSV UTF-8)"
    )


def decode_text(path: Path, warnings: list[str] | None = None, data: bytes | None = None) -> str:
    """The whole file (or `data`, its bytes read before) as text, in the encoding detect_encoding finds."""
    raw = path.read_bytes() if data is None else data
    encoding = detect_encoding(raw, path, warnings)
    return raw.decode(CODECS[encoding], errors="replace").removeprefix(MANGLED_BOM)


def decode_head(path: Path, warnings: list[str] | None = None, size: int = 1 << 20) -> tuple[str, str]:
    """(the file's first `size` bytes as text, the encoding to read all of it with)."""
    with open(path, "rb") as f:
        raw = f.read(size)
    encoding = detect_encoding(raw, path, warnings, sample=True)
    return raw.decode(CODECS[encoding], errors="ignore").removeprefix(MANGLED_BOM), encoding
