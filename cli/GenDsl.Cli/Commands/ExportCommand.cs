namespace GenDsl.Cli.Commands;

/// <summary>
/// <c>gendsl export &lt;checkpoint&gt; --pytorch DIR</c>: writes a trained model for another runtime. Each format is
/// one option and one method in a file of its own (ExportCommand.PyTorch.cs); the command opens the checkpoint once
/// and runs every format asked for.
/// </summary>
internal sealed partial class ExportCommand : Command
{
    public override string Name => "export";
    public override string Summary => "Export a checkpoint: a PyTorch module with its weights (--pytorch DIR).";
    public override string Usage => "gendsl export <checkpoint> --pytorch DIR";

    public override IReadOnlyList<OptionSpec> Options { get; } = [PyTorchOption];

    public override int Execute(CommandLine line, CliContext context)
    {
        line.ExpectPositionals(1, 1, Usage);
        if (!Options.Any(o => line.Has(o.Name)))
            throw CliException.Usage($"Say what to export: {string.Join(", ", Options.Select(o => $"{o.Name} {o.ValueName}"))} ({Usage}).");
        using var pool = new Threading.WorkerPool(1);
        var (session, step) = Shared.OpenCheckpoint(line.Positionals[0], 16, pool);
        if (line.GetString(PyTorchOption.Name) is { } pytorch)
            ExportPyTorch(session, step, pytorch, context);
        return ExitCodes.Ok;
    }
}
