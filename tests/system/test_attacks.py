"""Issue 12's attacks on the tool, one test each: a marker file that must not appear, a label
count that must not drop, or a clean refusal within bounded time and memory. Each section is one
kind of attack; the race and kill tests beside these live in tests/test_crash.py."""

from __future__ import annotations

from ..conftest import SAMPLE, run_cli  # noqa: F401  (the sections below use them)


# === 1. the project lock and compare-and-swap on state.json ====================================




# === 2. model files that would run code ========================================================




# === 3/4. spreadsheet outputs: batch overwrite, CR/LF in cells, guarded exports, terminal escapes




# === 5. bounded parsers: bombs and huge files ==================================================

import resource  # noqa: E402  (each section imports what it uses, so that merges do not collide)
import struct  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from ..conftest import snapshot  # noqa: E402

# Each bomb is a small file that, unbounded, took gigabytes or minutes (issue 12 item 5). The
# command runs as a child process with 1 GiB of address space (a normal import needs about 0.5:
# numpy and pyarrow reserve virtual memory; test_a_normal_import_fits_the_memory_limit) and a
# timeout; it must refuse in one line and leave the project byte-identical.

BOUNDED_MEMORY = 1 << 30
BOUNDED_SECONDS = 60  # generous: starting the CLI takes seconds on a loaded machine
ACTIVELEARN = Path(sys.executable).with_name("activelearn")

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET = "xl/worksheets/sheet1.xml"
_SPACES = b" " * (1 << 24)


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


_XLSX_ROWS = (
    '<row r="1">' + _inline("A1", "id") + _inline("B1", "species") + "</row>"
    '<row r="2">' + _inline("A2", "r000001") + _inline("B2", "Adelie") + "</row>"
)


