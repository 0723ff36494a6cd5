using System.Buffers.Binary;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using GenDsl.IO;
using Xunit.Abstractions;

namespace GenDsl.Models.Tests;

/// <summary>
/// Issue #15: a generated model's <c>Load</c>, given thousands of mutated copies of a checkpoint it
/// saved (fixed seeds), either loads cleanly or throws a <see cref="DataFormatException"/> /
/// <see cref="InvalidDataException"/> naming the file — and after a failed load the model is
/// exactly as before: its parameters bit for bit, its noise position, and every other field of
/// primitive type (such as a flow's "ActNorm initialised" flag).
/// </summary>
public sealed class CheckpointFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const string FileName = "fuzz.safetensors";

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("gendsl-ckpt-fuzz-");

    public void Dispose() => _folder.Delete(recursive: true);

    /// <summary>What a failed load must leave untouched.</summary>
    private sealed record State(int[] ParameterBits, ulong? NoisePosition, string Fields)
    {
        public static State Of(IGenerativeModel model) => new(
            MemoryMarshal.Cast<float, int>(model.Parameters.Span).ToArray(),
            (model as INoisyModel)?.NoisePosition,
            string.Join(", ", PrimitiveFields(model.GetType()).Select(f => $"{f.Name} = {f.GetValue(model)}")));

        private static FieldInfo[] PrimitiveFields(Type type) =>
            type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Where(f => f.FieldType.IsPrimitive).ToArray();

        public string Difference(State other) =>
            !ParameterBits.AsSpan().SequenceEqual(other.ParameterBits) ? $"parameter {ParameterBits.AsSpan().CommonPrefixLength(other.ParameterBits)} changed"
            : NoisePosition != other.NoisePosition ? $"NoisePosition changed from {NoisePosition} to {other.NoisePosition}"
            : Fields != other.Fields ? $"fields changed from [{Fields}] to [{other.Fields}]"
            : "";
    }

    public static TheoryData<string> Models => new() { "MoonsFlow", "DigitsFlow", "DigitsVae", "RingGan" };

    private static IGenerativeModel Create(string which, ulong seed)
    {
        var options = new ModelOptions { MaxBatch = 4, Seed = seed };
        IGenerativeModel model = which switch
        {
            "MoonsFlow" => new MoonsFlow(options),
            "DigitsFlow" => new DigitsFlow(options),
            "DigitsVae" => new DigitsVae(options),
            _ => new RingGan(options),
        };
        if (model is INoisyModel noisy)
            noisy.NoisePosition = 1000 + seed;
        return model;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void LoadOfAMutatedCheckpointIsCleanOrLeavesTheModelUntouched(string which)
    {
        // The checkpoint comes from another seed, so that a load that copied anything is visible.
        string savedPath = Path.Combine(_folder.FullName, "saved.safetensors");
        Create(which, seed: 1).Save(savedPath, step: 42);
        byte[] saved = File.ReadAllBytes(savedPath);
        string path = Path.Combine(_folder.FullName, FileName);

        // A fixed number of cases (the same on every run, however busy the machine): DigitsFlow's checkpoint is
        // 2 MB, so it gets fewer (about 3 s on a quiet 2-core box; each case writes and loads the file).
        int iterations = which == "DigitsFlow" ? 250 : 2000;
        var clock = Stopwatch.StartNew();
        var model = Create(which, seed: 2);
        var before = State.Of(model);
        int clean = 0, rejected = 0, i = 0;
        var escapes = new List<string>();
        for (; i < iterations; i++)
        {
            var mutator = new CheckpointMutator(new Random(7000 + i));
            byte[] file = mutator.Mutate(saved);
            File.WriteAllBytes(path, file);
            Exception? error = Record.Exception(() => model.Load(path));
            if (error is null)
            {
                clean++;
                model = Create(which, seed: 2); // a fresh model (ActNorm flag and all) for the next case
                before = State.Of(model);
                continue;
            }
            rejected++;
            string problem = error is DataFormatException or InvalidDataException && error.Message.Contains(FileName, StringComparison.Ordinal)
                ? before.Difference(State.Of(model))
                : $"{error.GetType().Name}: {error.Message}";
            if (problem.Length > 0)
                escapes.Add($"case {i} ({string.Join("; ", mutator.Log)}): {problem}{(problem.Contains(':') ? "" : $" after {error.GetType().Name}: {error.Message}")}");
        }
        output.WriteLine($"{which}: {i} mutated checkpoints of {saved.Length:N0} bytes in {clock.Elapsed.TotalSeconds:F1} s: {clean} clean loads, {rejected} rejected, {escapes.Count} escapes");
        Assert.True(escapes.Count == 0, $"{escapes.Count} of {i} loads escaped:\n" + string.Join("\n", escapes.Take(10)));
        Assert.True(clean > 0 && rejected > 0, $"expected both clean loads and rejections ({clean}, {rejected})");
    }

    /// <summary>
    /// Mutations of a checkpoint: of its header as JSON (shapes, names, dtypes, offsets, metadata
    /// changed; entries dropped or added; the length field kept in step), or of its bytes (bit flips
    /// in the header or the data, truncation, an odd length field, invalid UTF-8).
    /// </summary>
    private sealed class CheckpointMutator(Random random)
    {
        private const string Metadata = "__metadata__";

        public List<string> Log { get; } = [];

        private static readonly string[] s_oddValues =
            ["", "x", "-1", "0", "1e3", "99999999999999999999", "18446744073709551615", "9223372036854775808", " 5", "5 ", "\0", "MoonsFlow", "GenDsl.Models.RingGan"];

        public byte[] Mutate(byte[] saved)
        {
            int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(saved);
            int kind = random.Next(10);
            if (kind < 6)
                return MutateHeader(saved, headerLength);
            var bytes = (byte[])saved.Clone();
            switch (kind)
            {
                case 6:
                {
                    int flips = 1 + random.Next(4);
                    for (int f = 0; f < flips; f++)
                    {
                        int at = random.Next(2) == 0 ? random.Next(8 + headerLength) : random.Next(bytes.Length);
                        bytes[at] ^= (byte)(1 << random.Next(8));
                        Log.Add($"flip a bit of byte {at}");
                    }
                    return bytes;
                }
                case 7:
                {
                    int keep = random.Next(2) == 0 ? random.Next(8 + headerLength + 8) : bytes.Length - 1 - random.Next(64);
                    Log.Add($"truncate to {keep}");
                    return bytes[..keep];
                }
                case 8:
                {
                    long[] lengths = [0, 1, headerLength - 1, headerLength + 1, headerLength + 8, bytes.Length - 8, bytes.Length, 1L << 31, 1L << 40, -1];
                    long value = lengths[random.Next(lengths.Length)];
                    BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
                    Log.Add($"header length {value}");
                    return bytes;
                }
                default:
                {
                    byte[][] bad = [[0xFF], [0xC0, 0x80], [0xED, 0xB0, 0x80], [0xE2, 0x28, 0xA1]];
                    byte[] b = bad[random.Next(bad.Length)];
                    int at = 9 + random.Next(headerLength - 2);
                    Log.Add($"invalid UTF-8 {Convert.ToHexString(b)} over byte {at}");
                    b.CopyTo(bytes, at);
                    return bytes;
                }
            }
        }

        private byte[] MutateHeader(byte[] saved, int headerLength)
        {
            var root = JsonNode.Parse(saved.AsSpan(8, headerLength))!.AsObject();
            var names = root.Select(p => p.Key).Where(k => k != Metadata).ToList();
            int rounds = 1 + random.Next(2);
            for (int r = 0; r < rounds; r++)
            {
                string name = names[random.Next(names.Count)];
                var entry = root[name]!.AsObject();
                var shape = entry["shape"]!.AsArray();
                var offsets = entry["data_offsets"]!.AsArray();
                var metadata = root[Metadata]!.AsObject();
                switch (random.Next(9))
                {
                    case 0 when shape.Count > 0:
                    {
                        int d = random.Next(shape.Count);
                        int delta = random.Next(2) == 0 ? 1 : -1;
                        shape[d] = (int)shape[d]! + delta;
                        Log.Add($"{name}: shape[{d}] {delta:+0;-0}");
                        break;
                    }
                    case 1:
                    {
                        // Same element count, other shape: the bytes still tile the file.
                        int count = shape.Aggregate(1, (c, d) => c * (int)d!);
                        entry["shape"] = random.Next(2) == 0 ? new JsonArray(count) : new JsonArray(1, count);
                        Log.Add($"{name}: shape → {entry["shape"]!.ToJsonString()}");
                        break;
                    }
                    case 2:
                    {
                        string renamed = random.Next(2) == 0 ? name + "x" : name.ToUpperInvariant();
                        root.Remove(name);
                        if (!root.ContainsKey(renamed))
                            root[renamed] = entry;
                        names = root.Select(p => p.Key).Where(k => k != Metadata).ToList();
                        Log.Add($"rename {name} → {renamed}");
                        if (names.Count == 0) return Serialise(saved, headerLength, root);
                        break;
                    }
                    case 3:
                    {
                        JsonNode[] dtypes = ["F16", "F64", "BF16", "I32", "f32", 32, JsonValue.Create(false), new JsonArray()];
                        JsonNode dtype = dtypes[random.Next(dtypes.Length)];
                        entry["dtype"] = dtype.DeepClone();
                        Log.Add($"{name}: dtype → {dtype.ToJsonString()}");
                        break;
                    }
                    case 4:
                    {
                        string other = names[random.Next(names.Count)];
                        var theirs = root[other]!["data_offsets"]!.AsArray();
                        (entry["data_offsets"], root[other]!["data_offsets"]) = (theirs.DeepClone(), offsets.DeepClone());
                        Log.Add($"swap data_offsets of {name} and {other}");
                        break;
                    }
                    case 5:
                    {
                        long shift = new long[] { -4, 4, 1, 1L << 32, 1L << 62 }[random.Next(5)];
                        entry["data_offsets"] = new JsonArray((long)offsets[0]! + shift, (long)offsets[1]! + shift);
                        Log.Add($"{name}: data_offsets + {shift}");
                        break;
                    }
                    case 6:
                    {
                        string[] keys = ["gendsl.model", "gendsl.declaration_hash", "gendsl.step", "gendsl.noise_position", "gendsl.format", "other"];
                        string key = keys[random.Next(keys.Length)];
                        string value = s_oddValues[random.Next(s_oddValues.Length)];
                        int how = random.Next(3);
                        if (how == 0) metadata.Remove(key);
                        else if (how == 1) metadata[key] = value;
                        else metadata[key] = 7;
                        Log.Add($"metadata {key} {(how == 0 ? "removed" : how == 1 ? $"= \"{value}\"" : "= 7 (a number)")}");
                        break;
                    }
                    case 7:
                    {
                        root.Remove(name);
                        names.Remove(name);
                        Log.Add($"drop {name}");
                        if (names.Count == 0) return Serialise(saved, headerLength, root);
                        break;
                    }
                    default:
                    {
                        // A tensor the model does not declare, with a valid range at the end of the data.
                        long end = saved.Length - 8 - headerLength;
                        root["extra.weight"] = new JsonObject { ["dtype"] = "F32", ["shape"] = new JsonArray(0), ["data_offsets"] = new JsonArray(end, end) };
                        Log.Add("add an empty tensor extra.weight");
                        break;
                    }
                }
            }
            return Serialise(saved, headerLength, root);
        }

        private static readonly JsonSerializerOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        private byte[] Serialise(byte[] saved, int headerLength, JsonObject root)
        {
            byte[] header = Encoding.UTF8.GetBytes(root.ToJsonString(s_json));
            byte[] file = [.. new byte[8], .. header, .. saved.AsSpan(8 + headerLength)];
            BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
            return file;
        }
    }
}
