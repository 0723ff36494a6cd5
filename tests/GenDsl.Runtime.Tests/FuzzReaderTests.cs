using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using GenDsl.IO;
using Xunit.Abstractions;

namespace GenDsl.Runtime.Tests;

/// <summary>
/// Issue #15: every reader, fed thousands of mutated files (fixed seeds), either reads them cleanly
/// or throws a <see cref="DataFormatException"/> / <see cref="InvalidDataException"/> naming the
/// file, and never allocates much more than the file holds. Each test stops after its time budget
/// (the cases are fast: the whole class takes a few seconds).
/// </summary>
public sealed class FuzzReaderTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(12);

    // ---- CSV ----

    private static byte[] CsvSeed(int variant)
    {
        var rng = new Random(variant);
        var sb = new StringBuilder();
        if (variant == 1)
            sb.Append('\uFEFF').Append("x,\"y\",z,label\r\n");
        for (int r = 0; r < 24; r++)
        {
            string newline = variant == 1 ? "\r\n" : "\n";
            double x = rng.NextDouble() * 4 - 2, y = Math.Exp(rng.NextDouble() * 20 - 10), z = rng.Next(-5, 6);
            sb.Append(CultureInfo.InvariantCulture, $"{x:R},{(r % 5 == 0 ? $"\"{y:E3}\"" : y.ToString("G6", CultureInfo.InvariantCulture))}, {z} ,{r % 3}{newline}");
            if (r % 7 == 3)
                sb.Append(newline);
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    [Fact]
    public void CsvReaderSurvivesMutatedFiles()
    {
        const string name = "fuzz.csv";
        var harness = new FuzzHarness(name, output);
        byte[][] seeds = [CsvSeed(0), CsvSeed(1)];
        harness.Run(10_000, Budget, i =>
        {
            var m = new FuzzMutator(1500 + i);
            byte[] seed = seeds[i % seeds.Length];
            byte[] file = m.Next(2) == 0 ? m.MutateText(seed) : m.MutateBytes(seed, 64);
            int mode = m.Next(4);
            harness.Check(file, file.Length, () =>
            {
                using var stream = new MemoryStream(file, writable: false);
                _ = mode switch
                {
                    0 => CsvReader.Read(stream, name),
                    1 => CsvReader.Read(stream, name, hasHeader: null, labelColumn: -1),
                    2 => CsvReader.Read(stream, name, hasHeader: false, allowNaN: true),
                    _ => CsvReader.Read(stream, name, hasHeader: true, labelColumn: 0),
                };
            }, () => $"seed {i % seeds.Length}, read mode {mode}: {string.Join("; ", m.Log)}");
        });
    }

    // ---- NPY ----

    internal static byte[] Npy(int major, string descr, string shape, byte[] data)
    {
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        int prefix = major == 1 ? 10 : 12;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        string header = dict.PadRight(total - prefix - 1) + "\n";
        var bytes = new byte[prefix + header.Length + data.Length];
        NpyReader.Magic.CopyTo(bytes);
        bytes[6] = (byte)major;
        if (major == 1)
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        else
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)header.Length);
        Encoding.Latin1.GetBytes(header).CopyTo(bytes, prefix);
        data.CopyTo(bytes, prefix + header.Length);
        return bytes;
    }

    private static byte[] Floats(int count, int seed)
    {
        var rng = new Random(seed);
        var bytes = new byte[4 * count];
        for (int i = 0; i < count; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), (float)(rng.NextDouble() * 10 - 5));
        return bytes;
    }

    private static byte[] Doubles(int count, int seed)
    {
        var rng = new Random(seed);
        var bytes = new byte[8 * count];
        for (int i = 0; i < count; i++)
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i), rng.NextDouble() * 1e6 - 5e5);
        return bytes;
    }

    private static int NpyHeaderEnd(byte[] npy) =>
        npy[6] == 1 ? 10 + BinaryPrimitives.ReadUInt16LittleEndian(npy.AsSpan(8)) : 12 + (int)BinaryPrimitives.ReadUInt32LittleEndian(npy.AsSpan(8));

    /// <summary>Mutates the header dict as text and (usually) rewrites the header length to match, so that the parser sees the change.</summary>
    private static byte[] MutateNpyHeader(FuzzMutator m, byte[] npy)
    {
        int prefix = npy[6] == 1 ? 10 : 12;
        int end = NpyHeaderEnd(npy);
        byte[] header = m.MutateText(npy[prefix..end]);
        byte[] result = [.. npy.AsSpan(0, prefix), .. header, .. npy.AsSpan(end)];
        if (m.Next(5) != 0)
        {
            if (prefix == 10) BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)header.Length);
            else BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)header.Length);
            m.Log.Add($"header length set to {header.Length}");
        }
        return result;
    }

    internal static byte[][] NpySeeds() =>
    [
        Npy(1, "<f4", "(12, 3)", Floats(36, 1)),
        Npy(2, "<f8", "(10,)", Doubles(10, 2)),
        Npy(1, "|u1", "(6, 4)", Enumerable.Range(0, 24).Select(i => (byte)(i * 11)).ToArray()),
        Npy(3, "<f4", "(0, 2)", []),
    ];

    [Fact]
    public void NpyReaderSurvivesMutatedFiles()
    {
        const string name = "fuzz.npy";
        var harness = new FuzzHarness(name, output);
        byte[][] seeds = NpySeeds();
        harness.Run(16_000, Budget, i =>
        {
            var m = new FuzzMutator(2500 + i);
            byte[] seed = seeds[i % seeds.Length];
            byte[] file = m.Next(2) == 0 ? MutateNpyHeader(m, seed) : m.MutateBytes(seed, NpyHeaderEnd(seed) + 8);
            bool allowNaN = m.Next(2) == 0;
            bool gzipped = i % 4 == 3; // the reader then learns the length from the header as it decompresses
            if (gzipped)
                file = Gzip(file);
            harness.Check(file, gzipped ? DecompressedLength(file) : file.Length, () =>
            {
                using var stream = new MemoryStream(file, writable: false);
                NpyReader.Read(stream, name, allowNaN);
            }, () => $"seed {i % seeds.Length}, allowNaN {allowNaN}{(gzipped ? ", then gzipped" : "")}: {string.Join("; ", m.Log)}");
        });
    }

    // ---- IDX ----

    internal static byte[] Idx(byte type, int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    private static byte[] Pattern(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    internal static byte[][] IdxSeeds() =>
    [
        Idx(0x08, [12, 3, 3], Pattern(108, 1)),
        Idx(0x08, [12], Enumerable.Range(0, 12).Select(i => (byte)(i % 10)).ToArray()),
        Idx(0x0B, [5, 2, 2], Pattern(40, 2)),
        Idx(0x0D, [6, 2], Enumerable.Range(0, 12).SelectMany(i => BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(BitConverter.SingleToInt32Bits(i * 0.5f)))).ToArray()),
        Idx(0x0C, [8], Enumerable.Range(0, 8).SelectMany(i => BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(i))).ToArray()),
        Idx(0x0E, [4, 3], Pattern(96, 3)),
    ];

    private static void ReadIdx(byte[] file, string name, int mode)
    {
        using var stream = new MemoryStream(file, writable: false);
        switch (mode)
        {
            case 0: IdxReader.ReadImages(stream, name); break;
            case 1: IdxReader.ReadLabels(stream, name); break;
            default: IdxReader.ReadImages(stream, name, scale: false, allowNaN: true); break;
        }
    }

    [Fact]
    public void IdxReaderSurvivesMutatedFiles()
    {
        const string name = "fuzz-idx3-ubyte";
        var harness = new FuzzHarness(name, output);
        byte[][] seeds = IdxSeeds();
        harness.Run(16_000, Budget, i =>
        {
            var m = new FuzzMutator(3500 + i);
            byte[] seed = seeds[i % seeds.Length];
            byte[] file = m.MutateBytes(seed, 4 + 4 * seed[3]);
            int mode = m.Next(3);
            harness.Check(file, file.Length, () => ReadIdx(file, name, mode),
                () => $"seed {i % seeds.Length}, mode {mode}: {string.Join("; ", m.Log)}");
        });
    }

    internal static byte[] Gzip(byte[] bytes, CompressionLevel level = CompressionLevel.Optimal)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, level))
            gzip.Write(bytes);
        return output.ToArray();
    }

    /// <summary>How many bytes a (possibly corrupt) gzip stream decompresses to before it ends or fails.</summary>
    internal static long DecompressedLength(byte[] gz)
    {
        if (gz.Length < 2 || gz[0] != 0x1f || gz[1] != 0x8b)
            return gz.Length;
        long total = 0;
        var buffer = new byte[1 << 16];
        try
        {
            using var gzip = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
            int n;
            while ((n = gzip.Read(buffer)) > 0 && total < 1L << 30)
                total += n;
        }
        catch (InvalidDataException)
        {
        }
        return Math.Max(total, gz.Length);
    }

    [Fact]
    public void GzippedIdxSurvivesMutatedFiles()
    {
        const string name = "fuzz-idx3-ubyte.gz";
        var harness = new FuzzHarness(name, output);
        byte[][] seeds = IdxSeeds();
        byte[][] gzipped = [.. seeds.Select(s => Gzip(s))];
        harness.Run(6000, Budget, i =>
        {
            var m = new FuzzMutator(4500 + i);
            int s = i % seeds.Length;
            // Half the cases damage the gzip stream itself, half gzip a damaged IDX file (the reader sees the damage after decompressing).
            byte[] file = i % 2 == 0 ? m.MutateBytes(gzipped[s], 24) : Gzip(m.MutateBytes(seeds[s], 4 + 4 * seeds[s][3]));
            int mode = m.Next(3);
            harness.Check(file, DecompressedLength(file), () => ReadIdx(file, name, mode),
                () => $"seed {s}, {(i % 2 == 0 ? "gzip stream mutated" : "IDX mutated, then gzipped")}, mode {mode}: {string.Join("; ", m.Log)}");
        });
    }

    // ---- safetensors ----

    internal static byte[] SafeTensorsSeed(int variant)
    {
        using var files = new ReaderTestFiles();
        string path = files.PathOf("seed.safetensors");
        float[] Values(int n) => Enumerable.Range(0, n).Select(i => MathF.Sin(i * 0.7f + variant)).ToArray();
        TensorEntry[] tensors = variant switch
        {
            0 =>
            [
                new("C1.s.0.weight", [3, 5], Values(15)),
                new("C1.s.0.bias", [5], Values(5)),
                new("scale", [], Values(1)),
                new("empty", [0, 4], Array.Empty<float>()),
                new("Ω.unicode", [2, 1, 2], Values(4)),
            ],
            1 => [new("w", [4, 4], Values(16))],
            _ => [],
        };
        var metadata = variant == 2 ? null : new Dictionary<string, string> { ["gendsl.model"] = "M", ["gendsl.step"] = "12", ["note"] = "π \"q\"" };
        SafeTensors.Write(path, tensors, metadata);
        return File.ReadAllBytes(path);
    }

    private static int SafeTensorsHeaderEnd(byte[] file) => 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(file);

    private static readonly Regex s_entry = new(@"""(?:[^""\\]|\\.)*"":\{[^{}]*\}", RegexOptions.CultureInvariant);
    private static readonly Regex s_offsets = new(@"""data_offsets"":\[(\d+),(\d+)\]", RegexOptions.CultureInvariant);

    /// <summary>Structural changes of a safetensors header: a duplicated or nested entry, offsets swapped, overlapping, out of order or huge.</summary>
    private static string MutateSafeTensorsStructure(FuzzMutator m, string header)
    {
        var entries = s_entry.Matches(header);
        var offsets = s_offsets.Matches(header);
        switch (m.Next(5))
        {
            case 0 when entries.Count > 0:
            {
                Match e = entries[m.Next(entries.Count)];
                m.Log.Add($"duplicate entry {e.Value[..Math.Min(20, e.Length)]}");
                return header.Insert(e.Index + e.Length, "," + e.Value);
            }
            case 1 when entries.Count > 0:
            {
                Match e = entries[m.Next(entries.Count)];
                int colon = e.Value.IndexOf(":{", StringComparison.Ordinal);
                m.Log.Add($"nest entry {e.Value[..colon]}");
                return header.Remove(e.Index, e.Length).Insert(e.Index, e.Value[..(colon + 1)] + "{\"inner\":" + e.Value[(colon + 1)..] + "}");
            }
            case 2 when offsets.Count > 1:
            {
                int a = m.Next(offsets.Count), b = (a + 1 + m.Next(offsets.Count - 1)) % offsets.Count;
                m.Log.Add($"swap data_offsets {a} and {b}");
                var (first, second) = a < b ? (offsets[a], offsets[b]) : (offsets[b], offsets[a]);
                return header[..first.Index] + second.Value + header[(first.Index + first.Length)..second.Index] + first.Value + header[(second.Index + second.Length)..];
            }
            case 3 when offsets.Count > 0:
            {
                Match o = offsets[m.Next(offsets.Count)];
                long begin = long.Parse(o.Groups[1].Value, CultureInfo.InvariantCulture), end = long.Parse(o.Groups[2].Value, CultureInfo.InvariantCulture);
                (long, long)[] choices = [(0, end - begin), (begin - 4, end - 4), (begin + 4, end + 4), (begin, end + (1L << 40)), (begin + (1L << 40), end + (1L << 40)), (end, begin), (long.MaxValue - 4, long.MaxValue), (begin, begin)];
                var (nb, ne) = m.Pick(choices);
                m.Log.Add($"data_offsets [{begin},{end}] → [{nb},{ne}]");
                return header[..o.Index] + $"\"data_offsets\":[{nb},{ne}]" + header[(o.Index + o.Length)..];
            }
            default:
            {
                // A whole entry replaced by an odd but syntactically valid one.
                string[] odd =
                [
                    "\"t\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,4]}",
                    "\"t\":{\"dtype\":\"F32\",\"shape\":[65536,65536],\"data_offsets\":[0,17179869184]}",
                    "\"t\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}",
                    "\"t\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}",
                    "\"t\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}",
                    "\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",\"4\"]}",
                    "\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,true]}",
                    "\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[null,4]}",
                    "\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"0\":4}}",
                    "\"t\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}",
                    "\"t\":{\"dtype\":\"F32\",\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,4]}",
                    "\"t\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}",
                    "\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}",
                    "\"t\":{\"dtype\":\"\\udfff\",\"shape\":[1],\"data_offsets\":[0,4]}",
                    "\"__metadata__\":{\"k\":1}",
                    "\"__metadata__\":{\"k\":\"\\ud800\"}",
                    "\"__metadata__\":{\"\\ud800\":\"v\"}",
                    "\"__metadata__\":[]",
                    "\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}",
                ];
                string replacement = m.Pick(odd);
                m.Log.Add($"entry → {replacement}");
                if (entries.Count == 0)
                    return header.TrimEnd().TrimEnd('}') + (header.Contains(':') ? "," : "") + replacement + "}";
                Match e = entries[m.Next(entries.Count)];
                return header.Remove(e.Index, e.Length).Insert(e.Index, replacement);
            }
        }
    }

    private static byte[] MutateSafeTensors(FuzzMutator m, byte[] seed)
    {
        int end = SafeTensorsHeaderEnd(seed);
        int kind = m.Next(10);
        if (kind < 4)
            return m.MutateBytes(seed, end);
        byte[] header = kind < 8
            ? m.MutateText(seed[8..end])
            : Encoding.UTF8.GetBytes(MutateSafeTensorsStructure(m, Encoding.UTF8.GetString(seed, 8, end - 8)));
        byte[] result = [.. seed.AsSpan(0, 8), .. header, .. seed.AsSpan(end)];
        if (m.Next(6) != 0)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)header.Length);
            m.Log.Add($"header length set to {header.Length}");
        }
        return result;
    }

    internal static void ReadSafeTensorsFully(byte[] file, string name)
    {
        using var stream = new MemoryStream(file, writable: false);
        var st = SafeTensors.Read(stream, name);
        foreach (string tensor in st.Names)
        {
            _ = st.Shape(tensor);
            _ = st.ToArray(tensor);
        }
        _ = st.Metadata.Count;
    }

    [Fact]
    public void SafeTensorsReaderSurvivesMutatedFiles()
    {
        const string name = "fuzz.safetensors";
        var harness = new FuzzHarness(name, output);
        byte[][] seeds = [SafeTensorsSeed(0), SafeTensorsSeed(1), SafeTensorsSeed(2)];
        harness.Run(25_000, Budget, i =>
        {
            var m = new FuzzMutator(5500 + i);
            int s = i % 7 == 6 ? 2 : i % 2; // the empty file less often
            byte[] file = MutateSafeTensors(m, seeds[s]);
            harness.Check(file, file.Length, () => ReadSafeTensorsFully(file, name),
                () => $"seed {s}: {string.Join("; ", m.Log)}");
        });
    }
}
