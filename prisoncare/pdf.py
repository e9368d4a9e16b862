"""HTML to PDF with WeasyPrint, and reading the text back (for tests and checks)."""
import re
import zlib

from weasyprint import HTML


def render_pdf(html: str, base_url: str | None = None) -> bytes:
    return HTML(string=html, base_url=base_url).write_pdf()


# --- reading the text back ---------------------------------------------------------
# WeasyPrint writes subset fonts as Type0/Identity-H with a ToUnicode CMap and
# shows text with hex strings of 2-byte glyph ids. This reader handles exactly
# that: enough to check what a generated document says.

_STREAM = re.compile(rb"(\d+) 0 obj\s*<<(.*?)>>\s*stream\r?\n(.*?)\r?\nendstream", re.S)


def _streams(pdf: bytes) -> dict[int, tuple[bytes, bytes]]:
    out = {}
    for num, header, body in _STREAM.findall(pdf):
        if b"FlateDecode" in header:
            try:
                body = zlib.decompress(body)
            except zlib.error:
                continue
        out[int(num)] = (header, body)
    return out


def _cmaps(streams) -> dict[int, dict[int, str]]:
    maps = {}
    for num, (_h, body) in streams.items():
        if b"begincmap" not in body:
            continue
        table: dict[int, str] = {}
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", body, re.S):
            for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                table[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", body, re.S):
            for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                start = int(dst, 16)
                for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                    table[code] = chr(start + i)
        maps[num] = table
    return maps


def _objects(pdf: bytes, streams) -> dict[int, bytes]:
    """Every object's dictionary text, including those packed in object streams."""
    objs = {int(n): body for n, body in re.findall(rb"(\d+) 0 obj\s*(<<.*?>>)\s*(?:endobj|stream)", pdf, re.S)}
    for header, body in streams.values():
        if b"/ObjStm" not in header:
            continue
        first = int(re.search(rb"/First (\d+)", header).group(1))
        numbers = [int(x) for x in body[:first].split()]
        pairs = list(zip(numbers[::2], numbers[1::2]))
        for i, (num, offset) in enumerate(pairs):
            end = pairs[i + 1][1] if i + 1 < len(pairs) else len(body) - first
            objs[num] = body[first + offset:first + end]
    return objs


def extract_text(pdf: bytes) -> str:
    """The text shown by a WeasyPrint PDF, one line per text object."""
    streams = _streams(pdf)
    cmaps = _cmaps(streams)
    objects = _objects(pdf, streams)
    font_cmap = {}
    for num, body in objects.items():
        m = re.search(rb"/ToUnicode (\d+) 0 R", body)
        if m and int(m.group(1)) in cmaps:
            font_cmap[num] = cmaps[int(m.group(1))]
    fonts: dict[bytes, dict[int, str]] = {}
    for body in objects.values():
        for name, ref in re.findall(rb"/([A-Za-z0-9_.+-]+) (\d+) 0 R", body):
            if int(ref) in font_cmap:
                fonts[name] = font_cmap[int(ref)]
    lines = []
    for header, body in streams.values():
        if b"BT" not in body or b"Tf" not in body:
            continue
        current: dict[int, str] = {}
        line: list[str] = []
        for token in re.finditer(rb"/(\S+)\s+[\d.]+\s+Tf|\[(.*?)\]\s*TJ|<([0-9A-Fa-f]*)>\s*Tj|(ET)|(Tm)", body, re.S):
            if token.group(1):
                current = fonts.get(token.group(1), {})
            elif token.group(2) is not None or token.group(3) is not None:
                hexes = re.findall(rb"<([0-9A-Fa-f]*)>", token.group(2)) if token.group(2) is not None \
                    else [token.group(3)]
                for h in hexes:
                    for i in range(0, len(h), 4):
                        line.append(current.get(int(h[i:i + 4], 16), ""))
            elif line:  # ET or a new text position: a new line
                lines.append("".join(line))
                line = []
    return "\n".join(lines)
