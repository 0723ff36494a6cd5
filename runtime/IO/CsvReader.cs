using System.Globalization;
using System.Text;
using GenDsl.Data;

namespace GenDsl.IO;

/// <summary>
/// Reads numeric CSV files (one sample per line, comma-separated by default) into a
/// <see cref="Dataset"/>. Gzipped files are recognised by their first bytes (1f 8b), whatever their
/// extension.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>The header, if any, is the first non-blank line. With <c>hasHeader: null</c> it is detected:
/// the first line is a header when one of its fields is not a number.</item>
/// <item>Blank lines are skipped; line endings may be LF or CRLF; a UTF-8 byte-order mark is ignored;
/// a field may be wrapped in double quotes.</item>
/// <item>Every line must have as many fields as the first (or the header). Numbers use the invariant
/// culture (a dot for decimals). An empty field or a non-finite value (NaN, ∞, or a number too large
/// for float32) is an error unless <c>allowNaN</c> is set, in which case it reads as that value
/// (empty = NaN).</item>
/// <item>Error messages give 1-based line and column numbers, as an editor shows them.</item>
/// </list>
/// </remarks>
public static class CsvReader
{
    /// <summary>Reads a CSV file.</summary>
    /// <param name="path">The file (plain or gzipped).</param>
    /// <param name="hasHeader">True: the first line holds column names; false: it holds data; null: detect.</param>
    /// <param name="labelColumn">The 0-based column holding an integer class label (negative counts from the end: −1 is the last column), or null for no labels. The other columns are the features.</param>
    /// <param name="separator">The field separator (',' by default; ';' and '\t' are common too).</param>
    /// <param name="allowNaN">True keeps empty fields (as NaN) and non-finite values instead of rejecting them.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">A line is malformed, or <paramref name="labelColumn"/> is set and the file has a single column; the message names the file, the line and the problem.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelColumn"/> lies outside the first line's columns.</exception>
    public static Dataset Read(string path, bool? hasHeader = null, int? labelColumn = null, char separator = ',', bool allowNaN = false)
    {
        byte[] bytes = DataFile.ReadAllBytes(path);
        string name = DataFile.DisplayName(path);
        return Parse(DataFile.MaybeGunzip(bytes, name), name, hasHeader, labelColumn, separator, allowNaN);
    }

    /// <summary>Reads CSV from a stream (plain or gzipped); <paramref name="name"/> is used in error messages and as the data set's name.</summary>
    public static Dataset Read(Stream stream, string name, bool? hasHeader = null, int? labelColumn = null, char separator = ',', bool allowNaN = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Parse(DataFile.MaybeGunzip(DataFile.ReadAllBytes(stream), name), name, hasHeader, labelColumn, separator, allowNaN);
    }

    private static Dataset Parse(byte[] bytes, string fileName, bool? hasHeader, int? labelColumn, char separator, bool allowNaN)
    {
        if (separator is '"' or '\r' or '\n')
            throw new ArgumentException($"'{separator}' cannot separate fields; use ',', ';' or '\\t'.", nameof(separator));
        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw DataFormatException.InFile(fileName, $"the file is not UTF-8 text (invalid bytes at index {e.Index}); is it a binary file?", e);
        }
        ReadOnlySpan<char> rest = text.AsSpan();
        if (rest.Length > 0 && rest[0] == '\uFEFF')
            rest = rest[1..];

        var fields = new List<(int Start, int Length)>();
        int columns = -1;          // fields per line, fixed by the first line (or the header)
        int label = -1;            // resolved label column, or -1
        float[] values = new float[1024];
        int valueCount = 0;
        var labels = new List<int>();
        int rows = 0;
        int lineNumber = 0;
        bool first = true;

        while (!rest.IsEmpty || lineNumber == 0)
        {
            int end = rest.IndexOf('\n');
            ReadOnlySpan<char> line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            lineNumber++;
            if (line.Length > 0 && line[^1] == '\r')
                line = line[..^1];
            if (line.IsWhiteSpace())
                continue;

            Split(line, separator, fields, fileName, lineNumber);

            if (first)
            {
                first = false;
                columns = fields.Count;
                bool isHeader = hasHeader ?? LooksLikeHeader(line, fields);
                if (labelColumn is int requested)
                {
                    label = requested < 0 ? columns + requested : requested;
                    if (label < 0 || label >= columns)
                        throw new ArgumentOutOfRangeException(nameof(labelColumn), requested,
                            $"{fileName} has {columns} columns, so labelColumn must be in {-columns} … {columns - 1} (negative counts from the end).");
                    if (columns < 2)
                        throw DataFormatException.AtLine(fileName, lineNumber,
                            "the file has a single column, so with labelColumn set there would be no features left; expected at least 2 values a line");
                }
                if (isHeader)
                    continue;
            }

            if (fields.Count != columns)
                throw DataFormatException.AtLine(fileName, lineNumber, $"expected {columns} values, found {fields.Count}");

            for (int c = 0; c < fields.Count; c++)
            {
                ReadOnlySpan<char> field = line.Slice(fields[c].Start, fields[c].Length);
                if (c == label)
                {
                    labels.Add(ParseLabel(field, fileName, lineNumber, c));
                    continue;
                }
                if (valueCount == values.Length)
                    Array.Resize(ref values, values.Length * 2);
                values[valueCount++] = ParseValue(field, fileName, lineNumber, c, allowNaN, rows == 0);
            }
            rows++;
        }

