using GenDsl.Cli.Data;
using GenDsl.Cli.Models;

namespace GenDsl.Cli.Commands;

/// <summary><c>gendsl models</c>: one line per ready-made model.</summary>
internal sealed class ModelsCommand : Command
{
    public override string Name => "models";
    public override string Summary => "List the ready-made models, one line each.";
    public override string Usage => "gendsl models";
    public override IReadOnlyList<OptionSpec> Options { get; } = [];

    public override int Execute(CommandLine line, CliContext context)
    {
        line.ExpectPositionals(0, 0, Usage);
        foreach (var m in ModelRegistry.All)
        {
            string shape = m.IsConditional ? $"{m.Features} features | {m.ConditionSize} classes" : $"{m.Features} features";
            context.Out.WriteLine($"{m.Name,-24} {m.Family.ToString().ToLowerInvariant(),-5} {shape,-26} data: {m.DefaultData,-11} {m.Description}");
        }
        context.Out.WriteLine($"{M2Train.Name,-24} {"m2",-5} {"784 features | 10 classes",-26} data: {"mnist",-11} {M2Train.Description} (train only)");
        return ExitCodes.Ok;
    }
}

/// <summary><c>gendsl data</c>: one line per named data set.</summary>
internal sealed class DataCommand : Command
{
    public override string Name => "data";
    public override string Summary => "List the data sets that ship with GenDsl, one line each (--data also takes a .csv, .npy or IDX file).";
    public override string Usage => "gendsl data";
    public override IReadOnlyList<OptionSpec> Options { get; } = [];

    public override int Execute(CommandLine line, CliContext context)
    {
        line.ExpectPositionals(0, 0, Usage);
        foreach (var d in DataCatalog.All)
        {
            string shape = d.Classes > 0 ? $"{d.Features} features, {d.Classes} classes" : $"{d.Features} features";
            context.Out.WriteLine($"{d.Name,-13} {shape,-24} {d.Description}");
        }
        return ExitCodes.Ok;
    }
}
