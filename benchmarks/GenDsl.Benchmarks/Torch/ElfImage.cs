using System.Buffers.Binary;
using System.Text;

namespace GenDsl.Benchmarks.Torch;

/// <summary>
/// A minimal reader/patcher for little-endian ELF64 shared libraries, limited to what the dynamic
/// linker looks at when it loads a library: the dynamic section (.dynamic), the dynamic symbol table
/// (.dynsym), its string table (.dynstr), the symbol versions (.gnu.version), the version needs
/// (.gnu.version_r), the version definitions (.gnu.version_d) and the relocation tables.
/// Everything is located through the program headers and the dynamic section (as ld.so does),
/// so section headers are not needed. The whole file is held in memory; patches edit that copy,
/// <see cref="Save"/> writes it out.
/// </summary>
/// <remarks>
/// Background on symbol versioning (what the patch edits):
/// <list type="bullet">
/// <item>.gnu.version_r lists, for each needed library file (Verneed), the version names this
/// library requires from it (Vernaux: name, SysV ELF hash of the name, flags, and an index).</item>
/// <item>.gnu.version holds one 16-bit index per dynamic symbol: 0 = local, 1 = global
/// (unversioned), otherwise the Vernaux/Verdef index the symbol is bound to (bit 15 = hidden).</item>
/// <item>At load time ld.so checks that every Vernaux name exists in the needed library's
/// .gnu.version_d; a missing one is fatal ("version `GLIBCXX_3.4.32' not found"), even if no
/// symbol bound to it is ever looked up.</item>
/// </list>
/// </remarks>
internal sealed class ElfImage
{
    private const int PT_LOAD = 1, PT_DYNAMIC = 2;
    private const long DT_NULL = 0, DT_NEEDED = 1, DT_PLTRELSZ = 2, DT_HASH = 4, DT_STRTAB = 5, DT_SYMTAB = 6,
        DT_RELA = 7, DT_RELASZ = 8, DT_RELAENT = 9, DT_STRSZ = 10, DT_SYMENT = 11, DT_SONAME = 14, DT_RPATH = 15,
        DT_REL = 17, DT_RELSZ = 18, DT_RELENT = 19, DT_PLTREL = 20, DT_JMPREL = 23, DT_RUNPATH = 29,
        DT_GNU_HASH = 0x6ffffef5, DT_VERSYM = 0x6ffffff0, DT_VERDEF = 0x6ffffffc, DT_VERDEFNUM = 0x6ffffffd,
        DT_VERNEED = 0x6ffffffe, DT_VERNEEDNUM = 0x6fffffff, DT_AUXILIARY = 0x7ffffffd, DT_FILTER = 0x7fffffff;

    /// <summary>Symbol binding "weak" (upper nibble of st_info): an undefined weak symbol resolves to 0.</summary>
    private const byte STB_WEAK = 2;

    /// <summary>.gnu.version index meaning "global, unversioned".</summary>
    public const ushort VersionGlobal = 1;

    private readonly byte[] _data;
    private readonly List<(ulong VAddr, ulong Offset, ulong FileSize)> _loads = new();
    private readonly List<(long Tag, ulong Value)> _dynamic = new();
    private readonly long _strtab, _strsz, _symtab, _versym;
    private readonly int _symCount;

    /// <summary>Where the file came from (for messages).</summary>
    public string Path { get; }

    /// <summary>Every version need (from .gnu.version_r), one entry per (needed file, version name),
    /// as parsed when the file was loaded (not updated by <see cref="RetargetVersionNeed"/>).</summary>
    public IReadOnlyList<VersionNeed> VersionNeeds { get; }

    /// <summary>The version names this file defines (from .gnu.version_d), e.g. "GLIBCXX_3.4.30".</summary>
    public IReadOnlyList<string> VersionDefinitions { get; }

    /// <summary>Number of entries in .dynsym.</summary>
    public int SymbolCount => _symCount;

    /// <summary>One Vernaux entry: this file requires <see cref="Name"/> from <see cref="File"/>.</summary>
    /// <param name="File">The needed library (e.g. "libstdc++.so.6").</param>
    /// <param name="Name">The version name (e.g. "GLIBCXX_3.4.32").</param>
    /// <param name="Index">The index symbols use in .gnu.version to refer to this version.</param>
    /// <param name="Flags">vna_flags (2 = VER_FLG_WEAK).</param>
    /// <param name="EntryOffset">File offset of the Vernaux record.</param>
    /// <param name="NameOffset">Offset of the name in .dynstr.</param>
    public sealed record VersionNeed(string File, string Name, ushort Index, ushort Flags, long EntryOffset, uint NameOffset);

