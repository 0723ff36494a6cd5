using System.Buffers.Binary;
using GenDsl.Data;

namespace GenDsl.IO;

/// <summary>
/// Reads IDX files, the format of the MNIST distribution (LeCun et al.): plain or gzipped
/// (recognised by the first bytes 1f 8b, whatever the extension).
/// </summary>
/// <remarks>
/// An IDX file is: two zero bytes; a type byte (0x08 unsigned byte, 0x09 signed byte, 0x0B int16,
/// 0x0C int32, 0x0D float32, 0x0E float64); the number of dimensions d; d big-endian int32 sizes;
/// then the values, big-endian, row-major. Nothing may follow the values. Byte offsets in error
/// messages count from the start of the (decompressed) file.
/// </remarks>
public static class IdxReader
{
    /// <summary>
    /// Reads an image (or feature) file of at least two dimensions: the first is the sample count and
    /// the others are flattened into the columns (28 × 28 → 784).
    /// </summary>
    /// <param name="path">The file (plain or gzipped).</param>
    /// <param name="scale">True divides unsigned-byte pixels by 255 so that they lie in [0, 1]; other types are read as they are.</param>
    /// <param name="allowNaN">True accepts NaN and infinities in float files.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is malformed; the message gives the byte offset.</exception>
    public static Dataset ReadImages(string path, bool scale = true, bool allowNaN = false)
    {
        string name = DataFile.DisplayName(path);
        return ParseImages(Decompress(DataFile.ReadAllBytes(path), name), name, scale, allowNaN);
    }

    /// <summary>Reads an image file from a stream; <paramref name="name"/> is used in messages.</summary>
    public static Dataset ReadImages(Stream stream, string name, bool scale = true, bool allowNaN = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ParseImages(Decompress(DataFile.ReadAllBytes(stream), name), name, scale, allowNaN);
    }

    /// <summary>Reads a one-dimensional label file of integers (usually unsigned bytes).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is malformed, not 1-D, not integer, or holds a negative label.</exception>
    public static int[] ReadLabels(string path)
    {
        string name = DataFile.DisplayName(path);
        return ParseLabels(Decompress(DataFile.ReadAllBytes(path), name), name);
    }

    /// <summary>Reads a label file from a stream; <paramref name="name"/> is used in messages.</summary>
    public static int[] ReadLabels(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ParseLabels(Decompress(DataFile.ReadAllBytes(stream), name), name);
    }

    /// <summary>Reads an image file and its label file into one labelled data set.</summary>
    /// <exception cref="DataFormatException">Either file is malformed, or their sample counts differ.</exception>
    public static Dataset Read(string imagesPath, string labelsPath, bool scale = true)
    {
        Dataset images = ReadImages(imagesPath, scale);
        int[] labels = ReadLabels(labelsPath);
        return WithLabels(images, labels, DataFile.DisplayName(imagesPath), DataFile.DisplayName(labelsPath));
    }

    internal static Dataset WithLabels(Dataset images, int[] labels, string imagesName, string labelsName, string? datasetName = null)
    {
        if (labels.Length != images.Rows)
            throw DataFormatException.InFile(labelsName,
                $"holds {labels.Length} labels but {imagesName} holds {images.Rows} images; expected one label per image");
        return new Dataset(images.Data, images.Rows, images.Columns, labels, datasetName ?? images.Name);
    }

    private static Dataset ParseImages(byte[] bytes, string name, bool scale, bool allowNaN)
    {
        var header = ParseHeader(bytes, name);
        if (header.Dimensions.Length < 2)
            throw DataFormatException.AtOffset(name, 3,
                $"an image file needs at least 2 dimensions (samples × pixels), found {header.Dimensions.Length}; use ReadLabels for 1-D files");
        int rows = header.Dimensions[0];
        long columnsLong = 1;
        for (int i = 1; i < header.Dimensions.Length; i++)
        {
            columnsLong *= header.Dimensions[i];
            if (columnsLong > Array.MaxLength)
                throw DataFormatException.AtOffset(name, 4 + 4 * i, "each sample holds more values than an array can");
        }
        if (columnsLong < 1)
            throw DataFormatException.AtOffset(name, 8, "each sample has 0 values; expected at least 1");
        int columns = (int)columnsLong;
        var data = new float[header.Count];
        ReadOnlySpan<byte> raw = bytes.AsSpan(header.DataOffset);
        if (header.Type == 0x08)
        {
            // The common case (MNIST): bytes are always finite; a division keeps each pixel the correctly rounded byte/255.
            for (int i = 0; i < data.Length; i++)
                data[i] = scale ? raw[i] / 255f : raw[i];
            return new Dataset(data, rows, columns, null, StripExtensions(name));
        }
        int size = header.ElementSize;
        for (long i = 0; i < data.Length; i++)
        {
            ReadOnlySpan<byte> v = raw.Slice((int)(i * size), size);
            float value = header.Type switch
            {
                0x09 => (sbyte)v[0],
                0x0B => BinaryPrimitives.ReadInt16BigEndian(v),
                0x0C => BinaryPrimitives.ReadInt32BigEndian(v),
                0x0D => BinaryPrimitives.ReadSingleBigEndian(v),
                _ => (float)BinaryPrimitives.ReadDoubleBigEndian(v),
            };
            if (!allowNaN && !float.IsFinite(value))
                throw DataFormatException.AtOffset(name, header.DataOffset + i * size,
                    $"sample {i / columns}, value {i % columns} is {value}; expected a finite number (pass allowNaN: true to accept it)");
            data[i] = value;
        }
        return new Dataset(data, rows, columns, null, StripExtensions(name));
    }

