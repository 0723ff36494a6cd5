using System.Globalization;
using GenDsl.Cli.Data;
using GenDsl.Cli.Models;
using GenDsl.Cli.Output;
using GenDsl.Cli.Training;

namespace GenDsl.Cli.Commands;

/// <summary>
/// <c>gendsl train &lt;model&gt;</c>: trains with a progress display, writes
/// <c>DIR/model.safetensors</c> (+ optimizer state) every N steps and at the end, appends the
/// losses to <c>DIR/losses.csv</c> (bounded: a row per step at first, then blocks of doubling size), draws <c>DIR/loss.png</c> and scores the held-out data.
/// </summary>
internal sealed class TrainCommand : Command
{
    public override string Name => "train";
    public override string Summary => "Train a model; checkpoints to DIR/model.safetensors, losses to DIR/losses.csv (Ctrl+C saves and stops).";
    public override string Usage => "gendsl train <model> [--data NAME|FILE] [--steps N | --epochs N] [--batch B] [--lr X] [--seed S] [--threads T] [--out DIR] [--resume] [--checkpoint-every N]";

    public override IReadOnlyList<OptionSpec> Options { get; } =
    [
        OptionSpec.Value("--data", "NAME|FILE", "data set name (gendsl data) or a .csv/.npy/IDX file (default: the model's)"),
        OptionSpec.Value("--steps", "N", "total optimizer steps, counting a resumed checkpoint's (default: the model's)"),
        OptionSpec.Value("--epochs", "N", "train for N passes over the data instead of --steps"),
        OptionSpec.Value("--batch", "B", "rows per step (default: the model's)"),
        OptionSpec.Value("--lr", "X", "Adam learning rate (default: the model's, usually 1e-3)"),
        OptionSpec.Value("--seed", "S", "seed of the initial parameters and of the batch order (default 1)"),
        Shared.Threads,
        OptionSpec.Value("--out", "DIR", "folder for checkpoint, losses and plots (default: runs/<model>)"),
        OptionSpec.Flag("--resume", "continue the checkpoint in DIR (parameters, Adam state, step count, loss curve)"),
        OptionSpec.Value("--checkpoint-every", "N", "write a checkpoint every N steps (default 500; always at the end)"),
        OptionSpec.Value("--clip", "X", "clip the gradient norm to X (default 0: off)"),
        OptionSpec.Value("--lr-drop", "F", "multiply the learning rate by 0.1 after this fraction of --steps (default: the model's; GANs 0.6, DCGANs and others 1 = never)"),
        OptionSpec.Value("--validation", "F", "hold out this fraction of the training rows (0 < F ≤ 0.5) and stop early when their NLL (flows) or −ELBO (VAEs) stops improving; the best parameters go to DIR/best.safetensors"),
        OptionSpec.Value("--validate-every", "N", "with --validation: score the held-out rows every N steps (default 100)"),
        OptionSpec.Value("--patience", "N", "with --validation: stop after N scores in a row without a new best (default 5)"),
        OptionSpec.Value("--labels", "N", "mnist-m2 only: labelled training images, N/10 per class (default 100); the rest are unlabelled (mnist-m2 takes --steps/--epochs, --batch, --lr, --seed, --threads, --out and refuses the others)"),
    ];

