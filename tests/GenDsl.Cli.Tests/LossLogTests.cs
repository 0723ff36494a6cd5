using System.Diagnostics;
using GenDsl.Cli.Output;
using GenDsl.Cli.Training;
using Xunit.Abstractions;

namespace GenDsl.Cli.Tests;

/// <summary>The bounded loss log driven directly: millions of steps, resumes at any step, old logs, kills.</summary>
public class LossLogTests(ITestOutputHelper output) : CliHarness
{
    private static readonly string[] s_names = ["nll"];

    /// <summary>A loss that falls and wobbles, a function of the step only.</summary>
    private static float[] Loss(long step) => [(float)(0.3 + 2.0 / (1 + step * 1e-4) + 0.1 * Math.Sin(step * 0.37))];

    [Fact]
    public void BlockSizesDoubleEveryThousandRows()
    {
        Assert.Equal(1, LossLog.BlockEnd(1));
        Assert.Equal(1000, LossLog.BlockEnd(1000));
        Assert.Equal(1002, LossLog.BlockEnd(1001));
        Assert.Equal(1002, LossLog.BlockEnd(1002));
        Assert.Equal(3000, LossLog.BlockEnd(2999));
        Assert.Equal(3004, LossLog.BlockEnd(3001));
        Assert.Equal(7008, LossLog.BlockEnd(7001));
        Assert.Equal(4, LossLog.BlockEnd(3, rowsPerLevel: 2));
    }

    [Fact]
    public void TenMillionStepsWriteASmallLogAndABoundedPlot()
    {
        const long steps = 10_000_000;
        string path = P("losses.csv");
        var clock = Stopwatch.StartNew();
        using (var log = LossLog.Open(path, s_names, resume: false, startStep: 0, pending: null))
        {
            float[] loss = new float[1];
            for (long s = 1; s <= steps; s++)
            {
                loss[0] = (float)(0.3 + 2.0 / (1 + s * 1e-4) + 0.1 * Math.Sin(s * 0.37));
                log.Add(s, loss);
            }
        }
        var (names, rows) = LossLog.Read(path);
        long bytes = new FileInfo(path).Length;
        output.WriteLine($"{steps} steps: {rows.Count} rows, {bytes} bytes, {clock.Elapsed.TotalSeconds:F2} s");
        Assert.Equal(s_names, names);
        // ⌈log₂(10⁷/1000 + 1)⌉ = 14 levels of ≤ 1,000 rows, a few hundred kilobytes (a row per step would be ~200 MB).
        Assert.InRange(rows.Count, 13_000, 14_000);
        Assert.True(bytes < 800_000, $"{bytes} bytes");
        Assert.Equal(steps, rows.Sum(r => r.Span));
        Assert.Equal(steps, rows[^1].Step);
        for (int i = 1; i < rows.Count; i++)
        {
            Assert.Equal(rows[i - 1].Step, rows[i].Step - rows[i].Span);
            Assert.True(rows[i].Span <= Math.Max(1, rows[i].Step / 500), $"row {i} covers {rows[i].Span} steps up to {rows[i].Step}");
            Assert.InRange(rows[i].Mean[0], rows[i].Min[0], rows[i].Max[0]);
        }

        // The plot draws at most ~1,000 points, whatever the length of the run.
        var points = Plots.ThinLossRows(rows, Plots.MaxLossPoints);
        Assert.InRange(points.Count, Plots.MaxLossPoints / 2, Plots.MaxLossPoints + 1);
        Assert.Equal(steps, points.Sum(p => p.Span));
        clock.Restart();
        Plots.Save(Plots.LossCurve("long run", names, rows), P("loss.png"));
        Assert.True(clock.Elapsed.TotalSeconds < 2, $"the plot took {clock.Elapsed.TotalSeconds:F2} s");
    }

    /// <summary>Writes a log of steps 1 … <paramref name="steps"/> in one go.</summary>
    private static string[] Straight(string path, long steps, int rowsPerLevel)
    {
        using (var log = LossLog.Open(path, s_names, resume: false, startStep: 0, pending: null, rowsPerLevel))
            for (long s = 1; s <= steps; s++) log.Add(s, Loss(s));
        return File.ReadAllLines(path);
    }

    [Fact]
    public void ResumingAtAnyStepGivesTheLogOfAnUninterruptedRun()
    {
        const int n = 4; // small levels: blocks of 8, 16, 32 … within a few hundred steps
        const long steps = 600;
        var straight = Straight(P("straight.csv"), steps, n);
        var random = new Random(7);
        for (int trial = 0; trial < 20; trial++)
        {
            string path = P($"pieces{trial}.csv");
            long step = 0;
            string? pending = null;
            bool resume = false;
            while (step < steps)
            {
                var log = LossLog.Open(path, s_names, resume, step, pending, n);
                long end = Math.Min(steps, step + random.Next(1, 120));
                long checkpoint = step;
                for (long s = step + 1; s <= end; s++)
                {
                    log.Add(s, Loss(s));
                    if (random.Next(10) == 0) { log.Flush(); pending = log.PendingState(); checkpoint = s; } // a checkpoint
                }
                bool killed = end < steps && random.Next(2) == 0;
                if (killed)
                {
                    // Killed: rows after the last checkpoint may be in the file, the last one cut off.
                    log.Flush();
                    log.Abandon();
                    File.AppendAllText(path, "99");
                    step = checkpoint;
                }
                else
                {
                    pending = log.PendingState(); // the checkpoint at the end of a run (then the shorter last row)
                    log.Close();
                    step = end;
                }
                resume = true;
            }
            Assert.Equal(straight, File.ReadAllLines(path));
        }
    }

    [Fact]
    public void AnOldOneRowPerStepLogIsFoldedIntoTheSameBlocks()
    {
        const long steps = 5000, checkpoint = 4321;
        var straight = Straight(P("straight.csv"), steps, LossLog.DefaultRowsPerLevel);

        using (var old = new StreamWriter(P("old.csv")))
        {
            old.WriteLine("step,nll");
            for (long s = 1; s <= 4400; s++) // rows after the checkpoint too, as an old run had them
                old.WriteLine($"{s},{TrainingRun.FormatLoss(Loss(s)[0])}");
        }
        using (var log = LossLog.Open(P("old.csv"), s_names, resume: true, startStep: checkpoint, pending: null))
        {
            Assert.Equal(checkpoint, log.Step);
            for (long s = checkpoint + 1; s <= steps; s++) log.Add(s, Loss(s));
        }
        Assert.Equal(straight, File.ReadAllLines(P("old.csv")));
    }

    [Fact]
    public void AResumeWithoutTheBlockStateKeepsTheShorterRowAndStaysContiguous()
    {
        string path = P("log.csv");
        using (var log = LossLog.Open(path, s_names, resume: false, startStep: 0, pending: null))
            for (long s = 1; s <= 1501; s++) log.Add(s, Loss(s));
        using (var log = LossLog.Open(path, s_names, resume: true, startStep: 1501, pending: null)) // an older checkpoint
            for (long s = 1502; s <= 1600; s++) log.Add(s, Loss(s));
        var (_, rows) = LossLog.Read(path);
        Assert.Equal(1600, rows.Sum(r => r.Span));
        Assert.Contains(rows, r => r.Step == 1501 && r.Span == 1);
        Assert.Contains(rows, r => r.Step == 1502 && r.Span == 1);
        for (int i = 1; i < rows.Count; i++) Assert.Equal(rows[i - 1].Step, rows[i].Step - rows[i].Span);
    }
}
