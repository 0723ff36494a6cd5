namespace GenDsl.Cli;

/// <summary>The <c>gendsl</c> executable: wires Ctrl+C to cancellation and runs <see cref="GenDslCli.Run"/>.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            if (cancellation.IsCancellationRequested)
                return; // a second Ctrl+C ends the process at once
            e.Cancel = true; // the first one lets training save a checkpoint and stop
            cancellation.Cancel();
            Console.Error.WriteLine("Ctrl+C: stopping after this step (press again to quit at once)…");
        };
        return GenDslCli.Run(args, Console.Out, Console.Error, cancellation.Token);
    }
}
