using System.Text;

namespace GenDsl.Cli.Commands;

/// <summary>One <c>gendsl</c> command: its name, one-line summary, usage, options and what it does.</summary>
internal abstract class Command
{
    public abstract string Name { get; }
    public abstract string Summary { get; }

    /// <summary>The usage line, for example <c>gendsl sample &lt;checkpoint&gt; --n N --out FILE</c>.</summary>
    public abstract string Usage { get; }

    public abstract IReadOnlyList<OptionSpec> Options { get; }

    /// <summary>Runs the command; returns an exit code. Errors are thrown (<see cref="CliException"/>) and reported by <see cref="GenDslCli.Run"/>.</summary>
    public abstract int Execute(CommandLine line, CliContext context);

    /// <summary>The text of <c>gendsl NAME --help</c>.</summary>
    public string Help()
    {
        var text = new StringBuilder();
        text.AppendLine($"Usage: {Usage}");
        text.AppendLine();
        text.AppendLine(Summary);
        if (Options.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Options:");
            foreach (var o in Options)
            {
                string left = o.TakesValue ? $"{o.Name} {o.ValueName}" : o.Name;
                text.AppendLine($"  {left,-24} {o.Help}");
            }
        }
        return text.ToString().TrimEnd();
    }
}
