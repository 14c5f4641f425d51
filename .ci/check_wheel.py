"""Check a built fastscore wheel: what a C or typed-Python user needs is in it, and nothing bulky.

Usage: python .ci/check_wheel.py WHEEL CSRC_DIR   (prints the wheel's and the extension's sizes)

In: fastscore/include/ with fastscore.c and every header of CSRC_DIR, py.typed,
the LICENSE, the compiled extensions. Out: the generated _kernel.c and _text.c, and debug
information (.debug_* sections) or a symbol table in the extension.
"""
import os
import struct
import sys
import zipfile


def elf_section_names(data):
    """Section names of an ELF file (32- or 64-bit, either byte order), from its section header table."""
    if data[:4] != b"\x7fELF":
        raise ValueError("not an ELF file")
    wide, order = data[4] == 2, "<" if data[5] == 1 else ">"
    if wide:
        shoff, = struct.unpack_from(order + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH", data, 0x3A)
        field = order + "I4xQQQ"  # sh_name, sh_type, sh_flags, sh_addr, sh_offset
    else:
        shoff, = struct.unpack_from(order + "I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH", data, 0x2E)
        field = order + "I4xIII"
    headers = [struct.unpack_from(field, data, shoff + i * shentsize) for i in range(shnum)]
    strings = headers[shstrndx][-1]
    return [data[strings + h[0]:data.index(b"\0", strings + h[0])].decode() for h in headers]


#: The compiled extensions a wheel carries: the kernel and the text counter.
EXTENSIONS = ("_kernel", "_text")


def main(wheel, csrc):
    names = zipfile.ZipFile(wheel).namelist()
    problems = []
    needed = ["fastscore/py.typed", "fastscore/include/fastscore.c"] + sorted(
        "fastscore/include/" + f for f in os.listdir(csrc) if f.endswith(".h"))
    problems += [f"missing {n}" for n in needed if n not in names]
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        problems.append("missing the LICENSE in .dist-info/licenses/")
    problems += [f"carries the generated {n}" for n in names if n.endswith(("_kernel.c", "_text.c"))]
    modules = []
    for extension in EXTENSIONS:
        found = [n for n in names if n.startswith(f"fastscore/{extension}.") and n.endswith((".so", ".pyd"))]
        if len(found) != 1:
            problems.append(f"expected one compiled {extension}, found {found}")
        modules += found
    with zipfile.ZipFile(wheel) as z:
        for module in modules:
            data = z.read(module)
            print(f"extension {module}: {len(data):,} bytes")
            if module.endswith(".so"):
                sections = elf_section_names(data)
                problems += [f"{module} has section {s}" for s in sections
                             if s.startswith((".debug_", ".zdebug_")) or s == ".symtab"]
    print(f"wheel {os.path.basename(wheel)}: {os.path.getsize(wheel):,} bytes")
    for problem in problems:
        print(f"ci: the wheel {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