        if (columns < 0)
            throw DataFormatException.InFile(fileName, "the file is empty; expected at least one line of numbers");
        int features = label >= 0 ? columns - 1 : columns;
        Array.Resize(ref values, valueCount);
        return new Dataset(values, rows, features, label >= 0 ? labels.ToArray() : null, Path.GetFileNameWithoutExtension(StripGz(fileName)));
    }

    private static string StripGz(string name) => name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? name[..^3] : name;

    /// <summary>Finds the fields of one line: separator-delimited, each trimmed, one pair of surrounding double quotes removed.</summary>
    private static void Split(ReadOnlySpan<char> line, char separator, List<(int Start, int Length)> fields, string fileName, int lineNumber)
    {
        fields.Clear();
        int i = 0;
        while (true)
        {
            int start = i;
            while (i < line.Length && line[i] != separator && char.IsWhiteSpace(line[i]))
                i++;
            if (i < line.Length && line[i] == '"')
            {
                // Quoted field: runs to the closing quote ("" is an escaped quote inside).
                int contentStart = ++i;
                while (true)
                {
                    if (i >= line.Length)
                        throw DataFormatException.AtLine(fileName, lineNumber,
                            $"column {fields.Count + 1}: a quoted field is not closed (expected '\"' before the end of the line)");
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"') { i += 2; continue; }
                        break;
                    }
                    i++;
                }
                fields.Add((contentStart, i - contentStart));
                i++;
                while (i < line.Length && line[i] != separator && char.IsWhiteSpace(line[i]))
                    i++;
                if (i < line.Length && line[i] != separator)
                    throw DataFormatException.AtLine(fileName, lineNumber,
                        $"column {fields.Count}: expected '{separator}' after the closing quote, found '{line[i]}'");
            }
            else
            {
                while (i < line.Length && line[i] != separator)
                    i++;
                ReadOnlySpan<char> raw = line[start..i];
                int leading = raw.Length - raw.TrimStart().Length;
                fields.Add((start + leading, raw.Trim().Length));
            }
            if (i >= line.Length)
                return;
            i++; // past the separator
        }
    }

    private static bool LooksLikeHeader(ReadOnlySpan<char> line, List<(int Start, int Length)> fields)
    {
        foreach (var (start, length) in fields)
        {
            ReadOnlySpan<char> field = line.Slice(start, length);
            if (!field.IsEmpty && !double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                return true;
        }
        return false;
    }

    private static float ParseValue(ReadOnlySpan<char> field, string fileName, int line, int column, bool allowNaN, bool firstDataRow)
    {
        if (field.IsEmpty)
        {
            if (allowNaN)
                return float.NaN;
            throw DataFormatException.AtLine(fileName, line, $"column {column + 1}: empty value (pass allowNaN: true to read missing values as NaN)");
        }
        if (!double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
        {
            string hint = firstDataRow ? " (if this line holds column names, pass hasHeader: true)" : "";
            throw DataFormatException.AtLine(fileName, line, $"column {column + 1}: expected a number, found '{field}'{hint}");
        }
        float value = (float)d;
        if (!allowNaN && !float.IsFinite(value))
            throw DataFormatException.AtLine(fileName, line,
                double.IsFinite(d)
                    ? $"column {column + 1}: value '{field}' is too large for float32 (max ≈ 3.4e38)"
                    : $"column {column + 1}: value '{field}' is not finite (pass allowNaN: true to keep NaN and infinities)");
        return value;
    }

    private static int ParseLabel(ReadOnlySpan<char> field, string fileName, int line, int column)
    {
        if (double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)
            && d >= 0 && d <= int.MaxValue && d == Math.Floor(d))
            return (int)d;
        throw DataFormatException.AtLine(fileName, line,
            $"column {column + 1}: expected a label (a non-negative integer), found '{field}'");
    }
}