    private static int[] ParseLabels(byte[] bytes, string name)
    {
        var header = ParseHeader(bytes, name);
        if (header.Dimensions.Length != 1)
            throw DataFormatException.AtOffset(name, 3,
                $"a label file has 1 dimension, found {header.Dimensions.Length}; use ReadImages for multi-dimensional files");
        if (header.Type is 0x0D or 0x0E)
            throw DataFormatException.AtOffset(name, 2,
                $"labels must be integers, found data type 0x{header.Type:X2} ({TypeName(header.Type)})");
        var labels = new int[header.Count];
        ReadOnlySpan<byte> raw = bytes.AsSpan(header.DataOffset);
        int size = header.ElementSize;
        for (int i = 0; i < labels.Length; i++)
        {
            ReadOnlySpan<byte> v = raw.Slice(i * size, size);
            int label = header.Type switch
            {
                0x08 => v[0],
                0x09 => (sbyte)v[0],
                0x0B => BinaryPrimitives.ReadInt16BigEndian(v),
                _ => BinaryPrimitives.ReadInt32BigEndian(v),
            };
            if (label < 0)
                throw DataFormatException.AtOffset(name, header.DataOffset + (long)i * size,
                    $"label {i} is {label}; expected a non-negative class index");
            labels[i] = label;
        }
        return labels;
    }

    /// <summary>Gunzips when the file is gzipped, stopping at the length the IDX header declares.</summary>
    private static byte[] Decompress(byte[] bytes, string name) =>
        DataFile.MaybeGunzip(bytes, name, prefix =>
            prefix.Length < 4 || prefix.Length < 4 + 4 * prefix[3] ? DataFile.NeedMore : ParseHeader(prefix, name, checkLength: false).DeclaredLength);

    private readonly record struct Header(byte Type, int[] Dimensions, long Count, int ElementSize, int DataOffset)
    {
        /// <summary>The length of the whole (decompressed) file: the header, then the values.</summary>
        public long DeclaredLength => DataOffset + Count * ElementSize;
    }

    private static Header ParseHeader(ReadOnlySpan<byte> bytes, string name, bool checkLength = true)
    {
        if (bytes.Length < 4)
            throw DataFormatException.AtOffset(name, 0, $"expected a 4-byte IDX magic number, found a file of {bytes.Length} bytes");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw DataFormatException.AtOffset(name, 0,
                $"expected the IDX magic number to start with 00 00, found {bytes[0]:x2} {bytes[1]:x2}; is this an IDX file?");
        byte type = bytes[2];
        int elementSize = type switch { 0x08 or 0x09 => 1, 0x0B => 2, 0x0C or 0x0D => 4, 0x0E => 8, _ => 0 };
        if (elementSize == 0)
            throw DataFormatException.AtOffset(name, 2,
                $"unknown IDX data type 0x{type:X2}; expected 0x08 (ubyte), 0x09 (sbyte), 0x0B (int16), 0x0C (int32), 0x0D (float32) or 0x0E (float64)");
        int rank = bytes[3];
        if (rank == 0)
            throw DataFormatException.AtOffset(name, 3, "the number of dimensions is 0; expected at least 1");
        int dataOffset = 4 + 4 * rank;
        if (bytes.Length < dataOffset)
            throw DataFormatException.AtOffset(name, bytes.Length,
                $"the header declares {rank} dimensions ({4 * rank} bytes of sizes) but the file ends after {bytes.Length} bytes");
        var dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes[(4 + 4 * i)..]);
            if (dims[i] < 0)
                throw DataFormatException.AtOffset(name, 4 + 4 * i, $"dimension {i} is {dims[i]}; expected a size of 0 or more");
            count *= dims[i];
            if (count > Array.MaxLength)
                throw DataFormatException.AtOffset(name, 4 + 4 * i, $"the dimensions ({Shape(dims, i + 1)}) hold more values than an array can");
        }
        var header = new Header(type, dims, count, elementSize, dataOffset);
        if (!checkLength)
            return header;
        long expected = count * elementSize;
        long found = bytes.Length - dataOffset;
        if (found != expected)
            throw DataFormatException.AtOffset(name, dataOffset,
                $"expected {expected} bytes of {TypeName(type)} data for shape {Shape(dims, rank)}, found {found}" +
                (found < expected ? " (the file is truncated)" : " (extra bytes after the data)"));
        return header;
    }

    private static string Shape(int[] dims, int n) => string.Join(" × ", dims.AsSpan(0, n).ToArray());

    private static string TypeName(byte type) => type switch
    {
        0x08 => "ubyte", 0x09 => "sbyte", 0x0B => "int16", 0x0C => "int32", 0x0D => "float32", 0x0E => "float64", _ => "unknown",
    };

    private static string StripExtensions(string name)
    {
        if (name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            name = name[..^3];
        return Path.GetFileNameWithoutExtension(name);
    }
}
