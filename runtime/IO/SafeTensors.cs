using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace GenDsl.IO;

/// <summary>One named float32 tensor to write to a checkpoint: its shape (row-major) and its values.</summary>
/// <param name="Name">The tensor's name, unique in the file (for example <c>C1.s.0.weight</c>).</param>
/// <param name="Shape">The sizes of its dimensions, outermost first; an empty shape is a scalar (one value).</param>
/// <param name="Data">The values, row-major; exactly the product of <paramref name="Shape"/> of them.</param>
public readonly record struct TensorEntry(string Name, int[] Shape, ReadOnlyMemory<float> Data);

/// <summary>
/// Reads and writes checkpoints in the safetensors format (Hugging Face), so that a GenDsl model's
/// parameters can be inspected and loaded by PyTorch, JAX or any other safetensors reader, and
/// vice versa.
/// </summary>
/// <remarks>
/// <para>The format: an 8-byte little-endian unsigned integer N; N bytes of UTF-8 JSON header; then
/// the data buffer. The header is an object mapping each tensor name to
/// <c>{"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}</c> (byte offsets into the data
/// buffer, end exclusive), plus an optional <c>"__metadata__"</c> object of string → string. Tensor
/// data is little-endian and row-major. GenDsl writes the header padded with spaces so the data
/// starts at a multiple of 8, and the tensors back to back in the order given.</para>
/// <para>GenDsl reads and writes F32 only. The reader checks what the reference implementation
/// checks: the header fits in the file, is a JSON object, every entry is well-formed, each tensor's
/// byte range matches its shape, and the ranges tile the data buffer exactly (no overlap, no gap,
/// nothing left over).</para>
/// </remarks>
public static class SafeTensors
{
    /// <summary>The largest header accepted (100 MiB, the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    internal const string MetadataKey = "__metadata__";

    /// <summary>
    /// Writes a checkpoint atomically: everything goes to <c>path + ".tmp"</c>, which is flushed to the
    /// disk and then renamed over <paramref name="path"/>. If anything fails part-way — including a
    /// tensor whose data does not match its shape, which is checked as that tensor is written — the
    /// temporary file is deleted and an existing file at <paramref name="path"/> is left untouched.
    /// </summary>
    /// <param name="path">The checkpoint file (conventionally <c>*.safetensors</c>).</param>
    /// <param name="tensors">The tensors, written in this order; names must be unique and not <c>__metadata__</c>.</param>
    /// <param name="metadata">Free-form string pairs stored in the header's <c>__metadata__</c> (omitted when null or empty).</param>
    /// <exception cref="ArgumentException">A name is empty, repeated or reserved; a dimension is negative; a tensor's data length differs from its shape's element count.</exception>
    public static void Write(string path, IReadOnlyList<TensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        byte[] header = BuildHeader(tensors, metadata);
        DataFile.WriteAtomically(path, (header, tensors), static (stream, state) =>
        {
            var (header, tensors) = state;
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            for (int t = 0; t < tensors.Count; t++)
            {
                TensorEntry entry = tensors[t];
                long expected = ElementCount(entry.Shape);
                if (entry.Data.Length != expected)
                    throw new ArgumentException(
                        $"Tensor '{entry.Name}' has shape [{string.Join(", ", entry.Shape)}], which holds {expected} values, but its Data has {entry.Data.Length}; " +
                        "pass exactly as many values as the shape holds.", nameof(tensors));
                WriteLittleEndian(stream, entry.Data.Span);
            }
        });
    }

    /// <summary>Reads and validates a checkpoint (the whole file is read into memory).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is not a valid safetensors file of F32 tensors; the message names the file and the problem.</exception>
    public static SafeTensorFile Read(string path)
    {
        byte[] bytes = DataFile.ReadAllBytes(path);
        return SafeTensorFile.Parse(bytes, DataFile.DisplayName(path));
    }

