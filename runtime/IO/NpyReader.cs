using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using GenDsl.Data;

namespace GenDsl.IO;

/// <summary>
/// Reads NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0) holding a 1-D or 2-D array of
/// little-endian float32 (<c>'&lt;f4'</c>), float64 (<c>'&lt;f8'</c>, converted to float32) or
/// uint8 (<c>'|u1'</c>, read as 0 … 255) in C (row-major) order. A 2-D array (rows, columns) becomes
/// a data set of that shape; a 1-D array of n values becomes n rows of one column.
/// </summary>
/// <remarks>
/// The format (numpy.lib.format): the magic string <c>\x93NUMPY</c>; two bytes major, minor version;
/// the header length as a little-endian uint16 (version 1) or uint32 (versions 2, 3); the header, a
/// Python dict literal such as <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (3, 2), }</c>
/// padded with spaces and a newline; then the raw values. Error messages give the byte offset of
/// the offending token or value. Gzipped files (first bytes 1f 8b) are decompressed first.
/// </remarks>
public static class NpyReader
{
    internal static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads a .npy file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="allowNaN">True accepts NaN and infinities in the data.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is malformed or holds an unsupported array; the message gives the byte offset.</exception>
    public static Dataset Read(string path, bool allowNaN = false)
    {
        string name = DataFile.DisplayName(path);
        return Parse(Decompress(DataFile.ReadAllBytes(path), name), name, allowNaN);
    }

    /// <summary>Reads a .npy array from a stream; <paramref name="name"/> is used in messages.</summary>
    public static Dataset Read(Stream stream, string name, bool allowNaN = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Parse(Decompress(DataFile.ReadAllBytes(stream), name), name, allowNaN);
    }

