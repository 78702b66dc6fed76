"""What qemu/size and qemu/bench share: the ELF reader, the table of
qemu/targets, and building pidone through qemu/build.

`Elf` reads the headers of a little-endian ELF file, 32- or 64-bit (every
architecture of qemu/targets is little-endian).
"""

import os
import struct
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

ET_NAMES = {0: "NONE", 1: "REL", 2: "EXEC", 3: "DYN", 4: "CORE"}
ET_EXEC = 2
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
PT_GNU_STACK = 0x6474E551
PT_NAMES = {
    0: "NULL", 1: "LOAD", 2: "DYNAMIC", 3: "INTERP", 4: "NOTE", 6: "PHDR", 7: "TLS",
    0x70000001: "ARM_EXIDX", 0x70000003: "RISCV_ATTRIBUTES",
    0x6474E550: "GNU_EH_FRAME", PT_GNU_STACK: "GNU_STACK", 0x6474E552: "GNU_RELRO",
    0x6474E553: "GNU_PROPERTY",
}
PF_X, PF_W, PF_R = 1, 2, 4
SHT_SYMTAB = 2
SHT_NOBITS = 8
SHF_ALLOC = 2

# (header after e_ident, program header, section header) per ELF class.
_LAYOUTS = {
    1: ("<HHIIIIIHHHHHH", "<IIIIIIII", "<IIIIIIIIII"),
    2: ("<HHIQQQIHHHHHH", "<IIQQQQQQ", "<IIQQQQIIQQ"),
}
_SEGMENT_FIELDS = {
    1: ("type", "offset", "vaddr", "paddr", "filesz", "memsz", "flags", "align"),
    2: ("type", "flags", "offset", "vaddr", "paddr", "filesz", "memsz", "align"),
}
_SECTION_FIELDS = ("name", "type", "flags", "addr", "offset", "size", "link", "info",
                   "addralign", "entsize")


class Unreadable(Exception):
    """The file is not a little-endian ELF file this module can read."""


class Elf:
    """The headers of a little-endian ELF file: `segments` and `sections`
    are lists of dicts named as the ELF specification names the fields."""

    def __init__(self, data: bytes):
        if len(data) < 52 or data[:4] != b"\x7fELF":
            raise Unreadable("not an ELF file")
        if data[4] not in _LAYOUTS or data[5] != 1:
            raise Unreadable("not a little-endian ELF file")
        self.data, self.bits = data, 32 * data[4]
        header, segment, section = _LAYOUTS[data[4]]
        try:
            (
                self.type, self.machine, _version, self.entry, self.phoff, self.shoff,
                _flags, self.ehsize, self.phentsize, self.phnum, self.shentsize,
                self.shnum, self.shstrndx,
            ) = struct.unpack_from(header, data, 16)
            self.segments = [
                dict(zip(_SEGMENT_FIELDS[data[4]],
                         struct.unpack_from(segment, data, self.phoff + i * self.phentsize)))
                for i in range(self.phnum)
            ]
            self.sections = [
                dict(zip(_SECTION_FIELDS,
                         struct.unpack_from(section, data, self.shoff + i * self.shentsize)))
                for i in range(self.shnum)
            ]
        except struct.error as error:
            raise Unreadable(f"truncated ELF headers ({error})")
        if self.sections and self.shstrndx < len(self.sections):
            names = self.sections[self.shstrndx]
            for s in self.sections:
                start = names["offset"] + s["name"]
                s["name"] = data[start:data.index(b"\0", start)].decode(errors="replace")
        else:
            for s in self.sections:
                s["name"] = "?"

    def needs_loader(self) -> bool:
        """Whether it names a dynamic loader (PT_INTERP)."""
        return any(s["type"] == PT_INTERP for s in self.segments)

    def has_symbols(self) -> bool:
        """Whether it has a symbol table (is not stripped)."""
        return any(s["type"] == SHT_SYMTAB for s in self.sections)

    def layout(self):
        """Every byte of the file as (offset, size, what), padding included."""
        parts = [(0, self.ehsize, "ELF header")]
        if self.phnum:
            parts.append((self.phoff, self.phnum * self.phentsize,
                          f"program headers ({self.phnum} x {self.phentsize})"))
        for s in self.sections[1:]:
            if s["type"] != SHT_NOBITS and s["size"]:
                parts.append((s["offset"], s["size"], s["name"]))
        if not self.sections:
            # No section headers (strip_section_headers): the segments,
            # after the headers the first one holds.
            headers_end = self.phoff + self.phnum * self.phentsize
            for i, s in enumerate(self.segments):
                start = max(s["offset"], headers_end)
                if s["type"] == PT_LOAD and s["offset"] + s["filesz"] > start:
                    parts.append((start, s["offset"] + s["filesz"] - start, f"LOAD #{i}"))
        if self.shnum:
            parts.append((self.shoff, self.shnum * self.shentsize,
                          f"section headers ({self.shnum} x {self.shentsize})"))
        parts.sort()
        rows, at = [], 0
        for offset, size, what in parts:
            if offset > at:
                rows.append((at, offset - at, "(padding)"))
            rows.append((offset, size, what))
            at = max(at, offset + size)
        if at < len(self.data):
            rows.append((at, len(self.data) - at, "(padding)"))
        return rows