    /// <summary>Reads and validates a checkpoint from a stream; <paramref name="name"/> is used in messages.</summary>
    public static SafeTensorFile Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return SafeTensorFile.Parse(DataFile.ReadAllBytes(stream), name);
    }

    internal static long ElementCount(ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int d in shape)
            count = checked(count * d);
        return count;
    }

    private static byte[] BuildHeader(IReadOnlyList<TensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                {
                    if (key is null || value is null)
                        throw new ArgumentException("Metadata keys and values must not be null.", nameof(metadata));
                    json.WriteString(key, value);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            for (int t = 0; t < tensors.Count; t++)
            {
                TensorEntry entry = tensors[t];
                if (string.IsNullOrEmpty(entry.Name))
                    throw new ArgumentException($"tensors[{t}] has no name; every tensor needs a unique, non-empty name.", nameof(tensors));
                if (entry.Name == MetadataKey)
                    throw new ArgumentException($"tensors[{t}] is named '{MetadataKey}', which the format reserves for metadata; rename it.", nameof(tensors));
                if (!names.Add(entry.Name))
                    throw new ArgumentException($"Two tensors are named '{entry.Name}'; names must be unique in a checkpoint.", nameof(tensors));
                if (entry.Shape is null)
                    throw new ArgumentException($"Tensor '{entry.Name}' has no shape; use [] for a scalar.", nameof(tensors));
                foreach (int d in entry.Shape)
                    if (d < 0)
                        throw new ArgumentException($"Tensor '{entry.Name}' has shape [{string.Join(", ", entry.Shape)}]; dimensions must be 0 or more.", nameof(tensors));
                long bytes = checked(ElementCount(entry.Shape) * sizeof(float));
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int d in entry.Shape)
                    json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        // Pad with spaces (insignificant JSON whitespace) so that the data starts 8-byte aligned.
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteLittleEndian(Stream stream, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }
        Span<byte> one = stackalloc byte[4];
        foreach (float v in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(one, v);
            stream.Write(one);
        }
    }
}

/// <summary>A validated safetensors checkpoint held in memory: its metadata, tensor names and shapes, and their values.</summary>
public sealed class SafeTensorFile
{
    private readonly byte[] _bytes;
    private readonly long _dataStart;
    private readonly Dictionary<string, Entry> _entries;
    private readonly string[] _names;

    private readonly record struct Entry(int[] Shape, long Begin, long End);

    private SafeTensorFile(string fileName, byte[] bytes, long dataStart, Dictionary<string, Entry> entries, string[] names,
        IReadOnlyDictionary<string, string> metadata)
    {
        FileName = fileName;
        _bytes = bytes;
        _dataStart = dataStart;
        _entries = entries;
        _names = names;
        Metadata = metadata;
    }

    /// <summary>The file's name, as used in messages.</summary>
    public string FileName { get; }

    /// <summary>The header's <c>__metadata__</c> pairs (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor names, in the order of their data in the file.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>True when the file holds a tensor of that name.</summary>
    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>The shape of a tensor (a copy; empty for a scalar).</summary>
    /// <exception cref="ArgumentException">No tensor has that name; the message lists the names.</exception>
    public int[] Shape(string name) => (int[])Find(name).Shape.Clone();

    /// <summary>The number of values of a tensor (the product of its shape).</summary>
    public long ElementCount(string name)
    {
        Entry entry = Find(name);
        return (entry.End - entry.Begin) / sizeof(float);
    }

