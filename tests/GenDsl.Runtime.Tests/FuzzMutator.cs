using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace GenDsl.Runtime.Tests;

/// <summary>
/// Deterministic mutations of a well-formed file, for the reader fuzz tests: truncations, bit flips,
/// odd bytes, insertions, deletions, integer fields overwritten with extreme values, and (for the
/// text parts of a file: a JSON or Python-dict header, CSV) tokens replaced with odd values and
/// invalid UTF-8. Each mutation appends what it did to <see cref="Log"/> so that a failure can be
/// reproduced by hand.
/// </summary>
internal sealed class FuzzMutator(int seed)
{
    private readonly Random _random = new(seed);

    public Random Random => _random;

    public List<string> Log { get; } = [];

    /// <summary>Odd little- or big-endian integers written over length and size fields.</summary>
    private static readonly long[] s_extremes =
    [
        0, 1, 2, 7, 8, 255, 256, 65535, 65536, -1, -2, int.MaxValue, int.MinValue, (long)int.MaxValue + 1, uint.MaxValue,
        1L << 32, 1L << 40, long.MaxValue, long.MinValue, 1_000_000_000, 100L * 1024 * 1024, 100L * 1024 * 1024 + 1,
    ];

    /// <summary>Odd replacements for a token of a JSON or Python-literal header (or a CSV field).</summary>
    public static readonly string[] OddTokens =
    [
        "0", "-1", "1.5", "1e400", "-0", "2147483647", "2147483648", "4294967296", "9223372036854775807",
        "9223372036854775808", "18446744073709551616", "1099511627776", "65536", "1e9", "NaN", "Infinity", "0x10",
        "\"F32\"", "\"F64\"", "\"f32\"", "\"I32\"", "\"\"", "\"x\"", "\"\\uD800\"", "\"\\u0000\"", "\"\\ud83d\"", "\"\\\"", "'<f4'", "'<f8'",
        "'|u1'", "'>f4'", "'<i8'", "'O'", "''", "True", "False", "None", "true", "false", "null", "[]", "{}", "[[]]", "{\"a\":{}}",
        "[0]", "[0,0]", "[1,2,3]", "[-1,4]", "[4,0]", "[0,4294967296]", "[65536,65536,65536]", "[2147483647,2147483647]",
        "(1000000000,)", "(65536, 65536)", "(2147483647, 2147483647)", "(-1,)", "()", "(0,)", "(3, 0)", "(1, 2, 3)", ",", ":", "\"", "'",
        "{", "}", "[", "]", "(", ")", "", " ", "\n", "\r\n", "\"__metadata__\"",
    ];

