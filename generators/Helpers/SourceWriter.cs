using System;
using System.Globalization;
using System.Text;

namespace GenDsl.Generators.Helpers;

/// <summary>A small indented text writer for emitted source (no SyntaxFactory, invariant culture).</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _sb = new();
    private int _indent;

    public SourceWriter Line(string text = "")
    {
        if (text.Length == 0)
        {
            _sb.Append('\n');
            return this;
        }
        _sb.Append(' ', _indent * 4).Append(text).Append('\n');
        return this;
    }

    public SourceWriter Open(string header)
    {
        Line(header);
        Line("{");
        _indent++;
        return this;
    }

    public SourceWriter Open()
    {
        Line("{");
        _indent++;
        return this;
    }

    public SourceWriter Close(string suffix = "")
    {
        _indent--;
        Line("}" + suffix);
        return this;
    }

    public SourceWriter Indent()
    {
        _indent++;
        return this;
    }

    public SourceWriter Unindent()
    {
        _indent--;
        return this;
    }

    /// <summary>Characters written so far (to tell whether a piece wrote anything).</summary>
    public int Length => _sb.Length;

    public override string ToString() => _sb.ToString();
}

/// <summary>Culture-invariant formatting of literals for emitted code.</summary>
internal static class Lit
{
    public static string F(float value)
    {
        if (float.IsPositiveInfinity(value)) return "float.PositiveInfinity";
        if (float.IsNegativeInfinity(value)) return "float.NegativeInfinity";
        if (float.IsNaN(value)) return "float.NaN";
        string s = value.ToString("R", CultureInfo.InvariantCulture);
        if (s.IndexOf('.') < 0 && s.IndexOf('E') < 0)
            s += ".0";
        return s + "f";
    }

    public static string I(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Str(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    public static string Ints(System.Collections.Generic.IEnumerable<int> values)
    {
        var sb = new StringBuilder();
        foreach (var v in values)
        {
            if (sb.Length > 0) sb.Append(", ");
            sb.Append(v.ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
