namespace GenDsl.IO;

/// <summary>
/// A data or checkpoint file is malformed. The message names the file, where the problem is (the
/// line of a text file, the byte offset of a binary one) and what was expected versus found, for
/// example <c>digits.csv, line 17: expected 65 values, found 63</c>.
/// </summary>
public sealed class DataFormatException : Exception
{
    /// <summary>Creates the exception with a complete message.</summary>
    public DataFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a complete message and the error that caused it.</summary>
    public DataFormatException(string message, Exception? innerException) : base(message, innerException) { }

    private DataFormatException(string fileName, int? line, long? offset, string problem, Exception? innerException)
        : base(Format(fileName, line, offset, problem), innerException)
    {
        FileName = fileName;
        Line = line;
        Offset = offset;
    }

    /// <summary>The name of the malformed file (without its folder), when known.</summary>
    public string? FileName { get; }

    /// <summary>The 1-based line of a text file the problem is on, when it has one.</summary>
    public int? Line { get; }

    /// <summary>The 0-based byte offset of a binary file the problem is at, when it has one (in the decompressed bytes of a gzipped file).</summary>
    public long? Offset { get; }

    internal static DataFormatException AtLine(string fileName, int line, string problem) =>
        new(fileName, line, null, problem, null);

    internal static DataFormatException AtOffset(string fileName, long offset, string problem, Exception? inner = null) =>
        new(fileName, null, offset, problem, inner);

    internal static DataFormatException InFile(string fileName, string problem, Exception? inner = null) =>
        new(fileName, null, null, problem, inner);

    private static string Format(string fileName, int? line, long? offset, string problem) =>
        line is int l ? $"{fileName}, line {l}: {problem}"
        : offset is long o ? $"{fileName}, offset {o}: {problem}"
        : $"{fileName}: {problem}";
}
