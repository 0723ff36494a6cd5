using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CommunityToolkit.HighPerformance;
using GenDsl.Cli.Models;
using GenDsl.Data;
using GenDsl.IO;

namespace GenDsl.Cli.Training;

/// <summary>What one training run is asked to do.</summary>
internal sealed record TrainSettings
{
    /// <summary>The step count to reach (total, counting the steps of a resumed checkpoint).</summary>
    public required long Steps { get; init; }
    public required int Batch { get; init; }
    public required float LearningRate { get; init; }
    public required ulong Seed { get; init; }
    /// <summary>Largest gradient norm (0: no clipping).</summary>
    public float Clip { get; init; }
    /// <summary>From this fraction of <see cref="Steps"/> on, the learning rate is multiplied by 0.1 (1: never).</summary>
    public double LearningRateDropAt { get; init; } = 1.0;
    /// <summary>Folder of the checkpoint, optimizer state and loss log.</summary>
    public required string OutDir { get; init; }
    /// <summary>Write a checkpoint every this many steps (and always at the end).</summary>
    public long CheckpointEvery { get; init; } = 500;
    /// <summary>Continue from the checkpoint in <see cref="OutDir"/>.</summary>
    public bool Resume { get; init; }
    /// <summary>Held-out rows for early stopping (<c>--validation</c>); null: none.</summary>
    public Dataset? Validation { get; init; }
    /// <summary>Score <see cref="Validation"/> every this many steps.</summary>
    public long ValidateEvery { get; init; } = 100;
    /// <summary>Stop after this many scores in a row without a new best.</summary>
    public int Patience { get; init; } = 5;
}

/// <summary>A progress report (at most a few per second).</summary>
/// <param name="Step">Steps done so far (including those of a resumed checkpoint).</param>
/// <param name="TargetSteps">The step count the run stops at.</param>
/// <param name="LossNames">The names of the loss terms.</param>
/// <param name="Losses">Mean of each loss term over the steps since the previous report.</param>
/// <param name="StepsPerSecond">Speed since the run started (this process).</param>
/// <param name="Eta">Estimated time to <paramref name="TargetSteps"/>.</param>
internal sealed record TrainProgress(long Step, long TargetSteps, IReadOnlyList<string> LossNames, double[] Losses, double StepsPerSecond, TimeSpan Eta);

/// <summary>How a run ended.</summary>
internal enum TrainOutcome { Completed, Interrupted, Diverged, EarlyStopped }

/// <summary>The result of a run: outcome, steps, the last losses and the rows of the folder's (bounded) loss log.</summary>
internal sealed record TrainResult(TrainOutcome Outcome, long StartStep, long Step, long CheckpointStep, double Seconds,
    IReadOnlyList<string> LossNames, double[] LastLosses, IReadOnlyList<LossRow> LossRows, string Message);

/// <summary>
/// The training loop shared by <c>train</c> and <c>demo</c>: mini-batches from a seeded
/// <see cref="BatchSampler"/>, one optimizer step per batch, the losses appended to
/// <c>losses.csv</c> (bounded: see <see cref="LossLog"/>), crash-consistent checkpoints
/// (<c>model.safetensors</c> + <c>optimizer.safetensors</c>, see <see cref="Checkpoint"/>) every N steps
/// and at the end, and clean stops on Ctrl+C (checkpoint first) and on a NaN/∞ loss (no checkpoint: the
/// last good one stays).
/// </summary>
/// <remarks>
/// A resumed run is the same computation as an uninterrupted one: the parameters and Adam's
/// moments and step count come from the files, the sampler is fast-forwarded past the batches
/// already used, and the data transform's noise is positioned by step — so the loss curve continues
/// bit for bit (the tests check it). Nothing at the end of a run is proportional to its length: the
/// loss curve is drawn from the log's rows in memory (at most some tens of thousands), so Ctrl+C
/// exits as quickly after a day as after a minute.
/// </remarks>
internal sealed class TrainingRun
{
    public const string ModelFile = "model.safetensors";
    public const string OptimizerFile = "optimizer.safetensors";
    public const string LossFile = "losses.csv";
    public const string RunFile = "run.json";
    /// <summary>The parameters of the best validation score so far (<c>--validation</c>), a checkpoint like model.safetensors.</summary>
    public const string BestFile = "best.safetensors";
    /// <summary>The validation scores: <c>step,&lt;name&gt;</c>, a row per check.</summary>
    public const string ValidationFile = "validation.csv";