    /// <summary>Gunzips when the file is gzipped, stopping at the length the .npy header declares.</summary>
    private static byte[] Decompress(byte[] bytes, string name) =>
        DataFile.MaybeGunzip(bytes, name, prefix =>
        {
            if (prefix.Length < 12)
                return DataFile.NeedMore;
            int major = prefix[6];
            long headerEnd = !prefix[..6].SequenceEqual(Magic) || major is not (1 or 2 or 3) ? 0 // ParseHeader says what is wrong
                : major == 1 ? 10 + BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..])
                : 12 + (long)BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
            if (prefix.Length < headerEnd)
                return DataFile.NeedMore;
            var header = ParseHeader(prefix, name);
            return header.DataStart + header.Count * header.ItemSize;
        });

    /// <summary>What the header says: the dtype (with its size), the shape as rows × columns, where the values start.</summary>
    private readonly record struct Header(string Descr, int ItemSize, int[] Dims, int Rows, int Columns, long Count, long DataStart);

    private static Header ParseHeader(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic))
            throw DataFormatException.AtOffset(name, 0,
                $"expected the .npy magic string \\x93NUMPY, found {Hex(bytes[..Math.Min(6, bytes.Length)])}; is this a .npy file?");
        int major = bytes[6], minor = bytes[7];
        int headerStart;
        long headerLength;
        switch (major)
        {
            case 1:
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
                headerStart = 10;
                break;
            case 2 or 3:
                if (bytes.Length < 12)
                    throw DataFormatException.AtOffset(name, 8, $"expected a 4-byte header length, found {bytes.Length - 8} bytes");
                headerLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
                headerStart = 12;
                break;
            default:
                throw DataFormatException.AtOffset(name, 6,
                    $"format version {major}.{minor} is not supported; expected 1.0, 2.0 or 3.0");
        }
        if (headerStart + headerLength > bytes.Length)
            throw DataFormatException.AtOffset(name, 8,
                $"the header length is {headerLength} bytes but only {bytes.Length - headerStart} bytes follow; the file is truncated");

        // Latin-1 maps each byte to one char, so a char index plus headerStart is a byte offset.
        string header = Encoding.Latin1.GetString(bytes.Slice(headerStart, (int)headerLength));
        var parser = new HeaderParser(header, headerStart, name);
        var (descr, fortran, shape) = parser.Parse();

        int itemSize = descr.Value switch
        {
            "<f4" => 4,
            "<f8" => 8,
            "|u1" or "<u1" or "u1" => 1,
            _ => throw DataFormatException.AtOffset(name, descr.Offset,
                $"dtype '{descr.Value}' is not supported; use little-endian float32/float64 or uint8 ('<f4', '<f8' or '|u1')"),
        };
        if (fortran.Value)
            throw DataFormatException.AtOffset(name, fortran.Offset,
                "fortran_order is True (column-major); only C order is supported: save np.ascontiguousarray(a) instead");
        int[] dims = shape.Value;
        if (dims.Length is 0 or > 2)
            throw DataFormatException.AtOffset(name, shape.Offset,
                $"shape {ShapeText(dims)} has {dims.Length} dimensions; expected a 1-D or 2-D array (reshape to (rows, features) first)");
        int rows = dims[0];
        int columns = dims.Length == 2 ? dims[1] : 1;
        if (columns == 0)
            throw DataFormatException.AtOffset(name, shape.Offset, $"shape {ShapeText(dims)} has 0 columns; expected at least 1");
        long count = (long)rows * columns;
        if (count > Array.MaxLength)
            throw DataFormatException.AtOffset(name, shape.Offset, $"shape {ShapeText(dims)} holds more values than an array can");
        return new Header(descr.Value, itemSize, dims, rows, columns, count, headerStart + headerLength);
    }

    private static Dataset Parse(byte[] bytes, string name, bool allowNaN)
    {
        var (descr, itemSize, dims, rows, columns, count, dataStart) = ParseHeader(bytes, name);
        long expected = count * itemSize;
        long found = bytes.Length - dataStart;
        if (found != expected)
            throw DataFormatException.AtOffset(name, dataStart,
                $"expected {expected} bytes of data for shape {ShapeText(dims)} of '{descr}', found {found}" +
                (found < expected ? " (the file is truncated)" : " (extra bytes after the data)"));

        var data = new float[count];
        ReadOnlySpan<byte> raw = bytes.AsSpan((int)dataStart);
        for (int i = 0; i < data.Length; i++)
        {
            float value;
            switch (itemSize)
            {
                case 4:
                    value = BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(4 * i));
                    break;
                case 8:
                    double d = BinaryPrimitives.ReadDoubleLittleEndian(raw.Slice(8 * i));
                    value = (float)d;
                    if (double.IsFinite(d) && !float.IsFinite(value))
                        throw DataFormatException.AtOffset(name, dataStart + 8L * i,
                            $"{Element(i, columns, dims.Length)} is {d.ToString("R", CultureInfo.InvariantCulture)}, too large for float32 (max ≈ 3.4e38)");
                    break;
                default:
                    value = raw[i];
                    break;
            }
            if (!allowNaN && !float.IsFinite(value))
                throw DataFormatException.AtOffset(name, dataStart + (long)itemSize * i,
                    $"{Element(i, columns, dims.Length)} is {value.ToString(CultureInfo.InvariantCulture)}; expected a finite number (pass allowNaN: true to accept it)");
            data[i] = value;
        }
        return new Dataset(data, rows, columns, null, Path.GetFileNameWithoutExtension(name));
    }

    private static string Element(int index, int columns, int rank) =>
        rank == 1 ? $"element [{index}]" : $"element [{index / columns}, {index % columns}] (row {index / columns}, column {index % columns})";

    internal static string ShapeText(int[] dims) =>
        dims.Length == 1 ? $"({dims[0]},)" : $"({string.Join(", ", dims)})";

    private static string Hex(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
            return "nothing";
        var sb = new StringBuilder();
        for (int i = 0; i < bytes.Length; i++)
            sb.Append(i == 0 ? "" : " ").Append(bytes[i].ToString("x2", CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    /// <summary>A value of the header dict and the byte offset where its literal starts.</summary>
    private readonly record struct Located<T>(T Value, long Offset);

    /// <summary>
    /// A recursive-descent parser for the subset of Python literal syntax that .npy headers use:
    /// a dict of string keys to strings, True/False and tuples of integers.
    /// </summary>
    private ref struct HeaderParser(string text, int baseOffset, string fileName)
    {
        private int _i;

        public (Located<string> Descr, Located<bool> Fortran, Located<int[]> Shape) Parse()
        {
            Located<string>? descr = null;
            Located<bool>? fortran = null;
            Located<int[]>? shape = null;
            SkipSpace();
            Expect('{');
            while (true)
            {
                SkipSpace();
                if (Peek() == '}')
                    break;
                int keyOffset = _i;
                string key = ParseString();
                SkipSpace();
                Expect(':');
                SkipSpace();
                int valueOffset = _i;
                switch (key)
                {
                    case "descr":
                        if (Peek() is '[')
                            throw Error(valueOffset, "the dtype is a structured (record) dtype; expected a plain '<f4', '<f8' or '|u1' array");
                        descr = new Located<string>(ParseString(), baseOffset + valueOffset);
                        break;
                    case "fortran_order":
                        fortran = new Located<bool>(ParseBool(), baseOffset + valueOffset);
                        break;
                    case "shape":
                        shape = new Located<int[]>(ParseTuple(), baseOffset + valueOffset);
                        break;
                    default:
                        throw Error(keyOffset, $"unexpected header key '{key}'; expected only 'descr', 'fortran_order' and 'shape'");
                }
                SkipSpace();
                if (Peek() == ',')
                {
                    _i++;
                    continue;
                }
                if (Peek() != '}')
                    throw Error(_i, $"expected ',' or '}}' in the header dict, found {Describe()}");
            }
            _i++;
            if (descr is null || fortran is null || shape is null)
                throw Error(0, $"the header lacks the key '{(descr is null ? "descr" : fortran is null ? "fortran_order" : "shape")}'; expected 'descr', 'fortran_order' and 'shape'");
            return (descr.Value, fortran.Value, shape.Value);
        }

        private readonly char Peek() => _i < text.Length ? text[_i] : '\0';

        private readonly string Describe() => _i < text.Length ? $"'{text[_i]}'" : "the end of the header";

        private void SkipSpace()
        {
            while (_i < text.Length && text[_i] is ' ' or '\t' or '\n' or '\r')
                _i++;
        }

        private void Expect(char c)
        {
            if (Peek() != c)
                throw Error(_i, $"expected '{c}' in the header dict, found {Describe()}");
            _i++;
        }

        private string ParseString()
        {
            char quote = Peek();
            if (quote is not ('\'' or '"'))
                throw Error(_i, $"expected a quoted string, found {Describe()}");
            int start = ++_i;
            while (_i < text.Length && text[_i] != quote)
                _i++;
            if (_i >= text.Length)
                throw Error(start - 1, "a string in the header is not closed");
            return text[start.._i++];
        }

        private bool ParseBool()
        {
            if (string.CompareOrdinal(text, _i, "True", 0, 4) == 0) { _i += 4; return true; }
            if (string.CompareOrdinal(text, _i, "False", 0, 5) == 0) { _i += 5; return false; }
            throw Error(_i, $"expected True or False, found {Describe()}");
        }

        private int[] ParseTuple()
        {
            Expect('(');
            var dims = new List<int>();
            while (true)
            {
                SkipSpace();
                if (Peek() == ')')
                    break;
                int start = _i;
                while (_i < text.Length && char.IsAsciiDigit(text[_i]))
                    _i++;
                if (_i == start)
                    throw Error(_i, $"expected a dimension (a non-negative integer) in the shape, found {Describe()}");
                if (!int.TryParse(text.AsSpan(start, _i - start), NumberStyles.None, CultureInfo.InvariantCulture, out int d))
                    throw Error(start, $"dimension {text[start.._i]} is too large");
                if (Peek() == 'L')
                    _i++; // Python 2 long literal, as old NumPy wrote: (3L, 2L)
                dims.Add(d);
                SkipSpace();
                if (Peek() == ',')
                    _i++;
                else if (Peek() != ')')
                    throw Error(_i, $"expected ',' or ')' in the shape, found {Describe()}");
            }
            _i++;
            return dims.ToArray();
        }

        private readonly DataFormatException Error(int index, string problem) =>
            DataFormatException.AtOffset(fileName, baseOffset + index, problem);
    }
}
