using GenDsl.Cli.Commands;
using GenDsl.IO;

namespace GenDsl.Cli;

/// <summary>What a command runs with: the output and error writers, Ctrl+C, and whether a live display is possible.</summary>
internal sealed class CliContext(TextWriter @out, TextWriter err, CancellationToken cancellationToken)
{
    public TextWriter Out { get; } = @out;
    public TextWriter Err { get; } = err;
    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>True when writing to a real terminal (the process's own console, not redirected): live progress bars.</summary>
    public bool Interactive { get; } = ReferenceEquals(@out, Console.Out) && !Console.IsOutputRedirected;
}

/// <summary>
/// The <c>gendsl</c> command, callable in-process: <see cref="Run"/> parses the arguments, runs
/// the command, and turns every error into a message on <c>err</c> and an exit code
/// (<see cref="ExitCodes"/>) — never a stack trace.
/// </summary>
public static class GenDslCli
{
    internal static IReadOnlyList<Command> Commands { get; } =
        [new DemoCommand(), new TrainCommand(), new SampleCommand(), new EvalCommand(), new ExportCommand(), new CompleteCommand(), new ModelsCommand(), new DataCommand()];

    /// <summary>Runs <c>gendsl</c> with <paramref name="args"/> (without the program name).</summary>
    /// <param name="args">The command and its arguments, for example <c>["train", "moons-flow", "--steps", "100"]</c>.</param>
    /// <param name="out">Where results and progress go.</param>
    /// <param name="err">Where error messages go.</param>
    /// <param name="cancellationToken">Cancelled on Ctrl+C: training saves a checkpoint and returns <see cref="ExitCodes.Interrupted"/>.</param>
    /// <returns>One of <see cref="ExitCodes"/>.</returns>
    public static int Run(string[] args, TextWriter @out, TextWriter err, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(@out);
        ArgumentNullException.ThrowIfNull(err);
        var context = new CliContext(@out, err, cancellationToken);
        try
        {
            if (args.Length == 0)
            {
                err.WriteLine(MainHelp());
                return ExitCodes.Usage;
            }
            string name = args[0];
            if (name is "-h" or "--help" or "help")
            {
                if (args.Length > 1 && Find(args[1]) is { } c)
                    @out.WriteLine(c.Help());
                else
                    @out.WriteLine(MainHelp());
                return ExitCodes.Ok;
            }
            if (name is "--version")
            {
                @out.WriteLine(typeof(GenDslCli).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
                return ExitCodes.Ok;
            }
            var command = Find(name)
                ?? throw CliException.Usage($"Unknown command '{name}'. Commands: {string.Join(", ", Commands.Select(c => c.Name))} (gendsl --help).");
            var line = CommandLine.Parse(command.Name, args[1..], command.Options);
            if (line.Has("--help"))
            {
                @out.WriteLine(command.Help());
                return ExitCodes.Ok;
            }
            return command.Execute(line, context);
        }
        catch (Exception e)
        {
            var (code, message) = Describe(e);
            err.WriteLine($"error: {message}");
            if (code == ExitCodes.Failure && Environment.GetEnvironmentVariable("GENDSL_DEBUG") == "1")
                err.WriteLine(e.ToString());
            return code;
        }
        finally
        {
            @out.Flush();
            err.Flush();
        }
    }

    /// <summary>The exit code and message of an exception (the messages of GenDsl's exceptions already say what to do).</summary>
    internal static (int Code, string Message) Describe(Exception e) => e switch
    {
        CliException c => (c.ExitCode, c.Message),
        DataFormatException => (ExitCodes.BadFile, e.Message),
        FileNotFoundException f => (ExitCodes.BadFile, $"File not found: {f.FileName ?? f.Message}"),
        DirectoryNotFoundException => (ExitCodes.BadFile, e.Message),
        InvalidDataException => (ExitCodes.CheckpointMismatch, e.Message),
        UnauthorizedAccessException => (ExitCodes.BadFile, e.Message),
        IOException => (ExitCodes.BadFile, e.Message),
        OperationCanceledException => (ExitCodes.Interrupted, "Interrupted."),
        ArgumentException => (ExitCodes.Usage, e.Message),
        // a model with a layer that has no export form yet (ONNX: the graph builder's Unsupported): asked for what is not there
        NotSupportedException => (ExitCodes.Usage, e.Message),
        _ => (ExitCodes.Failure, $"unexpected {e.GetType().Name}: {e.Message} (this is a bug; run with GENDSL_DEBUG=1 for the stack trace and report it)"),
    };

    private static Command? Find(string name) =>
        Commands.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));

    internal static string MainHelp()
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine("gendsl — train, sample and evaluate GenDsl's ready-made generative models.");
        text.AppendLine();
        text.AppendLine("Usage: gendsl <command> [arguments] [options]   (gendsl <command> --help for its options)");
        text.AppendLine();
        text.AppendLine("Commands:");
        foreach (var c in Commands)
            text.AppendLine($"  {c.Name,-8} {c.Summary}");
        text.AppendLine();
        text.AppendLine("Exit codes: 0 ok, 1 unexpected error, 2 usage (unknown command, option, model or data set),");
        text.AppendLine("3 missing or malformed file, 4 checkpoint of another model, 5 loss became NaN/∞, 130 interrupted (Ctrl+C).");
        return text.ToString().TrimEnd();
    }
}
