using System.Diagnostics;
using System.Globalization;
using GenDsl.Cli.Data;
using GenDsl.Cli.Models;
using GenDsl.Cli.Training;
using GenDsl.IO;
using Xunit.Abstractions;

namespace GenDsl.Cli.Tests;

/// <summary>
/// Long runs (issue #15): the loss log stays bounded, Ctrl+C is quick however long the run, --resume
/// continues a bounded log exactly, and a process killed at any moment leaves a loadable, consistent checkpoint.
/// </summary>
public class LongRunTests(ITestOutputHelper output) : CliHarness
{
    /// <summary>The data rows of a losses.csv (either format) as (step, span): span 1 where the file has no span column.</summary>
    private static List<(long Step, long Span)> StepsAndSpans(string path)
    {
        var lines = File.ReadAllLines(path);
        int span = Array.IndexOf(lines[0].Split(','), "span");
        return lines[1..].Select(l => l.Split(','))
            .Select(p => (long.Parse(p[0], CultureInfo.InvariantCulture), span > 0 ? long.Parse(p[span], CultureInfo.InvariantCulture) : 1L))
            .ToList();
    }

    /// <summary>Each row starts right after the one before: the log covers steps 1 … last with no gap and no overlap.</summary>
    private static void AssertContiguous(List<(long Step, long Span)> rows, long lastStep)
    {
        long previous = 0;
        foreach (var (step, span) in rows)
        {
            Assert.True(step - span == previous, $"row at step {step} (span {span}) does not follow step {previous}");
            previous = step;
        }
        Assert.Equal(lastStep, previous);
    }

    [Fact]
    public void TheLossLogOfALongerRunHasFewerRowsThanSteps()
    {
        AssertExit(ExitCodes.Ok, Run("train", "moons-flow", "--steps", "5000", "--batch", "8", "--out", P("run")));
        var rows = StepsAndSpans(P("run", "losses.csv"));
        // 1,000 single steps, 1,000 blocks of 2 (steps 1,001 … 3,000), 500 blocks of 4 (… 5,000).
        Assert.Equal(2500, rows.Count);
        AssertContiguous(rows, 5000);
        Assert.Equal("step,nll,span,nll_min,nll_max", File.ReadLines(P("run", "losses.csv")).First());
    }

    [Fact]
    public void ResumeAcrossBlockSizesContinuesTheBoundedLogExactly()
    {
        string[] common = ["--batch", "8", "--seed", "5", "--checkpoint-every", "777"];
        AssertExit(ExitCodes.Ok, Run(["train", "moons-flow", "--steps", "3102", "--out", P("straight"), .. common]));

        // 1,501 ends inside a block of 2 (a shorter last row, continued on resume); a Ctrl+C (at the first
        // progress report, after one step) completes that block at 1,502; a second one stops inside the
        // next block, at 1,503; then the rest.
        AssertExit(ExitCodes.Ok, Run(["train", "moons-flow", "--steps", "1501", "--out", P("pieces"), .. common]));
        foreach (string expected in (string[])["Interrupted at step 1502", "Interrupted at step 1503"])
        {
            using var cancellation = new CancellationTokenSource();
            var r = RunWith(cancellation.Token, new CancelOnProgressWriter(cancellation),
                "train", "moons-flow", "--steps", "3102", "--out", P("pieces"), "--resume", "--threads", "1");
            AssertExit(ExitCodes.Interrupted, r);
            Assert.Contains(expected, r.Out);
        }
        AssertExit(ExitCodes.Ok, Run("train", "moons-flow", "--steps", "3102", "--out", P("pieces"), "--resume"));

        var straight = File.ReadAllLines(P("straight", "losses.csv"));
        Assert.Equal(straight, File.ReadAllLines(P("pieces", "losses.csv")));
        Assert.Equal(File.ReadAllBytes(P("straight", "model.safetensors")), File.ReadAllBytes(P("pieces", "model.safetensors")));
        var rows = StepsAndSpans(P("straight", "losses.csv"));
        Assert.Equal(1000 + 1000 + 26, rows.Count); // 3,001 … 3,100 in blocks of 4, then a shorter row of 2
        Assert.Equal((3102L, 2L), rows[^1]);
        AssertContiguous(rows, 3102);
    }