    private ElfImage(string path, byte[] data)
    {
        Path = path;
        _data = data;
        if (data.Length < 64 || data[0] != 0x7f || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F')
            throw Bad("not an ELF file");
        if (data[4] != 2 || data[5] != 1)
            throw Bad("only little-endian ELF64 files are supported");

        // Program headers: PT_LOAD gives the address -> file offset mapping, PT_DYNAMIC the dynamic section.
        ulong phoff = U64(32);
        int phentsize = U16(54), phnum = U16(56);
        long dynOffset = -1, dynSize = 0;
        for (int i = 0; i < phnum; i++)
        {
            long p = checked((long)phoff + (long)i * phentsize);
            uint type = U32(p);
            if (type == PT_LOAD)
                _loads.Add((U64(p + 16), U64(p + 8), U64(p + 32)));
            else if (type == PT_DYNAMIC)
            {
                dynOffset = (long)U64(p + 8);
                dynSize = (long)U64(p + 32);
            }
        }
        if (dynOffset < 0)
            throw Bad("no PT_DYNAMIC program header (a static executable?)");

        for (long p = dynOffset; p + 16 <= dynOffset + dynSize; p += 16)
        {
            long tag = (long)U64(p);
            if (tag == DT_NULL) break;
            _dynamic.Add((tag, U64(p + 8)));
        }

        _strtab = OffsetOf(Required(DT_STRTAB));
        _strsz = (long)Required(DT_STRSZ);
        _symtab = OffsetOf(Required(DT_SYMTAB));
        if (Optional(DT_SYMENT) is { } syment && syment != 24)
            throw Bad($"unexpected symbol entry size {syment}");
        _versym = Optional(DT_VERSYM) is { } vs ? OffsetOf(vs) : -1;
        _symCount = CountSymbols();

        VersionNeeds = ReadVersionNeeds();
        VersionDefinitions = ReadVersionDefinitions();
    }

    /// <summary>Reads and parses an ELF64 file.</summary>
    public static ElfImage Load(string path) => new(path, File.ReadAllBytes(path));

    /// <summary>Writes the (patched) image to <paramref name="path"/>.</summary>
    public void Save(string path) => File.WriteAllBytes(path, _data);

    /// <summary>The SysV ELF hash of a name (the vna_hash / vd_hash fields hold this).</summary>
    public static uint ElfHash(string name)
    {
        uint h = 0;
        foreach (byte c in Encoding.ASCII.GetBytes(name))
        {
            h = (h << 4) + c;
            uint g = h & 0xf0000000;
            if (g != 0) h ^= g >> 24;
            h &= ~g;
        }
        return h;
    }

    /// <summary>The name of dynamic symbol <paramref name="index"/>.</summary>
    public string SymbolName(int index) => Str(U32(SymbolEntry(index)));

    /// <summary>Index of the dynamic symbol named <paramref name="name"/>, or -1.</summary>
    public int FindSymbol(string name)
    {
        for (int i = 1; i < _symCount; i++)
            if (SymbolName(i) == name) return i;
        return -1;
    }

    /// <summary>The .gnu.version index of dynamic symbol <paramref name="index"/> (hidden bit removed).</summary>
    public ushort GetSymbolVersion(int index) =>
        _versym < 0 ? VersionGlobal : (ushort)(U16(_versym + 2L * index) & 0x7fff);

    /// <summary>Sets the .gnu.version index of a symbol (<see cref="VersionGlobal"/> = unversioned).</summary>
    public void SetSymbolVersion(int index, ushort version)
    {
        if (_versym < 0) throw Bad("no .gnu.version table");
        BinaryPrimitives.WriteUInt16LittleEndian(_data.AsSpan(checked((int)(_versym + 2L * index))), version);
    }

    /// <summary>Makes dynamic symbol <paramref name="index"/> weak: if it is undefined and nothing
    /// defines it, the dynamic linker resolves it to address 0 instead of failing.</summary>
    public void MakeSymbolWeak(int index)
    {
        long p = SymbolEntry(index) + 4;
        _data[p] = (byte)((STB_WEAK << 4) | (_data[p] & 0xf));
    }

    /// <summary>Number of relocations (in DT_RELA, DT_REL and DT_JMPREL) that reference dynamic
    /// symbol <paramref name="index"/>. Zero means the dynamic linker never looks the symbol up.</summary>
    public int CountRelocationsAgainst(int index)
    {
        int count = 0;
        void Scan(ulong? addr, ulong? size, long entSize)
        {
            if (addr is null || size is null || size == 0) return;
            long start = OffsetOf(addr.Value);
            for (long p = start; p + entSize <= start + (long)size.Value; p += entSize)
                if ((U64(p + 8) >> 32) == (ulong)index) count++;
        }
        Scan(Optional(DT_RELA), Optional(DT_RELASZ), (long)(Optional(DT_RELAENT) ?? 24));
        Scan(Optional(DT_REL), Optional(DT_RELSZ), (long)(Optional(DT_RELENT) ?? 16));
        Scan(Optional(DT_JMPREL), Optional(DT_PLTRELSZ), Optional(DT_PLTREL) == (ulong)DT_REL ? 16 : 24);
        return count;
    }

    /// <summary>Offset in .dynstr of a NUL-terminated string equal to <paramref name="s"/>, or -1.
    /// Tail matches count (the linker shares suffixes: "GLIBCXX_3.4.30" can sit inside a longer string).</summary>
    public long FindString(string s)
    {
        byte[] needle = Encoding.ASCII.GetBytes(s + "\0");
        var table = _data.AsSpan(checked((int)_strtab), checked((int)_strsz));
        int at = table.IndexOf(needle);
        return at; // IndexOf returns the first match; any match is a valid, NUL-terminated string
    }

    /// <summary>
    /// Makes a version need require <paramref name="newName"/> instead of its current name: the
    /// Vernaux record's name offset and hash are rewritten. If .dynstr already holds the new name the
    /// record simply points to it (nothing else changes); otherwise the old string is overwritten in
    /// place, which requires the same length and that no other reference in the dynamic tables points
    /// into the old string (checked).
    /// </summary>
    public void RetargetVersionNeed(VersionNeed need, string newName)
    {
        long existing = FindString(newName);
        uint nameOffset;
        if (existing >= 0)
        {
            nameOffset = (uint)existing;
        }
        else
        {
            if (newName.Length != need.Name.Length)
                throw Bad($"cannot rename version {need.Name} to {newName} in place: lengths differ and .dynstr has no \"{newName}\"");
            uint start = need.NameOffset, end = start + (uint)need.Name.Length;
            // A reference shares the bytes if its string ends at the same NUL: it starts inside the
            // old name (a suffix) or before it with no NUL in between (the old name is its suffix).
            bool selfSkipped = false;
            foreach (var (what, offset) in StringReferences())
            {
                if (what == "vernaux" && offset == start && !selfSkipped) { selfSkipped = true; continue; }
                if (offset <= end && offset + Str(offset).Length == end)
                    throw Bad($"cannot rename version {need.Name} in place: the string is shared with a {what} reference");
            }
            Encoding.ASCII.GetBytes(newName).CopyTo(_data, _strtab + start);
            nameOffset = start;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(_data.AsSpan((int)need.EntryOffset), ElfHash(newName));
        BinaryPrimitives.WriteUInt32LittleEndian(_data.AsSpan((int)need.EntryOffset + 8), nameOffset);
    }

    /// <summary>Every place the dynamic tables refer to a .dynstr offset (for the sharing check).</summary>
    private IEnumerable<(string What, uint Offset)> StringReferences()
    {
        foreach (var (tag, value) in _dynamic)
            if (tag is DT_NEEDED or DT_SONAME or DT_RPATH or DT_RUNPATH or DT_AUXILIARY or DT_FILTER)
                yield return ("dynamic-entry", (uint)value);
        for (int i = 0; i < _symCount; i++)
            yield return ("symbol-name", U32(SymbolEntry(i)));
        foreach (var v in VersionNeeds)
            yield return ("vernaux", v.NameOffset);
        if (Optional(DT_VERNEED) is { } vn)
        {
            long p = OffsetOf(vn);
            for (ulong i = 0, n = Optional(DT_VERNEEDNUM) ?? 0; i < n; i++)
            {
                yield return ("verneed-file", U32(p + 4));
                uint next = U32(p + 12);
                if (next == 0) break;
                p += next;
            }
        }
        if (Optional(DT_VERDEF) is { } vd)
        {
            long p = OffsetOf(vd);
            for (ulong i = 0, n = Optional(DT_VERDEFNUM) ?? 0; i < n; i++)
            {
                long a = p + U32(p + 12);
                for (int j = 0, cnt = U16(p + 6); j < cnt; j++)
                {
                    yield return ("verdaux", U32(a));
                    uint anext = U32(a + 4);
                    if (anext == 0) break;
                    a += anext;
                }
                uint next = U32(p + 16);
                if (next == 0) break;
                p += next;
            }
        }
    }

    private List<VersionNeed> ReadVersionNeeds()
    {
        var list = new List<VersionNeed>();
        if (Optional(DT_VERNEED) is not { } addr) return list;
        long p = OffsetOf(addr);
        for (ulong i = 0, n = Optional(DT_VERNEEDNUM) ?? 0; i < n; i++)
        {
            // Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32
            string file = Str(U32(p + 4));
            long a = p + U32(p + 8);
            for (int j = 0, cnt = U16(p + 2); j < cnt; j++)
            {
                // Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
                uint nameOffset = U32(a + 8);
                list.Add(new VersionNeed(file, Str(nameOffset), U16(a + 6), U16(a + 4), a, nameOffset));
                uint anext = U32(a + 12);
                if (anext == 0) break;
                a += anext;
            }
            uint next = U32(p + 12);
            if (next == 0) break;
            p += next;
        }
        return list;
    }

    private List<string> ReadVersionDefinitions()
    {
        var list = new List<string>();
        if (Optional(DT_VERDEF) is not { } addr) return list;
        long p = OffsetOf(addr);
        for (ulong i = 0, n = Optional(DT_VERDEFNUM) ?? 0; i < n; i++)
        {
            // Verdef: vd_version u16, vd_flags u16, vd_ndx u16, vd_cnt u16, vd_hash u32, vd_aux u32, vd_next u32.
            // The first Verdaux holds the version's own name (the others name its parents).
            if (U16(p + 6) > 0) list.Add(Str(U32(p + U32(p + 12))));
            uint next = U32(p + 16);
            if (next == 0) break;
            p += next;
        }
        return list;
    }

    /// <summary>Number of dynamic symbols: DT_HASH stores it (nchain); with only DT_GNU_HASH, walk
    /// the chains from the largest bucket start to the chain's end marker (low bit set).</summary>
    private int CountSymbols()
    {
        if (Optional(DT_HASH) is { } hash)
            return checked((int)U32(OffsetOf(hash) + 4));
        if (Optional(DT_GNU_HASH) is not { } gnu)
            throw Bad("neither DT_HASH nor DT_GNU_HASH: cannot size the dynamic symbol table");
        long p = OffsetOf(gnu);
        uint nbuckets = U32(p), symoffset = U32(p + 4), bloomSize = U32(p + 8);
        long buckets = p + 16 + 8L * bloomSize, chains = buckets + 4L * nbuckets;
        uint last = 0;
        for (uint b = 0; b < nbuckets; b++) last = Math.Max(last, U32(buckets + 4L * b));
        if (last < symoffset) return (int)symoffset;
        while ((U32(chains + 4L * (last - symoffset)) & 1) == 0) last++;
        return checked((int)last + 1);
    }

    private long SymbolEntry(int index)
    {
        if ((uint)index >= (uint)_symCount)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{Path} has {_symCount} dynamic symbols.");
        return _symtab + 24L * index;
    }

    private ulong Required(long tag) =>
        Optional(tag) ?? throw Bad($"dynamic section has no tag 0x{tag:x}");

    private ulong? Optional(long tag)
    {
        foreach (var (t, v) in _dynamic)
            if (t == tag) return v;
        return null;
    }

    /// <summary>Translates a virtual address (what .dynamic stores) into a file offset.</summary>
    private long OffsetOf(ulong vaddr)
    {
        foreach (var (va, off, size) in _loads)
            if (vaddr >= va && vaddr < va + size)
                return checked((long)(vaddr - va + off));
        throw Bad($"address 0x{vaddr:x} is not inside any loaded segment");
    }

    private string Str(uint offset)
    {
        if (offset >= _strsz) throw Bad($"string offset {offset} outside .dynstr ({_strsz} bytes)");
        var s = _data.AsSpan(checked((int)(_strtab + offset)));
        int end = s.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? s : s[..end]);
    }

    private ushort U16(long p) => BinaryPrimitives.ReadUInt16LittleEndian(Span(p, 2));
    private uint U32(long p) => BinaryPrimitives.ReadUInt32LittleEndian(Span(p, 4));
    private ulong U64(long p) => BinaryPrimitives.ReadUInt64LittleEndian(Span(p, 8));

    private ReadOnlySpan<byte> Span(long p, int n)
    {
        if (p < 0 || p + n > _data.Length) throw Bad($"read of {n} bytes at {p} is outside the file ({_data.Length} bytes)");
        return _data.AsSpan((int)p, n);
    }

    private InvalidDataException Bad(string what) => new($"{Path}: {what}.");
}
