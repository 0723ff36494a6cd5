using System.Globalization;
using GenDsl.Cli.Models;
using GenDsl.IO;
using GenDsl.Threading;

namespace GenDsl.Cli.Commands;

/// <summary>Helpers several commands share: the thread option, opening a checkpoint, number formatting.</summary>
internal static class Shared
{
    public static readonly OptionSpec Threads = OptionSpec.Value("--threads", "T", "worker threads (default: all cores)");

    /// <summary>A worker pool of <c>--threads</c> threads (default: all cores).</summary>
    public static WorkerPool CreatePool(CommandLine line) =>
        new(line.GetInt("--threads", Environment.ProcessorCount, min: 1, max: 1024));

    /// <summary>
    /// Reads which model a checkpoint holds (its <c>gendsl.model</c> metadata), builds that model and
    /// loads the parameters; the model accepts batches of up to <paramref name="maxBatch"/> rows, or of its entry's
    /// <see cref="ModelEntry.MaxEvaluationBatch"/> if smaller. Unknown or mismatching checkpoints are <see cref="ExitCodes.CheckpointMismatch"/>.
    /// </summary>
    public static (ModelSession Session, long Step) OpenCheckpoint(string path, int maxBatch, WorkerPool pool, ulong seed = 0)
    {
        if (Directory.Exists(path))
            path = Path.Combine(path, Training.TrainingRun.ModelFile); // a training folder stands for its checkpoint
        if (!File.Exists(path))
            throw CliException.BadFile($"Checkpoint not found: {Path.GetFullPath(path)}");
        var file = SafeTensors.Read(path);
        if (!file.Metadata.TryGetValue(Checkpoint.ModelKey, out var className))
            throw CliException.Mismatch(
                $"{Path.GetFileName(path)} is a safetensors file without '{Checkpoint.ModelKey}' metadata, so it was not saved by a GenDsl model; give a checkpoint written by gendsl train (DIR/model.safetensors).");
        var entry = ModelRegistry.FindByClassName(className)
            ?? throw CliException.Mismatch(
                $"{Path.GetFileName(path)} holds a {className}, which is not one of the CLI's models ({ModelRegistry.NameList}); load it from C# with that class.");
        // The callers split their work into calls of the session's MaxBatch, so a cap only costs calls, not results.
        var session = entry.Create(new ModelOptions { MaxBatch = Math.Min(maxBatch, entry.MaxEvaluationBatch), Seed = seed, Pool = pool });
        long step = session.Load(path);
        return (session, step);
    }

    public static string Number(double value) =>
        Math.Abs(value) >= 1e5 || (Math.Abs(value) < 1e-3 && value != 0)
            ? value.ToString("G4", CultureInfo.InvariantCulture)
            : value.ToString("0.####", CultureInfo.InvariantCulture);

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