    /// <summary>Metadata key of the optimizer file: the loss log's block in progress (<see cref="LossLog.PendingState"/>).</summary>
    public const string LossBlockKey = "gendsl.loss_block";

    // The checkpoint's temporary names: complete files wait under .next until both exist; .prev keeps
    // the optimizer state that matches the current model while the two renames happen.
    private const string NextSuffix = ".next", PreviousSuffix = ".prev";

    private readonly ModelSession _session;
    private readonly Dataset _train;
    private readonly TrainSettings _settings;

    public TrainingRun(ModelSession session, Dataset train, TrainSettings settings)
    {
        _session = session;
        _train = train;
        _settings = settings;
        if (settings.Batch > train.Rows)
            throw CliException.Usage(
                $"--batch {settings.Batch} is larger than the {train.Rows} training rows of {(train.Name.Length > 0 ? train.Name : "the data")}; use --batch {train.Rows} or less.");
        if (settings.Batch > session.MaxBatch)
            throw CliException.Usage($"--batch {settings.Batch} is larger than the model's MaxBatch {session.MaxBatch}.");
    }

    public string ModelPath => Path.Combine(_settings.OutDir, ModelFile);
    public string OptimizerPath => Path.Combine(_settings.OutDir, OptimizerFile);
    public string LossPath => Path.Combine(_settings.OutDir, LossFile);
    public string BestPath => Path.Combine(_settings.OutDir, BestFile);
    public string ValidationPath => Path.Combine(_settings.OutDir, ValidationFile);

    /// <summary>Called with progress reports (from the training thread).</summary>
    public Action<TrainProgress>? Progress { get; set; }

    /// <summary>With <c>--validation</c>, after <see cref="Run"/>: the best score and where its parameters are.</summary>
    public string? ValidationSummary { get; private set; }

    /// <summary>Called with notes for the user (resumed from step …, optimizer state not restored …).</summary>
    public Action<string>? Note { get; init; }

    private IReadOnlyList<NamedOptimizer>? _optimizers;
    private long _startStep;
    private string? _lossBlock;

    /// <summary>
    /// Creates the optimizers and, for --resume, loads the checkpoint and optimizer state (reporting
    /// through <see cref="Note"/>); returns the step training starts from. <see cref="Run"/> calls it
    /// if it was not called first (call it first to show the notes before a live progress display).
    /// </summary>
    public long Prepare()
    {
        if (_optimizers is not null)
            return _startStep;
        Directory.CreateDirectory(_settings.OutDir);
        var optimizers = _session.CreateOptimizers(_settings.LearningRate, _settings.Clip);
        if (_settings.Resume)
            _startStep = RestoreCheckpoint(optimizers);
        else if (File.Exists(ModelPath))
            throw CliException.Usage(
                $"{ModelPath} already holds a checkpoint; continue it with --resume, or choose another --out (or delete the folder).");
        RemoveLeftovers(fresh: !_settings.Resume);
        _optimizers = optimizers;
        return _startStep;
    }