    /// <summary>Copies a tensor's values (row-major) into <paramref name="destination"/>, whose length must equal the tensor's element count. Allocates nothing.</summary>
    /// <exception cref="ArgumentException">No tensor has that name, or the destination's length differs from the element count.</exception>
    public void CopyTo(string name, Span<float> destination)
    {
        Entry entry = Find(name);
        long count = (entry.End - entry.Begin) / sizeof(float);
        if (destination.Length != count)
            throw new ArgumentException(
                $"Tensor '{name}' in {FileName} has shape [{string.Join(", ", entry.Shape)}] = {count} values but the destination holds {destination.Length}; " +
                "pass a span of exactly that length.", nameof(destination));
        ReadOnlySpan<byte> source = _bytes.AsSpan((int)(_dataStart + entry.Begin), (int)(entry.End - entry.Begin));
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
            return;
        }
        for (int i = 0; i < destination.Length; i++)
            destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source.Slice(4 * i));
    }

    /// <summary>A tensor's values in a new array.</summary>
    public float[] ToArray(string name)
    {
        var values = new float[ElementCount(name)];
        CopyTo(name, values);
        return values;
    }

    private Entry Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_entries.TryGetValue(name, out Entry entry))
            return entry;
        const int shown = 20;
        string list = string.Join(", ", _names.Take(shown)) + (_names.Length > shown ? $", … ({_names.Length} in all)" : "");
        throw new ArgumentException(
            $"{FileName} holds no tensor named '{name}'; it holds: {(list.Length == 0 ? "(none)" : list)}.", nameof(name));
    }

    internal static SafeTensorFile Parse(byte[] bytes, string fileName)
    {
        if (bytes.Length < 8)
            throw DataFormatException.AtOffset(fileName, 0,
                $"the file is {bytes.Length} bytes long; a safetensors file starts with an 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > SafeTensors.MaxHeaderBytes)
            throw DataFormatException.AtOffset(fileName, 0,
                $"the header length is {headerLength} bytes, more than the {SafeTensors.MaxHeaderBytes} allowed; is this a safetensors file?");
        if (headerLength > (ulong)(bytes.Length - 8))
            throw DataFormatException.AtOffset(fileName, 0,
                $"the header length is {headerLength} bytes but only {bytes.Length - 8} bytes follow; the file is truncated");
        int n = (int)headerLength;
        ReadOnlySpan<byte> header = bytes.AsSpan(8, n);
        if (n == 0 || header[0] != (byte)'{')
            throw DataFormatException.AtOffset(fileName, 8,
                $"expected the JSON header to start with '{{', found {(n == 0 ? "an empty header" : $"byte 0x{header[0]:x2}")}");

        long dataStart = 8 + n;
        long dataLength = bytes.Length - dataStart;
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        bool sawMetadata = false;
        CheckUtf8(header, fileName);
        try
        {
            CheckStringEscapes(header, fileName);
            using JsonDocument document = JsonDocument.Parse(bytes.AsMemory(8, n));
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw DataFormatException.InFile(fileName, $"the header is a JSON {root.ValueKind.ToString().ToLowerInvariant()}; expected an object");
            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (property.Name == SafeTensors.MetadataKey)
                {
                    if (sawMetadata)
                        throw DataFormatException.InFile(fileName, "the header has two '__metadata__' entries");
                    sawMetadata = true;
                    ReadMetadata(property.Value, metadata, fileName);
                    continue;
                }
                if (entries.ContainsKey(property.Name))
                    throw DataFormatException.InFile(fileName, $"the header names tensor '{property.Name}' twice");
                entries.Add(property.Name, ReadEntry(property.Name, property.Value, dataLength, fileName));
            }
        }
        catch (JsonException e)
        {
            string where = e.LineNumber == 0 && e.BytePositionInLine is long p ? $" near offset {8 + p}" : "";
            throw DataFormatException.InFile(fileName, $"the header is not valid JSON{where}: {e.Message}", e);
        }

        // The tensors' byte ranges must tile the data buffer exactly: sorted by start, each begins
        // where the previous ends, and the last ends at the end of the file.
        string[] names = entries.Keys.ToArray();
        Array.Sort(names, (a, b) =>
        {
            int c = entries[a].Begin.CompareTo(entries[b].Begin);
            return c != 0 ? c : entries[a].End.CompareTo(entries[b].End);
        });
        long expectedStart = 0;
        string? previous = null;
        foreach (string name in names)
        {
            Entry e = entries[name];
            if (e.Begin < expectedStart)
                throw DataFormatException.InFile(fileName,
                    $"tensors '{previous}' [{entries[previous!].Begin}, {entries[previous!].End}] and '{name}' [{e.Begin}, {e.End}] overlap");
            if (e.Begin > expectedStart)
                throw DataFormatException.InFile(fileName,
                    $"data bytes {expectedStart} … {e.Begin - 1} belong to no tensor (the next tensor, '{name}', starts at {e.Begin}); expected the tensors to be back to back");
            expectedStart = e.End;
            previous = name;
        }
        if (expectedStart != dataLength)
            throw DataFormatException.InFile(fileName,
                $"the tensors cover {expectedStart} bytes of data but the file holds {dataLength} after the header; expected them to match");

        return new SafeTensorFile(fileName, bytes, dataStart, entries, names, metadata);
    }

    /// <summary>
    /// The header must be UTF-8 (System.Text.Json only finds out when it transcodes a string, and then
    /// throws <see cref="InvalidOperationException"/>); the offset is that of the first invalid byte.
    /// </summary>
    private static void CheckUtf8(ReadOnlySpan<byte> header, string fileName)
    {
        for (int i = 0; i < header.Length;)
        {
            if (header[i] < 0x80) { i++; continue; }
            if (Rune.DecodeFromUtf8(header[i..], out _, out int consumed) != OperationStatus.Done)
                throw DataFormatException.AtOffset(fileName, 8 + i,
                    $"the JSON header is not valid UTF-8 (byte 0x{header[i]:x2}{(consumed > 1 ? $" starts an invalid {consumed}-byte sequence" : " cannot start or continue a character here")}); the file is corrupt");
            i += consumed;
        }
    }

    /// <summary>
    /// A string escape must decode to valid UTF-16: <c>"\ud800"</c> (a lone surrogate) is valid JSON
    /// syntax but not a string, and System.Text.Json throws <see cref="InvalidOperationException"/> when
    /// such a name or value is read. One pass of the reader over the escaped strings finds it first.
    /// </summary>
    private static void CheckStringEscapes(ReadOnlySpan<byte> header, string fileName)
    {
        var reader = new Utf8JsonReader(header);
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped)
                continue;
            try
            {
                _ = reader.GetString();
            }
            catch (InvalidOperationException e)
            {
                throw DataFormatException.AtOffset(fileName, 8 + reader.TokenStartIndex,
                    $"a {(reader.TokenType == JsonTokenType.PropertyName ? "key" : "string")} of the JSON header has an escape that is not valid Unicode " +
                    $"(a lone or reversed UTF-16 surrogate such as \\ud800: {e.Message})", e);
            }
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string fileName)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw DataFormatException.InFile(fileName, $"'__metadata__' is a JSON {value.ValueKind.ToString().ToLowerInvariant()}; expected an object of strings");
        foreach (JsonProperty p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw DataFormatException.InFile(fileName,
                    $"'__metadata__' entry '{p.Name}' is a JSON {p.Value.ValueKind.ToString().ToLowerInvariant()}; the format allows only string values");
            if (!metadata.TryAdd(p.Name, p.Value.GetString()!))
                throw DataFormatException.InFile(fileName, $"'__metadata__' has the key '{p.Name}' twice");
        }
    }

    private static Entry ReadEntry(string name, JsonElement value, long dataLength, string fileName)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw DataFormatException.InFile(fileName, $"tensor '{name}': expected an object with dtype, shape and data_offsets, found a JSON {value.ValueKind.ToString().ToLowerInvariant()}");
        if (!value.TryGetProperty("dtype", out JsonElement dtype) || dtype.ValueKind != JsonValueKind.String)
            throw DataFormatException.InFile(fileName, $"tensor '{name}': expected a string \"dtype\"");
        if (dtype.GetString() != "F32")
            throw DataFormatException.InFile(fileName,
                $"tensor '{name}': dtype '{dtype.GetString()}' is not supported; GenDsl reads F32 tensors only (convert with tensor.float() before saving)");
        if (!value.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw DataFormatException.InFile(fileName, $"tensor '{name}': expected an array \"shape\"");
        var shape = new int[shapeElement.GetArrayLength()];
        int i = 0;
        foreach (JsonElement d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int size) || size < 0)
                throw DataFormatException.InFile(fileName, $"tensor '{name}': shape entry {i} is {d.GetRawText()}; expected an integer 0 … {int.MaxValue}");
            shape[i++] = size;
        }
        if (!value.TryGetProperty("data_offsets", out JsonElement offsets) || offsets.ValueKind != JsonValueKind.Array
            || offsets.GetArrayLength() != 2
            || offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw DataFormatException.InFile(fileName,
                $"tensor '{name}': expected \"data_offsets\": [begin, end] with 0 ≤ begin ≤ end, found {(value.TryGetProperty("data_offsets", out JsonElement o) ? o.GetRawText() : "nothing")}");
        long count;
        try { count = SafeTensors.ElementCount(shape); }
        catch (OverflowException) { count = -1; }
        if (count < 0 || count > int.MaxValue || end - begin != count * sizeof(float))
            throw DataFormatException.InFile(fileName,
                $"tensor '{name}': shape [{string.Join(", ", shape)}] needs {(count < 0 ? "too many" : (count * sizeof(float)).ToString())} bytes of F32 but data_offsets [{begin}, {end}] span {end - begin}");
        if (end > dataLength)
            throw DataFormatException.InFile(fileName,
                $"tensor '{name}': data_offsets [{begin}, {end}] run past the end of the data ({dataLength} bytes after the header); the file is truncated or the offsets are wrong");
        return new Entry(shape, begin, end);
    }
}
