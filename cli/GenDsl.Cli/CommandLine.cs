using System.Globalization;

namespace GenDsl.Cli;

/// <summary>One option a command accepts: <c>--name value</c> (or <c>--name=value</c>), or a flag <c>--name</c>.</summary>
internal sealed record OptionSpec(string Name, string? ValueName, string Help)
{
    /// <summary>True for an option followed by a value; false for a flag.</summary>
    public bool TakesValue => ValueName is not null;

    public static OptionSpec Value(string name, string valueName, string help) => new(name, valueName, help);
    public static OptionSpec Flag(string name, string help) => new(name, null, help);
}

/// <summary>
/// A parsed command line: positional arguments and options. Parsing is strict — an unknown or
/// repeated option, or a missing value, is a usage error that lists what the command accepts — and
/// the typed getters turn a malformed value into a usage error naming the option.
/// </summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly string _command;

    private CommandLine(string command) => _command = command;

    /// <summary>The arguments that are not options, in order.</summary>
    public List<string> Positionals { get; } = [];

    /// <summary>Parses <paramref name="args"/> against <paramref name="spec"/> (<c>--help</c>/<c>-h</c> is always accepted).</summary>
    public static CommandLine Parse(string command, IReadOnlyList<string> args, IReadOnlyList<OptionSpec> spec)
    {
        var line = new CommandLine(command);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg is "-h" or "--help")
            {
                line._options["--help"] = null;
                continue;
            }
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg == "--")
            {
                line.Positionals.Add(arg);
                continue;
            }
            string name = arg, value = "";
            bool inlineValue = false;
            int eq = arg.IndexOf('=');
            if (eq > 0)
            {
                name = arg[..eq];
                value = arg[(eq + 1)..];
                inlineValue = true;
            }
            OptionSpec? option = null;
            foreach (var o in spec)
                if (o.Name == name) option = o;
            if (option is null)
                throw CliException.Usage(
                    $"'{command}' has no option {name}. Its options: {string.Join(", ", spec.Select(o => o.Name))} (see gendsl {command} --help).");
            if (line._options.ContainsKey(name))
                throw CliException.Usage($"{name} is given twice; give it once.");
            if (option.TakesValue)
            {
                if (!inlineValue)
                {
                    if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                        throw CliException.Usage($"{name} needs a value ({name} {option.ValueName}).");
                    value = args[++i];
                }
                line._options[name] = value;
            }
            else
            {
                if (inlineValue)
                    throw CliException.Usage($"{name} is a flag and takes no value; write just {name}.");
                line._options[name] = null;
            }
        }
        return line;
    }

    /// <summary>True when the option (or flag) was given.</summary>
    public bool Has(string name) => _options.ContainsKey(name);

    /// <summary>The option's value, or <paramref name="fallback"/> when it was not given.</summary>
    public string? GetString(string name, string? fallback = null) =>
        _options.TryGetValue(name, out var v) ? v : fallback;

    /// <summary>The option as an integer in [min, max], or <paramref name="fallback"/>.</summary>
    public int GetInt(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!_options.TryGetValue(name, out var text))
            return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
            throw CliException.Usage($"{name} must be a whole number, got '{text}'.");
        if (value < min || value > max)
            throw CliException.Usage(max == int.MaxValue
                ? $"{name} must be at least {min}, got {value}."
                : $"{name} must be between {min} and {max}, got {value}.");
        return value;
    }

    /// <summary>The option as a non-negative 64-bit integer (seeds), or <paramref name="fallback"/>.</summary>
    public ulong GetULong(string name, ulong fallback)
    {
        if (!_options.TryGetValue(name, out var text))
            return fallback;
        if (!ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong value))
            throw CliException.Usage($"{name} must be a whole number ≥ 0, got '{text}'.");
        return value;
    }

    /// <summary>The option as a finite float in (min, max] (or [min, max] when <paramref name="minInclusive"/>), or <paramref name="fallback"/>.</summary>
    public float GetFloat(string name, float fallback, float min, float max, bool minInclusive = false)
    {
        if (!_options.TryGetValue(name, out var text))
            return fallback;
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !float.IsFinite(value))
            throw CliException.Usage($"{name} must be a number (for example 1e-3), got '{text}'.");
        if ((minInclusive ? value < min : value <= min) || value > max)
            throw CliException.Usage($"{name} must be {(minInclusive ? "≥" : ">")} {min.ToString(CultureInfo.InvariantCulture)} and ≤ {max.ToString(CultureInfo.InvariantCulture)}, got {text}.");
        return value;
    }

    /// <summary>Throws a usage error unless there are between <paramref name="min"/> and <paramref name="max"/> positional arguments.</summary>
    public void ExpectPositionals(int min, int max, string usage)
    {
        if (Positionals.Count < min)
            throw CliException.Usage($"Missing argument. Usage: {usage}");
        if (Positionals.Count > max)
            throw CliException.Usage($"Unexpected argument '{Positionals[max]}'. Usage: {usage}");
    }

    /// <summary>Throws a usage error when both options were given.</summary>
    public void Exclusive(string a, string b)
    {
        if (Has(a) && Has(b))
            throw CliException.Usage($"Give either {a} or {b}, not both.");
    }

    public override string ToString() => _command;
}