    /// <summary>Trains until <see cref="TrainSettings.Steps"/>, a NaN/∞ loss, or cancellation.</summary>
    public TrainResult Run(CancellationToken cancellationToken)
    {
        var settings = _settings;
        long startStep = Prepare();
        var optimizers = _optimizers!;
        var lossNames = _session.LossNames;

        using var losses = LossLog.Open(LossPath, lossNames, settings.Resume, startStep, _lossBlock);
        var sampler = new BatchSampler(_train, settings.Batch, seed: settings.Seed ^ 0x5A4D504CUL, dropLast: true);
        for (long s = 0; s < startStep; s++) // fast-forward: the batches the checkpoint has already seen
            sampler.Next();

        int classes = _session.Entry.ConditionSize;
        var stepLosses = new float[lossNames.Count];
        var window = new double[lossNames.Count];
        var last = new double[lossNames.Count];
        int windowCount = 0;
        var clock = Stopwatch.StartNew();
        double lastReport = -1;
        long step = startStep, checkpointStep = settings.Resume ? startStep : -1;
        long dropStep = (long)Math.Floor(settings.LearningRateDropAt * settings.Steps);
        var validation = settings.Validation is null ? null : EarlyStopping.Open(this, _session, settings, startStep);

        TrainResult Finish(TrainOutcome outcome, string message)
        {
            losses.Close(); // the block in progress as a last, shorter row
            return new(outcome, startStep, step, checkpointStep, clock.Elapsed.TotalSeconds, lossNames, last, losses.Rows, message);
        }

        while (step < settings.Steps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                if (!Checkpoint(step, optimizers, losses))
                    return Finish(TrainOutcome.Diverged, DivergedMessage(step, "a parameter became NaN or infinite", checkpointStep));
                checkpointStep = step;
                return Finish(TrainOutcome.Interrupted, $"Interrupted at step {step}: checkpoint saved to {ModelPath}.");
            }

            // The schedule is a function of the step, so a resumed run follows it too.
            float learningRate = step >= dropStep ? settings.LearningRate * 0.1f : settings.LearningRate;
            foreach (var (_, optimizer) in optimizers)
                optimizer.LearningRate = learningRate;

            ReadOnlySpan2D<float> x = sampler.Next();
            ReadOnlySpan2D<float> y = classes > 0 ? sampler.CurrentOneHot(classes) : ReadOnlySpan2D<float>.Empty;
            string? bad = null;
            try
            {
                _session.TrainStep(x, y, optimizers, step, stepLosses);
            }
            catch (InvalidOperationException e) when (e.Message.Contains("gradient norm", StringComparison.Ordinal))
            {
                bad = "the gradient norm became NaN or infinite"; // clipping found it before anything was updated
            }
            step++;
            if (bad is null)
                for (int i = 0; i < stepLosses.Length; i++)
                    if (!float.IsFinite(stepLosses[i])) bad = $"the loss {lossNames[i]} became {FormatLoss(stepLosses[i])}";
            losses.Add(step, stepLosses);
            if (bad is not null)
                return Finish(TrainOutcome.Diverged, DivergedMessage(step, bad, checkpointStep));
            for (int i = 0; i < window.Length; i++) { window[i] += stepLosses[i]; last[i] = stepLosses[i]; }
            windowCount++;

            if (validation is not null && step % settings.ValidateEvery == 0 && validation.Check(step, cancellationToken) is { } stop)
            {
                if (!Checkpoint(step, optimizers, losses))
                    return Finish(TrainOutcome.Diverged, DivergedMessage(step, "a parameter became NaN or infinite", checkpointStep));
                checkpointStep = step;
                ValidationSummary = validation.Summary(step);
                return Finish(TrainOutcome.EarlyStopped, stop);
            }

            if (step % settings.CheckpointEvery == 0 && step < settings.Steps)
            {
                if (!Checkpoint(step, optimizers, losses))
                    return Finish(TrainOutcome.Diverged, DivergedMessage(step, "a parameter became NaN or infinite", checkpointStep));
                checkpointStep = step;
            }

            double now = clock.Elapsed.TotalSeconds;
            if (Progress is not null && (now - lastReport >= 0.25 || step == settings.Steps))
            {
                lastReport = now;
                var mean = new double[window.Length];
                for (int i = 0; i < mean.Length; i++) { mean[i] = window[i] / windowCount; window[i] = 0; }
                windowCount = 0;
                double speed = (step - startStep) / Math.Max(now, 1e-9);
                var eta = TimeSpan.FromSeconds(speed > 0 ? (settings.Steps - step) / speed : 0);
                Progress(new TrainProgress(step, settings.Steps, lossNames, mean, speed, eta));
            }
        }