    public override int Execute(CommandLine line, CliContext context)
    {
        line.ExpectPositionals(1, 1, Usage);
        line.Exclusive("--steps", "--epochs");
        if (string.Equals(line.Positionals[0], M2Train.Name, StringComparison.OrdinalIgnoreCase))
            return M2Train.Run(line, context); // semi-supervised: labelled and unlabelled batches (see M2Train)
        if (line.Has("--labels"))
            throw CliException.Usage($"--labels is for {M2Train.Name} (semi-supervised training) only.");
        var entry = ModelRegistry.Get(line.Positionals[0]);
        string outDir = line.GetString("--out") ?? Path.Combine("runs", entry.Name);
        bool resume = line.Has("--resume");
        string modelPath = Path.Combine(outDir, TrainingRun.ModelFile);
        if (resume && !File.Exists(modelPath))
            throw CliException.Usage($"Nothing to resume: {modelPath} does not exist. Run without --resume to start training.");
        if (!resume && File.Exists(modelPath))
            throw CliException.Usage($"{modelPath} already holds a checkpoint; continue it with --resume, or choose another --out (or delete the folder).");

        // On --resume, the settings saved in run.json are the defaults (so a plain --resume continues the same run).
        var saved = resume ? RunInfo.TryRead(outDir) : null;
        if (saved is not null && saved.Model != entry.Name)
            throw CliException.Mismatch($"{outDir} holds a run of {saved.Model}, not {entry.Name}; resume it as gendsl train {saved.Model} --out {outDir} --resume.");
        string dataName = line.GetString("--data") ?? saved?.Data ?? entry.DefaultData;
        int batch = line.GetInt("--batch", saved?.Batch ?? entry.Training.Batch, min: 1, max: 1 << 20);
        float lr = line.GetFloat("--lr", saved?.LearningRate ?? entry.Training.LearningRate, 0f, 10f);
        ulong seed = line.GetULong("--seed", saved?.Seed ?? 1);
        float clip = line.GetFloat("--clip", saved?.Clip ?? 0f, 0f, 1e6f, minInclusive: true);
        int every = line.GetInt("--checkpoint-every", 500, min: 1);
        double lrDrop = line.GetFloat("--lr-drop", (float)(saved?.LearningRateDropAt ?? entry.Training.LearningRateDropAt), 0f, 1f);

        double validationFraction = line.Has("--validation") ? line.GetFloat("--validation", 0f, 0f, 0.5f) : saved?.Validation ?? 0;
        if (!line.Has("--validation") && (line.Has("--validate-every") || line.Has("--patience")) && validationFraction == 0)
            throw CliException.Usage("--validate-every and --patience need --validation F (the fraction of the training rows to hold out, e.g. --validation 0.1).");
        long validateEvery = line.GetInt("--validate-every", (int)(saved?.ValidateEvery is > 0 ? saved.ValidateEvery : 100), min: 1);
        int patience = line.GetInt("--patience", saved?.Patience is > 0 ? saved.Patience : 5, min: 1, max: 1_000_000);

        var data = DataCatalog.Load(dataName, entry);
        var train = data.Train;
        GenDsl.Data.Dataset? validation = null;
        if (validationFraction > 0)
        {
            if (entry.Family == ModelFamily.Gan)
                throw CliException.Usage($"--validation is for flows and VAEs: a GAN's losses do not measure its samples' quality, so there is nothing to stop early on ({entry.Name} is a GAN).");
            (train, validation) = data.Train.Split(validationFraction, seed ^ 0x76616C6964UL);
            if (validation.Rows < 1 || train.Rows < 1)
                throw CliException.Usage($"--validation {validationFraction.ToString(CultureInfo.InvariantCulture)} of {Shared.Count(data.Train.Rows)} training rows leaves an empty part; choose a fraction that keeps rows on both sides.");
        }
        if (batch > train.Rows)
            throw CliException.Usage($"--batch {batch} is larger than the {Shared.Count(train.Rows)} training rows of {data.Source}{(validation is null ? "" : " left after --validation")}; use --batch {train.Rows} or less.");
        long steps = line.Has("--epochs")
            ? (long)line.GetInt("--epochs", 1, min: 1) * (train.Rows / batch)
            : line.GetInt("--steps", entry.Training.Steps, min: 1);

        using var pool = Shared.CreatePool(line);
        var session = entry.Create(new ModelOptions { MaxBatch = batch, Seed = seed, Pool = pool });
        var settings = new TrainSettings
        {
            Steps = steps, Batch = batch, LearningRate = lr, Seed = seed, Clip = clip, LearningRateDropAt = lrDrop,
            OutDir = outDir, CheckpointEvery = every, Resume = resume,
            Validation = validation, ValidateEvery = validateEvery, Patience = patience,
        };

        context.Out.WriteLine(
            $"Training {entry.Name} ({Shared.Count(session.ParameterCount)} parameters) on {data.Source} ({Shared.Count(train.Rows)} rows" +
            (validation is null ? "" : $", {Shared.Count(validation.Rows)} held out for early stopping: every {validateEvery} steps, patience {patience}") + "): " +
            $"{Shared.Count(steps)} steps of {batch}, Adam lr {lr.ToString("G3", CultureInfo.InvariantCulture)}, seed {seed}, {pool.Threads} thread{(pool.Threads == 1 ? "" : "s")} → {outDir}");
        var run = new TrainingRun(session, train, settings) { Note = context.Out.WriteLine };
        run.Prepare(); // resume notes before the live display starts (and a mismatching checkpoint fails before anything is written)
        new RunInfo(entry.Name, dataName, batch, lr, seed, clip, lrDrop, validationFraction, validateEvery, patience).Write(outDir);
        var result = TrainingDisplay.Run(context, entry.Name, steps, progress =>
        {
            run.Progress = progress;
            return run.Run(context.CancellationToken);
        });

        // The loss curve of the whole run (all resumed parts): the log's rows, held in memory (bounded, see LossLog).
        string lossPath = Path.Combine(outDir, TrainingRun.LossFile), lossPng = Path.Combine(outDir, "loss.png");
        if (result.LossRows.Count > 1)
            Plots.Save(Plots.LossCurve($"{entry.Name} on {data.Source}", result.LossNames, result.LossRows), lossPng);

        switch (result.Outcome)
        {
            case TrainOutcome.Diverged:
                context.Err.WriteLine($"error: {result.Message}");
                return ExitCodes.Diverged;
            case TrainOutcome.Interrupted:
                context.Out.WriteLine(result.Message);
                context.Out.WriteLine($"Continue with: gendsl train {entry.Name} --out {outDir} --resume");
                return ExitCodes.Interrupted;
        }
        if (result.Outcome == TrainOutcome.Completed && result.Message.Length > 0)
        {
            context.Out.WriteLine(result.Message);
            return ExitCodes.Ok;
        }
        if (result.Outcome == TrainOutcome.EarlyStopped)
            context.Out.WriteLine(result.Message);
        double speed = (result.Step - result.StartStep) / Math.Max(result.Seconds, 1e-9);
        context.Out.WriteLine(
            $"Done: step {result.Step} in {result.Seconds:F1} s ({speed:F0} steps/s); last loss: " +
            string.Join(", ", result.LossNames.Select((n, i) => $"{n} {Shared.Number(result.LastLosses[i])}")) + ".");
        context.Out.WriteLine($"Checkpoint: {Path.Combine(outDir, TrainingRun.ModelFile)}   losses: {lossPath}   curve: {lossPng}");
        if (run.ValidationSummary is { } summary)
            context.Out.WriteLine(summary);

        string which = "";
        if (validation is not null && File.Exists(run.BestPath))
        {
            long bestStep = session.Load(run.BestPath); // score the parameters early stopping kept, not the last ones
            which = $", best parameters of step {bestStep}";
        }
        var metrics = session.Evaluate(Limit(data.Test, 10_000), data.Source, seed, context.CancellationToken);
        context.Out.WriteLine($"Held-out ({data.Source}{(ReferenceEquals(data.Train, data.Test) ? ", the training file itself" : "")}{which}): " +
            string.Join(", ", metrics.Select(m => $"{m.Label} {Shared.Number(m.Value)}")));
        return ExitCodes.Ok;
    }

    /// <summary>The first <paramref name="rows"/> rows (evaluation at the end of training stays quick).</summary>
    internal static GenDsl.Data.Dataset Limit(GenDsl.Data.Dataset data, int rows)
    {
        if (data.Rows <= rows) return data;
        var indices = new int[rows];
        for (int i = 0; i < rows; i++) indices[i] = i;
        return data.Subset(indices);
    }
}