def _xlsx(path: Path, parts, dimension: str | None = None) -> Path:
    """A one-sheet workbook whose sheet XML is `parts` (streamed in, so it may be huge)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open(_SHEET, "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?>'
                        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>")
            for part in parts:
                sheet.write(part if isinstance(part, bytes) else part.encode())
            sheet.write(b"</sheetData></worksheet>")
    return path


def _xlsx_claiming_a_million_rows(path: Path) -> Path:
    return _xlsx(path, [_XLSX_ROWS], dimension="A1:XFD1048576")


def _xlsx_with_a_far_cell(path: Path) -> Path:
    return _xlsx(path, [_XLSX_ROWS, '<row r="1048576">' + _inline("XFD1048576", "x") + "</row>"])


def _xlsx_zip_bomb(path: Path) -> Path:
    """A sheet of 300 MiB of spaces, packed 1,000 to 1."""
    return _xlsx(path, [_XLSX_ROWS] + [_SPACES] * 18)


def _xlsx_lying_about_its_size(path: Path) -> Path:
    """200 MiB of sheet XML whose archive headers claim 1 KiB (zip64 local header and central
    directory both rewritten): only the declared bytes may be inflated."""
    _xlsx(path, [_XLSX_ROWS] + [_SPACES] * 12)
    data = bytearray(path.read_bytes())
    name = _SHEET.encode()
    local = data.find(b"PK\x03\x04")  # the sheet's local header, found by its name
    while local >= 0 and bytes(data[local + 30: local + 30 + len(name)]) != name:
        local = data.find(b"PK\x03\x04", local + 4)
    extra = local + 30 + len(name)
    assert struct.unpack_from("<HH", data, extra)[0] == 1  # the zip64 field: uncompressed size first
    struct.pack_into("<Q", data, extra + 4, 1024)
    central = data.find(b"PK\x01\x02")
    while bytes(data[central + 46: central + 46 + len(name)]) != name:
        central = data.find(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, central + 24, 1024)
    path.write_bytes(bytes(data))
    return path


_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
)


def _ods(path: Path, rows: str) -> Path:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Sheet1">' + rows
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", _ODS_MANIFEST, zipfile.ZIP_DEFLATED)  # calamine needs it
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


def _ods_cell(text: str, repeated: int = 1) -> str:
    return (f'<table:table-cell office:value-type="string" table:number-columns-repeated="{repeated}">'
            f"<text:p>{text}</text:p></table:table-cell>")


def _ods_repeating_a_cell(path: Path) -> Path:
    """Under 1 KB: one cell repeated over 6,000 rows of 16,384 columns, just under the 100 million
    cells calamine refuses by itself (unbounded, 1,000 such rows took 2 GiB and 14 s)."""
    header = "<table:table-row>" + _ods_cell("id") + _ods_cell("species") + "</table:table-row>"
    bomb = '<table:table-row table:number-rows-repeated="6000">' + _ods_cell("x", 16384) + "</table:table-row>"
    return _ods(path, header + bomb)


def _csv_of_a_million_columns(path: Path) -> Path:
    with open(path, "w") as f:
        f.write(",".join(["id", "species"] + [f"c{i}" for i in range(999_998)]) + "\n")
        f.write(",".join(["r000001", "Adelie"] + ["1"] * 999_998) + "\n")
    return path


def _csv_of_20000_short_columns(path: Path) -> Path:
    names = ["id", "species"] + [f"c{i}" for i in range(19_998)]
    path.write_text(",".join(names) + "\n" + ",".join(["r000001", "Adelie"] + ["1"] * 19_998) + "\n")
    return path


def _jsonl_nested_deeply(path: Path) -> Path:
    path.write_text('{"id": "r000001", "species": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    return path


def _parquet_of_5_million_rows(path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["r000001"] * 5_000_000, "species": ["Adelie"] * 5_000_000}), path)
    return path


def run_bounded(*args) -> subprocess.CompletedProcess:
    """The CLI as a child process with BOUNDED_MEMORY of address space, killed past BOUNDED_SECONDS."""

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (BOUNDED_MEMORY, BOUNDED_MEMORY))

    return subprocess.run([str(ACTIVELEARN), *map(str, args)], capture_output=True, text=True,
                          preexec_fn=limit_memory, timeout=BOUNDED_SECONDS)


ANSWER_BOMBS = [
    (_xlsx_claiming_a_million_rows, "bomb.xlsx",
     " sheet 'Sheet1': claims 1,048,576 rows, more than an answer file may have (100,000); split it into smaller files"),
    (_xlsx_with_a_far_cell, "bomb.xlsx",
     " sheet 'Sheet1': has 1,048,576 rows, more than an answer file may have (100,000); split it into smaller files"),
    (_xlsx_zip_bomb, "bomb.xlsx",
     ": unpacks to 288 MiB, more than an answer file may (256 MiB); if it is a real workbook, save it as CSV"),
    (_xlsx_lying_about_its_size, "bomb.xlsx",
     ": cannot read as XLSX: Bad CRC-32 for file 'xl/worksheets/sheet1.xml'"),
    (_ods_repeating_a_cell, "bomb.ods",
     " sheet 'Sheet1': repeats cells to 16,384 columns, more than an answer file may have (10,000); "
     "keep only the columns needed"),
    (_csv_of_a_million_columns, "bomb.csv",
     ": the header line is longer than 1 MiB; check that the file has line ends, and keep only the columns needed"),
    (_csv_of_20000_short_columns, "bomb.csv",
     ": has 20,000 columns, more than an answer file may have (10,000); keep only the columns needed"),
    (_jsonl_nested_deeply, "bomb.jsonl",
     ' line 1: values nested too deeply to read; an answer is a flat value, as {"id": ..., "label": ...}'),
    (_parquet_of_5_million_rows, "bomb.parquet",
     ": holds 5,000,000 rows, more than an answer file may have (100,000); split it into smaller files"),
]


@pytest.mark.parametrize(("build", "name", "refusal"), ANSWER_BOMBS, ids=[b[0].__name__[1:] for b in ANSWER_BOMBS])
def test_an_answer_file_bomb_is_refused_in_bounded_time_and_memory(penguins_project, tmp_path, build, name, refusal):
    bomb = build(tmp_path / name)
    before = snapshot(penguins_project)
    result = run_bounded("-C", penguins_project, "import-labels", bomb)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"error: {bomb}{refusal}\n"
    assert snapshot(penguins_project) == before


POOL_BOMBS = [
    (_xlsx_claiming_a_million_rows, "bomb.xlsx",
     " sheet 'Sheet1': claims 1,048,576 rows of 16,384 columns, more than the 25,000,000 cells a data file may "
     "have as a spreadsheet; save it as CSV or Parquet"),
    (_xlsx_with_a_far_cell, "bomb.xlsx",
     " sheet 'Sheet1': has 1,048,576 rows of 16,384 columns, more than the 25,000,000 cells a data file may "
     "have as a spreadsheet; save it as CSV or Parquet"),
    (_xlsx_zip_bomb, "bomb.xlsx",
     ": xl/worksheets/sheet1.xml unpacks 229 times its packed size, as no real workbook does (a zip bomb?); "
     "if it is a real workbook, save it as CSV"),
    (_ods_repeating_a_cell, "bomb.ods",
     " sheet 'Sheet1': repeats cells to 6,001 rows of 16,384 columns, more than the 25,000,000 cells a data "
     "file may have as a spreadsheet; save it as CSV or Parquet"),
    (_csv_of_a_million_columns, "bomb.csv",
     ": the header line is longer than 1 MiB; check that the file has line ends, and keep only the columns needed"),
]


@pytest.mark.parametrize(("build", "name", "refusal"), POOL_BOMBS, ids=[b[0].__name__[1:] for b in POOL_BOMBS])
def test_a_data_file_bomb_is_refused_by_init_in_bounded_time_and_memory(tmp_path, build, name, refusal):
    bomb = build(tmp_path / name)
    result = run_bounded("-q", "init", tmp_path / "proj", "--data", bomb, "--label-column", "species")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"error: {bomb}{refusal}\n"
    assert not (tmp_path / "proj").exists()


def test_answer_files_are_parsed_before_the_lock_is_taken(penguins_project, tmp_path, cli):
    """While another command holds the lock, a bomb is still refused for what it is (it was read
    without the lock), and a good file waits for the lock (its answers are applied under it)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from activelearn.project import ProjectPaths, project_lock\n"
         f"with project_lock(ProjectPaths(Path({str(penguins_project)!r}))):\n print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        bomb = _xlsx_claiming_a_million_rows(tmp_path / "bomb.xlsx")
        answers = tmp_path / "answers.csv"
        answers.write_text("id,species\nr000001,Adelie\n")
        before = snapshot(penguins_project)
        refused = cli("-C", penguins_project, "import-labels", bomb)
        waiting = cli("-C", penguins_project, "import-labels", answers)
    finally:
        holder.communicate("")
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr == (f"error: {bomb} sheet 'Sheet1': claims 1,048,576 rows, more than an answer file may "
                              "have (100,000); split it into smaller files\n")
    assert (waiting.exit_code, waiting.stdout) == (75, "")
    assert waiting.stderr == (f"error: {penguins_project}: another activelearn command holds the project lock "
                              "(try again later, or pass --wait SECONDS)\n")
    assert snapshot(penguins_project) == before