def strip_section_headers(path: Path) -> int:
    """Drops the section header table, and the section names only it
    points to, from the ELF file at `path` (as ELFkickers' sstrip does):
    the kernel maps the program headers' segments and reads nothing else,
    so what follows the last segment in the file is never loaded. Returns
    how many bytes went. The file is replaced, not written in place: cargo
    hard-links its binaries."""
    data = path.read_bytes()
    elf = Elf(data)
    headers_end = elf.phoff + elf.phnum * elf.phentsize
    end = max([headers_end] + [s["offset"] + s["filesz"] for s in elf.segments
                               if s["type"] == PT_LOAD])
    stripped = bytearray(data[:end])
    # e_shoff, then e_shentsize, e_shnum and e_shstrndx: no table.
    if elf.bits == 64:
        struct.pack_into("<Q", stripped, 0x28, 0)
        struct.pack_into("<HHH", stripped, 0x3A, 0, 0, 0)
    else:
        struct.pack_into("<I", stripped, 0x20, 0)
        struct.pack_into("<HHH", stripped, 0x2E, 0, 0, 0)
    temporary = path.with_name(path.name + ".stripping")
    temporary.write_bytes(stripped)
    temporary.chmod(path.stat().st_mode)
    temporary.replace(path)
    return len(data) - len(stripped)


class Target:
    """One line of qemu/targets."""

    def __init__(self, arch, target, std, qemu, machine, release):
        self.arch, self.target, self.std, self.qemu = arch, target, std, qemu
        self.machine, self.release = int(machine), release


def targets() -> list:
    """The architectures of qemu/targets, in its order."""
    rows = []
    for line in (REPO / "qemu" / "targets").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            rows.append(Target(*line.split()))
    return rows


def build(arch: str, nightly: bool = False, env=None, features: str = "",
          section_headers: bool = False) -> Path:
    """Builds pidone's release binary for `arch` with qemu/build (`nightly`:
    with the nightly and `-Zbuild-std=core` even where rust-std is
    prebuilt; `features`: Cargo.toml's, e.g. "full"), without its section
    headers as qemu/release ships it unless `section_headers`; returns its
    path. Raises CalledProcessError, with cargo's output, when the build
    fails."""
    command = [str(REPO / "qemu" / "build"), "--release"] + (["--nightly"] if nightly else [])
    command += ["--features", features] if features else []
    command += [] if section_headers else ["--no-section-headers"]
    result = subprocess.run(command + [arch], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise subprocess.CalledProcessError(result.returncode, command + [arch],
                                            result.stdout, result.stderr)
    return Path(result.stdout.strip().splitlines()[-1])


def target_dir() -> Path:
    """CARGO_TARGET_DIR, as cargo and qemu/build read it (default target/)."""
    return REPO / os.environ.get("CARGO_TARGET_DIR", "target")


if __name__ == "__main__":
    # qemu/build's one use of this module: strip-section-headers FILE...
    import sys
    if len(sys.argv) < 3 or sys.argv[1] != "strip-section-headers":
        raise SystemExit("usage: qemu/shared.py strip-section-headers FILE...")
    for name in sys.argv[2:]:
        strip_section_headers(Path(name))
