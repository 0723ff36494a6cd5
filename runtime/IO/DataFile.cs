using System.Buffers.Binary;
using System.IO.Compression;

namespace GenDsl.IO;

/// <summary>Shared plumbing of the readers and writers: whole-file reads, gzip detection, atomic writes.</summary>
internal static class DataFile
{
    /// <summary>The name used in error messages: the file name without its folder.</summary>
    public static string DisplayName(string path) => Path.GetFileName(path) is { Length: > 0 } name ? name : path;

    /// <summary>Reads a whole file; a missing file is a <see cref="FileNotFoundException"/> naming the full path.</summary>
    public static byte[] ReadAllBytes(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Could not find the file '{Path.GetFullPath(path)}'.", Path.GetFullPath(path));
        return File.ReadAllBytes(path);
    }

    /// <summary>Reads a stream to its end.</summary>
    public static byte[] ReadAllBytes(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    /// <summary>
    /// The total length a file of some format must have, read from its first bytes (its header):
    /// <see cref="NeedMore"/> while <paramref name="prefix"/> is too short to tell; throws a
    /// <see cref="DataFormatException"/> when the header is malformed.
    /// </summary>
    internal delegate long ExpectedLength(ReadOnlySpan<byte> prefix);

    /// <summary>What an <see cref="ExpectedLength"/> returns while the header is still incomplete.</summary>
    internal const long NeedMore = -1;

    /// <summary>
    /// If <paramref name="bytes"/> start with the gzip magic number 1f 8b, returns the decompressed
    /// bytes; otherwise returns them unchanged. The file's extension plays no part.
    /// </summary>
    /// <remarks>
    /// The decompressed size is unknown until the stream ends, so the output grows (doubling) only as
    /// data arrives: a header claiming gigabytes costs nothing until the gigabytes are there. When
    /// <paramref name="expectedLength"/> is given, it is asked after each read until it knows the
    /// length from the header; decompression then stops at that length, and a stream that holds more
    /// (a gzip bomb behind a small header, say) fails at once rather than being inflated in full.
    /// </remarks>
    public static byte[] MaybeGunzip(byte[] bytes, string displayName, ExpectedLength? expectedLength = null)
    {
        if (bytes.Length < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b)
            return bytes;
        long limit = long.MaxValue; // the length the header declares, once known
        bool known = false;
        var output = new byte[(int)Math.Clamp(4L * bytes.Length, 4096, 1 << 22)];
        int length = 0;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(bytes, writable: false), CompressionMode.Decompress);
            while (true)
            {
                if (length == output.Length)
                {
                    if (length >= limit)
                    {
                        // All the header declares is here: the stream must end now.
                        Span<byte> probe = stackalloc byte[1];
                        if (gzip.Read(probe) > 0)
                            throw ExtraData(displayName, limit);
                        break;
                    }
                    long grown = Math.Min(Math.Min(2L * output.Length, Array.MaxLength), limit);
                    if (grown <= length)
                        throw DataFormatException.InFile(displayName,
                            $"the gzip data decompresses to more than {Array.MaxLength:N0} bytes, more than an array can hold");
                    Array.Resize(ref output, (int)grown);
                }
                int n = gzip.Read(output, length, output.Length - length);
                if (n == 0)
                    break;
                length += n;
                if (!known && expectedLength is not null && expectedLength(output.AsSpan(0, length)) is long expected and >= 0)
                {
                    known = true;
                    limit = expected;
                }
                if (length > limit)
                    throw ExtraData(displayName, limit);
            }
        }
        catch (InvalidDataException e)
        {
            throw DataFormatException.InFile(displayName,
                $"the file starts with the gzip signature 1f 8b but does not decompress ({e.Message}); is it corrupt?", e);
        }
        if (length != output.Length)
            Array.Resize(ref output, length);
        // GZipStream stops quietly at the end of a truncated stream, so check the 8-byte trailer
        // (RFC 1952): CRC-32 of the data, then its length mod 2³², both little-endian.
        if (bytes.Length < 18)
            throw DataFormatException.InFile(displayName,
                $"the file starts with the gzip signature 1f 8b but is only {bytes.Length} bytes long; it is truncated");
        uint storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 8));
        uint storedLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4));
        if (storedLength != (uint)output.Length || storedCrc != Crc32(output))
            throw DataFormatException.InFile(displayName,
                $"the gzip data decompresses to {output.Length} bytes that do not match the trailer (length {storedLength}, CRC-32 {storedCrc:x8}); " +
                "the file is truncated or corrupt (concatenated multi-member gzip files are not supported)");
        return output;
    }

    private static DataFormatException ExtraData(string displayName, long declared) =>
        DataFormatException.AtOffset(displayName, declared,
            $"the gzip data goes on past the {declared} bytes its header declares (extra bytes after the data); decompression stopped there");

    private static readonly uint[] s_crcTable = BuildCrcTable();

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>The CRC-32 of gzip and zip (reflected polynomial 0xEDB88320).</summary>
    internal static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data)
            crc = s_crcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    /// <summary>
    /// Writes a file atomically: the content goes to <c>path + ".tmp"</c>, is flushed to the disk, and
    /// only then replaces <paramref name="path"/> with a rename. If <paramref name="write"/> throws
    /// (or the process dies) the previous file is left as it was, and the temporary file is deleted
    /// when possible.
    /// </summary>
    public static void WriteAtomically<TState>(string path, TState state, Action<Stream, TState> write)
        where TState : allows ref struct
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string temporary = full + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream, state);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