    /// <summary>Byte sequences that are not valid UTF-8 (stray continuation, overlong, surrogate, above U+10FFFF, truncated).</summary>
    public static readonly byte[][] InvalidUtf8 =
    [
        [0x80], [0xBF], [0xFF], [0xFE], [0xC0, 0xAF], [0xC1, 0xBF], [0xC3, 0x28], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80],
        [0xED, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xE2, 0x82], [0xF0, 0x9F, 0x98],
    ];

    public int Next(int maxExclusive) => _random.Next(maxExclusive);

    public T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    /// <summary>
    /// One to three random byte-level mutations; half of them land in <c>[0, hot)</c> (the header),
    /// where a change matters most.
    /// </summary>
    public byte[] MutateBytes(byte[] input, int hot)
    {
        byte[] bytes = input;
        int rounds = 1 + _random.Next(3);
        for (int round = 0; round < rounds; round++)
            bytes = MutateOnce(bytes, hot);
        return bytes;
    }

    private int Position(int length, int hot, bool inclusiveEnd = false)
    {
        int limit = length + (inclusiveEnd ? 1 : 0);
        if (limit <= 0)
            return 0;
        int h = Math.Min(hot, limit);
        return h > 0 && _random.Next(2) == 0 ? _random.Next(h) : _random.Next(limit);
    }

    private byte[] MutateOnce(byte[] bytes, int hot)
    {
        int n = bytes.Length;
        switch (_random.Next(9))
        {
            case 0:
            {
                int keep = n == 0 ? 0 : _random.Next(2) == 0 ? Position(n, hot) : n - 1 - _random.Next(Math.Min(n, 16));
                Log.Add($"truncate to {keep}");
                return bytes[..keep];
            }
            case 1:
            {
                if (n == 0) goto case 3;
                var copy = (byte[])bytes.Clone();
                int flips = 1 + _random.Next(8);
                for (int f = 0; f < flips; f++)
                {
                    int at = Position(n, hot);
                    int bit = _random.Next(8);
                    copy[at] ^= (byte)(1 << bit);
                    Log.Add($"flip bit {bit} of byte {at}");
                }
                return copy;
            }
            case 2:
            {
                if (n == 0) goto case 3;
                var copy = (byte[])bytes.Clone();
                int at = Position(n, hot);
                byte value = Pick<byte>([0x00, 0x01, 0x7F, 0x80, 0xFF, (byte)_random.Next(256)]);
                copy[at] = value;
                Log.Add($"set byte {at} to 0x{value:x2}");
                return copy;
            }
            case 3:
            {
                int at = Position(n, hot, inclusiveEnd: true);
                var insert = new byte[1 + _random.Next(32)];
                if (_random.Next(2) == 0 || n == 0)
                    _random.NextBytes(insert);
                else
                    for (int i = 0; i < insert.Length; i++)
                        insert[i] = bytes[(at + i) % n]; // a repeat of what follows
                Log.Add($"insert {insert.Length} bytes at {at}");
                return [.. bytes.AsSpan(0, at), .. insert, .. bytes.AsSpan(at)];
            }
            case 4:
            {
                if (n == 0) goto case 3;
                int at = Position(n, hot);
                int count = Math.Min(n - at, 1 + _random.Next(32));
                Log.Add($"delete {count} bytes at {at}");
                return [.. bytes.AsSpan(0, at), .. bytes.AsSpan(at + count)];
            }
            case 5:
            case 6:
            {
                int width = _random.Next(2) == 0 ? 4 : 8;
                if (n < width) goto case 3;
                var copy = (byte[])bytes.Clone();
                int limit = Math.Min(Math.Max(hot, width), n) - width + 1;
                int at = _random.Next(2) == 0 ? _random.Next(limit) / 4 * 4 : _random.Next(limit);
                long value = _random.Next(4) == 0 ? n + _random.Next(-2, 3) : Pick(s_extremes);
                bool big = _random.Next(2) == 0;
                if (width == 4)
                {
                    if (big) BinaryPrimitives.WriteInt32BigEndian(copy.AsSpan(at), (int)value);
                    else BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(at), (int)value);
                }
                else
                {
                    if (big) BinaryPrimitives.WriteInt64BigEndian(copy.AsSpan(at), value);
                    else BinaryPrimitives.WriteInt64LittleEndian(copy.AsSpan(at), value);
                }
                Log.Add($"write {width}-byte {(big ? "big" : "little")}-endian {value} at {at}");
                return copy;
            }
            case 7:
            {
                int at = Position(n, hot, inclusiveEnd: true);
                byte[] bad = Pick(InvalidUtf8);
                Log.Add($"insert invalid UTF-8 {Convert.ToHexString(bad)} at {at}");
                return [.. bytes.AsSpan(0, at), .. bad, .. bytes.AsSpan(at)];
            }
            default:
            {
                if (n == 0) goto case 3;
                int at = Position(n, hot);
                int count = Math.Min(n - at, 1 + _random.Next(64));
                int times = 1 + _random.Next(4);
                Log.Add($"repeat {count} bytes at {at} {times} more times");
                var result = new List<byte>(bytes.AsSpan(0, at + count).ToArray());
                for (int t = 0; t < times; t++)
                    result.AddRange(bytes.AsSpan(at, count).ToArray());
                result.AddRange(bytes.AsSpan(at + count).ToArray());
                return [.. result];
            }
        }
    }

    private static readonly Regex s_token = new(
        @"""(?:[^""\\]|\\.)*""|'[^']*'|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|True|False|true|false|null|[\[\]{}(),:]",
        RegexOptions.CultureInvariant);

    /// <summary>
    /// One to three mutations of a text (a JSON or Python-dict header, or CSV): a token replaced by an
    /// odd value, removed or doubled; invalid UTF-8 put inside a string; a value wrapped in an object
    /// or in deep brackets.
    /// </summary>
    public byte[] MutateText(byte[] utf8)
    {
        byte[] bytes = utf8;
        int rounds = 1 + _random.Next(3);
        for (int round = 0; round < rounds; round++)
            bytes = MutateTextOnce(bytes);
        return bytes;
    }

    private byte[] MutateTextOnce(byte[] bytes)
    {
        // Latin-1 keeps one char per byte, so match indices are byte offsets (even for invalid UTF-8).
        string text = Encoding.Latin1.GetString(bytes);
        var tokens = s_token.Matches(text);
        if (tokens.Count == 0)
            return MutateBytes(bytes, bytes.Length);
        Match token = tokens[_random.Next(tokens.Count)];
        string replacement;
        switch (_random.Next(6))
        {
            case 0:
            case 1:
                replacement = Pick(OddTokens);
                break;
            case 2:
                replacement = "";
                break;
            case 3:
                replacement = token.Value + (_random.Next(2) == 0 ? "," : "") + token.Value;
                break;
            case 4:
            {
                // Invalid UTF-8 inside a string token (or next to any token).
                byte[] bad = Pick(InvalidUtf8);
                int at = token.Index + (token.Length > 1 ? 1 + _random.Next(token.Length - 1) : 0);
                Log.Add($"invalid UTF-8 {Convert.ToHexString(bad)} at {at}");
                return [.. bytes.AsSpan(0, at), .. bad, .. bytes.AsSpan(at)];
            }
            default:
            {
                int depth = _random.Next(3) == 0 ? 100 + _random.Next(100) : 1 + _random.Next(3);
                replacement = _random.Next(2) == 0
                    ? string.Concat(Enumerable.Repeat("{\"k\":", depth)) + token.Value + new string('}', depth)
                    : new string('[', depth) + token.Value + new string(']', depth);
                break;
            }
        }
        Log.Add($"token '{Shorten(token.Value)}' at {token.Index} → '{Shorten(replacement)}'");
        return [.. bytes.AsSpan(0, token.Index), .. Encoding.Latin1.GetBytes(replacement), .. bytes.AsSpan(token.Index + token.Length)];
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..37] + "…";
}
