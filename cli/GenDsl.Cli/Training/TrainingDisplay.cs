using System.Globalization;
using System.Text;
using GenDsl.Cli.Commands;
using Spectre.Console;

namespace GenDsl.Cli.Training;

/// <summary>
/// Shows training progress: a live Spectre.Console progress bar on a terminal, or a plain line
/// every tenth of the run (and at least every 10 s) when the output is a file, a pipe or a test.
/// </summary>
internal static class TrainingDisplay
{
    /// <summary>Runs <paramref name="train"/>, handing it the callback that displays its progress reports.</summary>
    public static TrainResult Run(CliContext context, string title, long targetSteps, Func<Action<TrainProgress>, TrainResult> train)
    {
        if (context.Interactive)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Out) });
            TrainResult? result = null;
            console.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
                .Start(progress =>
                {
                    var task = progress.AddTask(Markup.Escape(title), maxValue: targetSteps);
                    result = train(p =>
                    {
                        task.Value = p.Step;
                        task.Description = Markup.Escape($"{title}  {Describe(p)}");
                    });
                    task.Value = result.Step;
                    task.StopTask();
                });
            return result!;
        }

        long nextLine = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double lastTime = 0;
        return train(p =>
        {
            double now = clock.Elapsed.TotalSeconds;
            if (p.Step >= nextLine || now - lastTime >= 10 || p.Step == p.TargetSteps)
            {
                context.Out.WriteLine($"  {Describe(p)}");
                lastTime = now;
                long tenth = Math.Max(1, p.TargetSteps / 10);
                nextLine = (p.Step / tenth + 1) * tenth;
            }
        });
    }

    /// <summary>"step 1200/2000  nll 0.4121  850 steps/s  ETA 0:01".</summary>
    public static string Describe(TrainProgress p)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"step {p.Step}/{p.TargetSteps}");
        for (int i = 0; i < p.LossNames.Count; i++)
            text.Append(CultureInfo.InvariantCulture, $"  {p.LossNames[i]} {Shared.Number(p.Losses[i])}");
        text.Append(CultureInfo.InvariantCulture, $"  {p.StepsPerSecond:F0} steps/s  ETA {FormatTime(p.Eta)}");
        return text.ToString();
    }

    public static string FormatTime(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes}:{t.Seconds:00}";
}