def test_the_empty_rows_libreoffice_repeats_are_no_data(penguins_project, tmp_path):
    """LibreOffice ends every ODS sheet with a million empty rows of 1,024 cells, repeated: not
    counted against the limits, as they hold nothing."""
    empty_cells = '<table:table-cell table:number-columns-repeated="1022"/>'
    rows = "".join(f"<table:table-row>{_ods_cell(a)}{_ods_cell(b)}{empty_cells}</table:table-row>"
                   for a, b in (("id", "species"), ("r000001", "Adelie"), ("r000002", "Gentoo")))
    trailing = ('<table:table-row table:number-rows-repeated="1048573">'
                '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>')
    answers = _ods(tmp_path / "answers.ods", rows + trailing)
    result = run_bounded("-C", penguins_project, "import-labels", answers)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("imported 2 labels")


def test_a_normal_import_fits_the_memory_limit(penguins_project, tmp_path):
    """The limit the bombs run under is not what refuses them: a real answer file imports under it."""
    answers = tmp_path / "answers.csv"
    answers.write_text("id,species\nr000001,Adelie\nr000002,Gentoo\n")
    result = run_bounded("-C", penguins_project, "import-labels", answers)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("imported 2 labels")



# === 6. broken project files ===================================================================




# === medium: inbox symlinks, fake annotators, control characters at init, colliding ids, scheduler




# === hostile corpus: tests/fixtures/hostile/ ===================================================