        if (!Checkpoint(step, optimizers, losses))
            return Finish(TrainOutcome.Diverged, DivergedMessage(step, "a parameter became NaN or infinite", checkpointStep));
        checkpointStep = step;
        ValidationSummary = validation?.Summary(step);
        return Finish(TrainOutcome.Completed,
            step == startStep ? $"Nothing to do: the checkpoint is already at step {step} (--steps {settings.Steps})." : "");
    }

    /// <summary>
    /// Writes a checkpoint of <paramref name="step"/>; false (nothing written) if a parameter is NaN/∞.
    /// </summary>
    /// <remarks>
    /// The model and the optimizer state are two files, and a process can be killed at any moment
    /// (SIGKILL, power cut of the process, OOM killer) — also between writing one and the other. The
    /// order makes every moment recoverable to one consistent step:
    /// <list type="number">
    /// <item>both files are written complete under temporary names, <c>optimizer.safetensors.next</c> and
    /// <c>model.safetensors.next</c> (each itself written to <c>….tmp</c>, flushed to disk, renamed);</item>
    /// <item><c>optimizer.safetensors</c>, which matches the current model, is renamed to
    /// <c>optimizer.safetensors.prev</c>;</item>
    /// <item><c>optimizer.safetensors.next</c> → <c>optimizer.safetensors</c>;</item>
    /// <item><c>model.safetensors.next</c> → <c>model.safetensors</c> — the commit point;</item>
    /// <item><c>optimizer.safetensors.prev</c> is deleted.</item>
    /// </list>
    /// Each rename is atomic, so <c>model.safetensors</c> is always a complete file of the old step (before
    /// 4) or the new one (after), and an optimizer file of the same step exists at every moment: the
    /// current one, or (between 2 and 4) the <c>.prev</c> one. Both files store the step
    /// (<c>gendsl.step</c>); <see cref="RestoreCheckpoint"/> takes the optimizer file whose step is the
    /// model's, puts it back in place and removes the leftovers. Until the first commit there is no
    /// <c>model.safetensors</c> and so no checkpoint: the <c>.next</c>/<c>.tmp</c> files are never read.
    /// </remarks>
    private bool Checkpoint(long step, IReadOnlyList<NamedOptimizer> optimizers, LossLog losses)
    {
        foreach (float p in _session.Parameters)
            if (!float.IsFinite(p))
                return false;
        losses.Flush(); // the log's complete rows up to this step are in the file before the checkpoint names the step
        var tensors = new List<TensorEntry>();
        var metadata = new Dictionary<string, string>
        {
            [GenDsl.Checkpoint.ModelKey] = _session.Entry.ClassName,
            [GenDsl.Checkpoint.StepKey] = step.ToString(CultureInfo.InvariantCulture),
            [LossBlockKey] = losses.PendingState(),
        };
        foreach (var (name, optimizer) in optimizers)
        {
            tensors.Add(new TensorEntry(name + ".state", [optimizer.State.Length], optimizer.State.ToArray()));
            metadata[name + ".step_count"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture);
        }
        SafeTensors.Write(OptimizerPath + NextSuffix, tensors, metadata);
        _session.Save(ModelPath + NextSuffix, step);
        if (File.Exists(OptimizerPath))
            File.Move(OptimizerPath, OptimizerPath + PreviousSuffix, overwrite: true);
        File.Move(OptimizerPath + NextSuffix, OptimizerPath, overwrite: true);
        File.Move(ModelPath + NextSuffix, ModelPath, overwrite: true);
        File.Delete(OptimizerPath + PreviousSuffix);
        return true;
    }

    /// <summary>Deletes what an interrupted checkpoint write can leave (files only: a folder in the way stays and makes the write fail).</summary>
    private void RemoveLeftovers(bool fresh)
    {
        string[] leftovers =
        [
            ModelPath + ".tmp", OptimizerPath + ".tmp", LossPath + ".tmp",
            ModelPath + NextSuffix, OptimizerPath + NextSuffix, ModelPath + NextSuffix + ".tmp", OptimizerPath + NextSuffix + ".tmp",
            .. fresh ? [OptimizerPath + PreviousSuffix, OptimizerPath] : Array.Empty<string>(),
        ];
        foreach (string path in leftovers)
            if (File.Exists(path))
                File.Delete(path);
    }

    /// <summary>Loads model and optimizer state for --resume; returns the checkpoint's step.</summary>
    private long RestoreCheckpoint(IReadOnlyList<NamedOptimizer> optimizers)
    {
        if (!File.Exists(ModelPath))
            throw CliException.Usage($"Nothing to resume: {ModelPath} does not exist. Run without --resume to start training.");
        long step = _session.Load(ModelPath);
        string stepText = step.ToString(CultureInfo.InvariantCulture);

        // The optimizer state of the model's step: optimizer.safetensors, or the .prev one if a checkpoint
        // write was killed between its renames (see Checkpoint).
        SafeTensorFile? file = null;
        string why = $"{OptimizerFile} is missing";
        foreach (string path in new[] { OptimizerPath, OptimizerPath + PreviousSuffix })
        {
            if (!File.Exists(path)) continue;
            SafeTensorFile candidate;
            try { candidate = SafeTensors.Read(path); }
            catch (DataFormatException e) { if (path == OptimizerPath) why = $"{OptimizerFile} cannot be read ({e.Message})"; continue; }
            candidate.Metadata.TryGetValue(GenDsl.Checkpoint.StepKey, out var savedStep);
            if (savedStep == stepText)
            {
                if (path != OptimizerPath)
                    File.Move(path, OptimizerPath, overwrite: true);
                file = candidate;
                break;
            }
            if (path == OptimizerPath)
                why = $"{OptimizerFile} is from step {savedStep ?? "?"} but the model from step {step} (a checkpoint write was interrupted)";
        }
        if (File.Exists(OptimizerPath + PreviousSuffix))
            File.Delete(OptimizerPath + PreviousSuffix);

        bool restored = false;
        if (file is not null)
        {
            why = "";
            foreach (var (name, optimizer) in optimizers)
            {
                if (!file.Contains(name + ".state") || file.ElementCount(name + ".state") != optimizer.State.Length
                    || !file.Metadata.TryGetValue(name + ".step_count", out var countText)
                    || !long.TryParse(countText, NumberStyles.Integer, CultureInfo.InvariantCulture, out long count))
                {
                    why = $"{OptimizerFile} does not hold a matching '{name}.state'";
                    break;
                }
                file.CopyTo(name + ".state", optimizer.State);
                optimizer.SetStepCount(count);
            }
            restored = why.Length == 0;
            if (restored)
                _lossBlock = file.Metadata.GetValueOrDefault(LossBlockKey);
        }
        if (!restored)
        {
            foreach (var (_, optimizer) in optimizers)
            {
                optimizer.State.Clear();
                optimizer.SetStepCount(0);
            }
            Note?.Invoke($"Optimizer state not restored ({why}): continuing with fresh Adam moments.");
        }
        Note?.Invoke($"Resumed {_session.Entry.Name} from {ModelPath} at step {step}.");
        return step;
    }

    private string DivergedMessage(long step, string what, long checkpointStep)
    {
        string kept = checkpointStep >= 0
            ? $"The last good checkpoint, {ModelPath} (step {checkpointStep}), is kept."
            : "No checkpoint was written before it diverged.";
        float lr = _settings.LearningRate;
        return $"Training diverged at step {step}: {what}. {kept}\n" +
               "What to try:\n" +
               $"  - a lower learning rate: --lr {(lr / 3).ToString("G2", CultureInfo.InvariantCulture)} (now {lr.ToString("G3", CultureInfo.InvariantCulture)});\n" +
               "  - gradient clipping: --clip 5;\n" +
               "  - check the data for extreme values or rows far from the rest (standardise columns to mean 0, std 1);\n" +
               (checkpointStep >= 0 ? "  - then continue from the checkpoint with --resume and the new settings." : "  - then train again.");
    }

    internal static string FormatLoss(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>
/// Early stopping (<c>train --validation F</c>): every <see cref="TrainSettings.ValidateEvery"/> steps the session's
/// <see cref="ModelSession.ValidationLoss"/> on the held-out rows is appended to <c>validation.csv</c>; a new best writes
/// <c>best.safetensors</c> (atomically, like every checkpoint); <see cref="TrainSettings.Patience"/> checks in a row without
/// a new best stop the run. A resumed run reads <c>validation.csv</c> back (rows up to the checkpoint's step), so its
/// best score and patience count continue where they were.
/// </summary>
internal sealed class EarlyStopping
{
    private readonly TrainingRun _run;
    private readonly ModelSession _session;
    private readonly TrainSettings _settings;
    private double _best = double.PositiveInfinity;
    private long _bestStep = -1;
    private int _stale;

    private EarlyStopping(TrainingRun run, ModelSession session, TrainSettings settings)
    {
        _run = run;
        _session = session;
        _settings = settings;
    }

    public static EarlyStopping Open(TrainingRun run, ModelSession session, TrainSettings settings, long startStep)
    {
        var e = new EarlyStopping(run, session, settings);
        var kept = new List<string>();
        if (settings.Resume && File.Exists(run.ValidationPath))
        {
            foreach (string line in File.ReadLines(run.ValidationPath).Skip(1))
            {
                var parts = line.Split(',');
                if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long step)
                    || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || step > startStep)
                    continue; // a torn last line, or checks after the checkpoint (redone now)
                kept.Add(line);
                e.Record(step, value);
            }
        }
        else if (File.Exists(run.BestPath))
            File.Delete(run.BestPath); // a fresh run: an old folder's best is not this run's
        File.WriteAllLines(run.ValidationPath + ".tmp", [$"step,{session.ValidationName}", .. kept]);
        File.Move(run.ValidationPath + ".tmp", run.ValidationPath, overwrite: true);
        return e;
    }

    /// <summary>Scores the validation rows at <paramref name="step"/>; returns the stop message once patience runs out, else null.</summary>
    public string? Check(long step, CancellationToken cancellationToken)
    {
        double value = _session.ValidationLoss(_settings.Validation!, _settings.Seed, cancellationToken) ?? double.NaN;
        File.AppendAllText(_run.ValidationPath, $"{step.ToString(CultureInfo.InvariantCulture)},{value.ToString("R", CultureInfo.InvariantCulture)}\n");
        if (Record(step, value))
            _session.Save(_run.BestPath, step);
        if (_stale < _settings.Patience)
            return null;
        return $"Early stop at step {step}: the validation {_session.ValidationName} has not improved for {_stale} checks " +
               $"({_stale * _settings.ValidateEvery} steps).";
    }

    /// <summary>Where the best parameters are.</summary>
    public string Summary(long step) => _bestStep < 0
        ? "No validation check ran (fewer steps than --validate-every)."
        : $"Best validation {_session.ValidationName} {_best.ToString("0.####", CultureInfo.InvariantCulture)} at step {_bestStep}: " +
          $"{_run.BestPath} (use it in place of the folder: gendsl eval {_run.BestPath}); scores in {_run.ValidationPath}.";

    /// <summary>True for a new best (strictly lower, and finite).</summary>
    private bool Record(long step, double value)
    {
        if (double.IsFinite(value) && value < _best)
        {
            _best = value;
            _bestStep = step;
            _stale = 0;
            return true;
        }
        _stale++;
        return false;
    }
}

/// <summary>The settings of a training folder (<c>run.json</c>), so that <c>--resume</c> can default to them.</summary>
internal sealed record RunInfo(string Model, string Data, int Batch, float LearningRate, ulong Seed, float Clip, double LearningRateDropAt = 1.0,
    double Validation = 0, long ValidateEvery = 0, int Patience = 0)
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Writes run.json atomically (temporary file + rename), so a killed process never leaves half of it.</summary>
    public void Write(string dir)
    {
        string path = Path.Combine(dir, TrainingRun.RunFile);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(this, s_json));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    public static RunInfo? TryRead(string dir)
    {
        string path = Path.Combine(dir, TrainingRun.RunFile);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<RunInfo>(File.ReadAllText(path), s_json); }
        catch (JsonException) { return null; }
    }
}
