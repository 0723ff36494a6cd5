using System.Text.Json;
using System.Text.Json.Serialization;
using GenDsl.Cli.Data;

namespace GenDsl.Cli.Commands;

/// <summary><c>gendsl eval &lt;checkpoint&gt;</c>: the family's metrics on held-out data, printed and optionally saved as JSON.</summary>
internal sealed class EvalCommand : Command
{
    public override string Name => "eval";
    public override string Summary => "Score a checkpoint on held-out data (flows: NLL, bits/dim; VAEs: ELBO, IWAE; GANs: discriminator, mode coverage).";
    public override string Usage => "gendsl eval <checkpoint> [--data NAME|FILE] [--json FILE] [--batch B] [--seed S] [--threads T]";

    public override IReadOnlyList<OptionSpec> Options { get; } =
    [
        OptionSpec.Value("--data", "NAME|FILE", "data set (its held-out part) or a file (all rows); default: the model's"),
        OptionSpec.Value("--json", "FILE", "also write the metrics to FILE as JSON"),
        OptionSpec.Value("--batch", "B", "rows per evaluation call (default 1024)"),
        OptionSpec.Value("--seed", "S", "seed of the dequantisation noise (pixel data; default 1)"),
        Shared.Threads,
    ];

    public override int Execute(CommandLine line, CliContext context)
    {
        line.ExpectPositionals(1, 1, Usage);
        int batch = line.GetInt("--batch", 1024, min: 1, max: 1 << 20);
        ulong seed = line.GetULong("--seed", 1);
        using var pool = Shared.CreatePool(line);
        string checkpoint = line.Positionals[0];
        var (session, step) = Shared.OpenCheckpoint(checkpoint, batch, pool);
        var entry = session.Entry;
        var data = DataCatalog.Load(line.GetString("--data") ?? entry.DefaultData, entry);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var metrics = session.Evaluate(data.Test, data.Source, seed, context.CancellationToken);
        double seconds = clock.Elapsed.TotalSeconds;

        context.Out.WriteLine($"{entry.Name} (checkpoint step {step}) on {data.Source} ({(ReferenceEquals(data.Train, data.Test) ? "all" : "held-out")} rows):");
        foreach (var m in metrics)
            context.Out.WriteLine($"  {m.Key,-16} {Shared.Number(m.Value),12}   {m.Label}");

        if (line.GetString("--json") is { } json)
        {
            var document = new Dictionary<string, object>
            {
                ["model"] = entry.Name,
                ["checkpoint"] = Path.GetFullPath(checkpoint),
                ["step"] = step,
                ["data"] = data.Source,
                ["seconds"] = Math.Round(seconds, 3),
                ["metrics"] = metrics.ToDictionary(m => m.Key, m => m.Value),
            };
            string? folder = Path.GetDirectoryName(Path.GetFullPath(json));
            if (folder is not null) Directory.CreateDirectory(folder);
            // A diverged model's NaN/∞ are written as the strings "NaN", "Infinity" (plain JSON numbers cannot hold them).
            var options = new JsonSerializerOptions { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
            File.WriteAllText(json, JsonSerializer.Serialize(document, options));
            context.Out.WriteLine($"Wrote {json}");
        }
        return ExitCodes.Ok;
    }
}
