using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using GenDsl.IO;

namespace GenDsl.Runtime.Tests;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly ReaderTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static float[] Values(int count, float seed)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++)
            v[i] = MathF.Sin(seed + i * 0.731f) * (i + 1);
        return v;
    }

    private static TensorEntry[] SomeTensors() =>
    [
        new("C1.s.0.weight", [3, 17], Values(51, 1)),
        new("C1.s.0.bias", [65], Values(65, 2)),
        new("scale", [], Values(1, 3)),
        new("empty", [0, 4], Array.Empty<float>()),
        new("Ω.unicode", [2, 1, 2], Values(4, 4)),
    ];

    private static readonly Dictionary<string, string> SomeMetadata = new()
    {
        ["format"] = "gendsl",
        ["model"] = "MoonsFlow",
        ["note"] = "π ≈ 3.14, \"quoted\"",
    };

    [Fact]
    public void RoundTripsNamesShapesValuesAndMetadata()
    {
        string path = _files.PathOf("model.safetensors");
        var tensors = SomeTensors();
        SafeTensors.Write(path, tensors, SomeMetadata);
        var file = SafeTensors.Read(path);

        Assert.Equal(tensors.Select(t => t.Name), file.Names);
        Assert.Equal(SomeMetadata, file.Metadata);
        foreach (var t in tensors)
        {
            Assert.True(file.Contains(t.Name));
            Assert.Equal(t.Shape, file.Shape(t.Name));
            Assert.Equal(t.Data.Length, file.ElementCount(t.Name));
            var back = new float[t.Data.Length];
            file.CopyTo(t.Name, back);
            Assert.Equal(t.Data.ToArray(), back); // bit-exact
            Assert.Equal(t.Data.ToArray(), file.ToArray(t.Name));
        }
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void TheFileFollowsTheSpecification()
    {
        string path = _files.PathOf("spec.safetensors");
        var tensors = SomeTensors();
        SafeTensors.Write(path, tensors, SomeMetadata);
        byte[] bytes = File.ReadAllBytes(path);

        // 8-byte little-endian header length N, then N bytes of UTF-8 JSON padded with spaces to a multiple of 8.
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, n % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{", header);
        string trimmed = header.TrimEnd(' ');
        Assert.EndsWith("}", trimmed);
        Assert.True(header.Length - trimmed.Length < 8);

        using var json = JsonDocument.Parse(header);
        var meta = json.RootElement.GetProperty("__metadata__");
        foreach (var (key, value) in SomeMetadata)
            Assert.Equal(value, meta.GetProperty(key).GetString());

        long dataStart = 8 + (long)n;
        long expectedBegin = 0;
        foreach (var t in tensors)
        {
            var entry = json.RootElement.GetProperty(t.Name);
            Assert.Equal("F32", entry.GetProperty("dtype").GetString());
            Assert.Equal(t.Shape, entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
            long begin = entry.GetProperty("data_offsets")[0].GetInt64();
            long end = entry.GetProperty("data_offsets")[1].GetInt64();
            Assert.Equal(expectedBegin, begin);
            Assert.Equal(begin + 4L * t.Data.Length, end);
            for (int i = 0; i < t.Data.Length; i++)
                Assert.Equal(t.Data.Span[i], BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(dataStart + begin + 4 * i))));
            expectedBegin = end;
        }
        Assert.Equal(dataStart + expectedBegin, bytes.Length);
    }

    [Fact]
    public void AFailedWriteLeavesThePreviousFileIntact()
    {
        string path = _files.PathOf("ckpt.safetensors");
        SafeTensors.Write(path, [new("w", [2, 2], new float[] { 1, 2, 3, 4 })], new Dictionary<string, string> { ["step"] = "100" });
        byte[] before = File.ReadAllBytes(path);

        // The second tensor claims 2 × 3 = 6 values but has 5: detected while its data is written,
        // after the header and the first tensor already went to the temporary file.
        TensorEntry[] bad =
        [
            new("w", [2, 2], new float[] { 9, 9, 9, 9 }),
            new("b", [2, 3], new float[5]),
        ];
        var ex = Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, bad, new Dictionary<string, string> { ["step"] = "200" }));
        Assert.Equal("tensors", ex.ParamName);
        Assert.Contains("'b'", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("6 values", ex.Message);
        Assert.Contains("has 5", ex.Message);

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.False(File.Exists(path + ".tmp"), "the temporary file is cleaned up");
        var file = SafeTensors.Read(path);
        Assert.Equal("100", file.Metadata["step"]);
        Assert.Equal([1f, 2f, 3f, 4f], file.ToArray("w"));

        // A failed first write leaves nothing behind at all.
        string fresh = _files.PathOf("never.safetensors");
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(fresh, bad, null));
        Assert.False(File.Exists(fresh));
        Assert.False(File.Exists(fresh + ".tmp"));
    }

    [Fact]
    public void AStaleTemporaryFileDoesNotGetInTheWay()
    {
        string path = _files.PathOf("stale.safetensors");
        File.WriteAllText(path + ".tmp", "left over from a crash");
        SafeTensors.Write(path, [new("x", [1], new float[] { 5 })]);
        Assert.Equal([5f], SafeTensors.Read(path).ToArray("x"));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void WriteRejectsBadNamesAndShapes()
    {
        string path = _files.PathOf("bad.safetensors");
        var dup = Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [new("a", [1], new float[1]), new("a", [1], new float[1])]));
        Assert.Contains("'a'", dup.Message);
        var reserved = Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [new("__metadata__", [1], new float[1])]));
        Assert.Contains("reserves", reserved.Message);
        var negative = Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [new("n", [2, -1], new float[1])]));
        Assert.Contains("[2, -1]", negative.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void ReadsAHandWrittenFileWithAnyValidLayout()
    {
        // Tensor order in the header differs from data order, metadata comes last, extra whitespace.
        string header = """
            { "b" : {"shape":[2],"dtype":"F32","data_offsets":[8,16]},
              "a" : {"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},
              "__metadata__": {"k": "v"} }
            """;
        var data = new byte[16];
        float[] values = [1f, -2f, 0.5f, 1e-30f];
        for (int i = 0; i < 4; i++)
            BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), values[i]);
        var file = SafeTensors.Read(_files.WriteBytes("hand.safetensors", Build(header, data)));
        Assert.Equal(["a", "b"], file.Names);
        Assert.Equal([1f, -2f], file.ToArray("a"));
        Assert.Equal([0.5f, 1e-30f], file.ToArray("b"));
        Assert.Equal("v", file.Metadata["k"]);
    }

    /// <summary>A safetensors file made by hand: 8-byte little-endian length, header, data.</summary>
    private static byte[] Build(string header, byte[] data, ulong? declaredLength = null)
    {
        byte[] h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        return bytes;
    }

    [Theory]
    [InlineData("short", "", 0, "short.safetensors, offset 0: the file is 4 bytes long; a safetensors file starts with an 8-byte header length")]
    [InlineData("long-header", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 1000, "long-header.safetensors, offset 0: the header length is 1000 bytes but only")]
    [InlineData("not-json", "{\"a\": [1, 2,}", null, "not-json.safetensors: the header is not valid JSON near offset ")]
    [InlineData("not-object", "[1, 2]", null, "not-object.safetensors, offset 8: expected the JSON header to start with '{', found byte 0x5b")]
    [InlineData("f16", """{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}""", null, "f16.safetensors: tensor 'a': dtype 'F16' is not supported; GenDsl reads F32 tensors only")]
    [InlineData("out-of-range", """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", null, "out-of-range.safetensors: tensor 'a': data_offsets [0, 16] run past the end of the data (8 bytes after the header)")]
    [InlineData("overlap", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", null, "overlap.safetensors: tensors 'a' [0, 8] and 'b' [4, 8] overlap")]
    [InlineData("gap", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", null, "gap.safetensors: data bytes 0 … 3 belong to no tensor")]
    [InlineData("leftover", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", null, "leftover.safetensors: the tensors cover 4 bytes of data but the file holds 8 after the header")]
    [InlineData("size", """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", null, "size.safetensors: tensor 'a': shape [3] needs 12 bytes of F32 but data_offsets [0, 8] span 8")]
    [InlineData("reversed", """{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}""", null, "reversed.safetensors: tensor 'a': expected \"data_offsets\": [begin, end] with 0 ≤ begin ≤ end, found [8,0]")]
    [InlineData("no-shape", """{"a":{"dtype":"F32","data_offsets":[0,8]}}""", null, "no-shape.safetensors: tensor 'a': expected an array \"shape\"")]
    [InlineData("meta", """{"__metadata__":{"epoch":3},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", null, "meta.safetensors: '__metadata__' entry 'epoch' is a JSON number; the format allows only string values")]
    [InlineData("twice", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", null, "twice.safetensors: the header names tensor 'a' twice")]
    public void CorruptFilesAreRejectedWithTheDocumentedMessage(string name, string header, int? declared, string expectedStart)
    {
        byte[] bytes = name == "short" ? new byte[4] : Build(header, new byte[8], declared is int d ? (ulong)d : null);
        string path = _files.WriteBytes(name + ".safetensors", bytes);
        var ex = Assert.Throws<DataFormatException>(() => SafeTensors.Read(path));
        Assert.StartsWith(expectedStart, ex.Message);
        Assert.Equal(name + ".safetensors", ex.FileName);
    }

    [Fact]
    public void TruncatingAValidFileIsDetected()
    {
        string path = _files.PathOf("whole.safetensors");
        SafeTensors.Write(path, SomeTensors(), SomeMetadata);
        byte[] bytes = File.ReadAllBytes(path);
        var ex = Assert.Throws<DataFormatException>(() => SafeTensors.Read(_files.WriteBytes("cut.safetensors", bytes[..^4])));
        Assert.StartsWith("cut.safetensors: ", ex.Message);
        Assert.Contains("truncated", ex.Message);
        var ex2 = Assert.Throws<DataFormatException>(() => SafeTensors.Read(_files.WriteBytes("cut-header.safetensors", bytes[..40])));
        Assert.StartsWith("cut-header.safetensors, offset 0: the header length is", ex2.Message);
    }

    [Fact]
    public void LookupErrorsNameTheTensorAndTheSizes()
    {
        string path = _files.PathOf("lookup.safetensors");
        SafeTensors.Write(path, SomeTensors());
        var file = SafeTensors.Read(path);
        Assert.Empty(file.Metadata);
        var ex = Assert.Throws<ArgumentException>(() => file.Shape("C2.weight"));
        Assert.Contains("'C2.weight'", ex.Message);
        Assert.Contains("C1.s.0.weight", ex.Message);
        var ex2 = Assert.Throws<ArgumentException>(() => file.CopyTo("C1.s.0.bias", new float[64]));
        Assert.Equal("destination", ex2.ParamName);
        Assert.Contains("65", ex2.Message);
        Assert.Contains("64", ex2.Message);

        var missing = Assert.Throws<FileNotFoundException>(() => SafeTensors.Read(_files.PathOf("absent.safetensors")));
        Assert.Contains("absent.safetensors", missing.FileName);
    }

    [Fact]
    public void CopyToAllocatesNothing()
    {
        string path = _files.PathOf("alloc.safetensors");
        SafeTensors.Write(path, SomeTensors());
        var file = SafeTensors.Read(path);
        var destination = new float[51];
        file.CopyTo("C1.s.0.weight", destination);
        long before = GC.GetAllocatedBytesForCurrentThread();
        file.CopyTo("C1.s.0.weight", destination);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