    /// <summary>Rewrites the step stored in a checkpoint file (a test stand-in for a run that has gone on for long).</summary>
    private static void SetStep(string path, long step)
    {
        var file = SafeTensors.Read(path);
        var tensors = file.Names.Select(n => new TensorEntry(n, file.Shape(n), file.ToArray(n))).ToList();
        var metadata = new Dictionary<string, string>(file.Metadata) { [GenDsl.Checkpoint.StepKey] = step.ToString(CultureInfo.InvariantCulture) };
        SafeTensors.Write(path, tensors, metadata);
    }

    /// <summary>Cancels when the first progress line is written, and remembers when.</summary>
    private sealed class TimedCancelWriter(CancellationTokenSource cancellation) : StringWriter
    {
        public Stopwatch? SinceCancel { get; private set; }

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (SinceCancel is null && value is not null && value.TrimStart().StartsWith("step ", StringComparison.Ordinal))
            {
                SinceCancel = Stopwatch.StartNew();
                cancellation.Cancel();
            }
        }
    }

    [Fact]
    public void CtrlCAfterTwoMillionStepsExitsWithinTwoSeconds()
    {
        // A run at step 2,000,000 with the one-row-per-step log such a run wrote before the log was bounded (~34 MB).
        const long start = 2_000_000;
        AssertExit(ExitCodes.Ok, Run("train", "moons-flow", "--steps", "4", "--batch", "16", "--out", P("run")));
        SetStep(P("run", "model.safetensors"), start);
        SetStep(P("run", "optimizer.safetensors"), start);
        var random = new Random(1);
        using (var log = new StreamWriter(P("run", "losses.csv")))
        {
            log.WriteLine("step,nll");
            for (long s = 1; s <= start; s++)
                log.WriteLine(FormattableString.Invariant($"{s},{(float)(0.3 + random.NextDouble())}"));
        }

        using var cancellation = new CancellationTokenSource();
        var writer = new TimedCancelWriter(cancellation);
        var r = RunWith(cancellation.Token, writer, "train", "moons-flow", "--out", P("run"), "--resume", "--steps", "3000000", "--threads", "1");
        double seconds = writer.SinceCancel!.Elapsed.TotalSeconds;
        output.WriteLine($"Ctrl+C to exit: {seconds:F3} s");
        AssertExit(ExitCodes.Interrupted, r);
        Assert.Contains("at step 2000000", r.Out);
        Assert.DoesNotContain("not restored", r.Out);
        Assert.True(seconds < 2, $"Ctrl+C took {seconds:F2} s to exit");

        // The old log was folded into blocks: bounded, and still covering every step.
        var rows = StepsAndSpans(P("run", "losses.csv"));
        Assert.True(new FileInfo(P("run", "losses.csv")).Length < 1_000_000, $"losses.csv is {new FileInfo(P("run", "losses.csv")).Length} bytes");
        Assert.InRange(rows.Count, 1000, 12_000);
        AssertContiguous(rows, rows[^1].Step);
        Assert.True(rows[^1].Step > start);
        Assert.Contains("checkpoint step " + rows[^1].Step, Run("eval", P("run")).Out);
    }

    /// <summary>The files of a kill in the middle of writing a checkpoint (temporary names).</summary>
    private static bool IsLeftover(string name) => name.EndsWith(".tmp", StringComparison.Ordinal)
        || name.EndsWith(".next", StringComparison.Ordinal) || name.EndsWith(".prev", StringComparison.Ordinal);

    [Fact]
    public void SigkillAtRandomMomentsNeverLeavesAnUnloadableOrInconsistentCheckpoint()
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "GenDsl.Cli.dll");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        string dir = P("run");
        var entry = ModelRegistry.Get("moons-flow");
        var data = DataCatalog.Load(entry.DefaultData, entry);
        var random = new Random(15); // the moments of the kills
        var budget = Stopwatch.StartNew();
        int kills = 0, duringSave = 0, checkpoints = 0, none = 0;
        long lastStep = 0, mostSteps = 0;
        for (int round = 0; round < 16 && budget.Elapsed.TotalSeconds < 45; round++)
        {
            // Every fourth round starts a new run, killed early (often before or during its first save).
            bool fresh = round % 4 == 0;
            if (fresh && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            if (fresh) lastStep = 0;
            bool resume = File.Exists(Path.Combine(dir, "model.safetensors"));
            var start = new ProcessStartInfo(dotnet)
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            foreach (string a in (string[])[cli, "train", "moons-flow", "--steps", "100000000", "--batch", "16", "--seed", "3",
                         "--checkpoint-every", "1", "--threads", "1", "--out", dir, .. resume ? ["--resume"] : Array.Empty<string>()])
                start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            Thread.Sleep(TimeSpan.FromSeconds(fresh ? 0.2 + 0.8 * random.NextDouble() : 0.4 + 1.2 * random.NextDouble()));
            Assert.False(process.HasExited, $"round {round}: the training process ended by itself (exit {(process.HasExited ? process.ExitCode : 0)})");
            process.Kill(); // SIGKILL on Linux
            process.WaitForExit();
            kills++;

            var names = Directory.Exists(dir) ? Directory.GetFiles(dir).Select(Path.GetFileName).ToList() : [];
            if (names.Any(n => IsLeftover(n!))) duringSave++;
            string model = Path.Combine(dir, "model.safetensors");
            if (!File.Exists(model))
            {
                // No checkpoint yet: nothing the kill left may pass for one.
                var r = Run("train", "moons-flow", "--out", dir, "--resume");
                AssertExit(ExitCodes.Usage, r);
                Assert.Contains("Nothing to resume", r.Err);
                Assert.NotEqual(ExitCodes.Ok, Run("eval", dir).ExitCode);
                none++;
                continue;
            }

            // The model loads, and resuming finds the optimizer state of the same step.
            var session = entry.Create(new ModelOptions { MaxBatch = 16, Seed = 3, Pool = new GenDsl.Threading.WorkerPool(1) });
            long step = session.Load(model);
            Assert.True(step >= lastStep, $"round {round}: the checkpoint went back from step {lastStep} to {step}");
            lastStep = step;
            mostSteps = Math.Max(mostSteps, step);
            checkpoints++;
            var notes = new List<string>();
            var run = new TrainingRun(session, data.Train, new TrainSettings
            {
                Steps = step, Batch = 16, LearningRate = 1e-3f, Seed = 3, OutDir = dir, CheckpointEvery = 1, Resume = true,
            }) { Note = notes.Add };
            Assert.Equal(step, run.Prepare());
            Assert.True(!notes.Any(n => n.Contains("not restored", StringComparison.Ordinal)),
                $"round {round} (files {string.Join(", ", names)}): {string.Join(" ", notes)}");
            var optimizer = SafeTensors.Read(Path.Combine(dir, "optimizer.safetensors"));
            Assert.Equal(step.ToString(CultureInfo.InvariantCulture), optimizer.Metadata[GenDsl.Checkpoint.StepKey]);
        }
        output.WriteLine($"{kills} kills in {budget.Elapsed.TotalSeconds:F1} s, {duringSave} during a save (temporary files left), " +
                         $"{checkpoints} found a checkpoint, {none} none yet; most steps {mostSteps}");
        Assert.True(kills >= 10, $"only {kills} kills in the time budget");
        Assert.True(duringSave >= 3, $"only {duringSave} of {kills} kills landed during a save");
        Assert.True(mostSteps > 0, "no checkpoint was ever written");

        // The run continues after all the kills, and its loss log covers every step once.
        string[] more = ["train", "moons-flow", "--out", dir, "--steps", $"{lastStep + 20}", "--batch", "16", "--seed", "3", "--checkpoint-every", "1"];
        AssertExit(ExitCodes.Ok, Run(lastStep > 0 ? [.. more, "--resume"] : more));
        AssertContiguous(StepsAndSpans(Path.Combine(dir, "losses.csv")), lastStep + 20);
        Assert.DoesNotContain(Directory.GetFiles(dir).Select(Path.GetFileName), n => IsLeftover(n!));
    }
}
