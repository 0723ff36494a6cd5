using System.Text;

namespace GenDsl.Cli.Tests;

/// <summary>The result of one in-process run of gendsl.</summary>
public sealed record CliResult(int ExitCode, string Out, string Err)
{
    public override string ToString() => $"exit {ExitCode}\n--- out ---\n{Out}\n--- err ---\n{Err}";
}

/// <summary>Runs gendsl in-process in a temporary folder of its own (deleted afterwards).</summary>
public abstract class CliHarness : IDisposable
{
    protected CliHarness()
    {
        Dir = Directory.CreateTempSubdirectory("gendsl-cli-").FullName;
    }

    /// <summary>The test's temporary folder.</summary>
    protected string Dir { get; }

    /// <summary>A path inside <see cref="Dir"/>.</summary>
    protected string P(params string[] parts) => Path.Combine([Dir, .. parts]);

    /// <summary>Runs gendsl with the arguments; every run uses 1 thread (fast, and deterministic anyway).</summary>
    protected static CliResult Run(params string[] args) => RunWith(CancellationToken.None, null, args);

    /// <summary>Runs gendsl with a cancellation token and, optionally, a custom output writer.</summary>
    protected static CliResult RunWith(CancellationToken token, TextWriter? output, params string[] args)
    {
        var @out = output ?? new StringWriter();
        var err = new StringWriter();
        bool needsThreads = args.Length > 0 && args[0] is "train" or "sample" or "eval" or "demo" or "complete" && !args.Contains("--threads") && !args.Contains("--help");
        string[] full = needsThreads ? [.. args, "--threads", "1"] : args;
        int code = GenDslCli.Run(full, @out, err, token);
        return new CliResult(code, @out.ToString()!, err.ToString());
    }

    /// <summary>Asserts the exit code and that nothing looks like a stack trace.</summary>
    protected static void AssertExit(int expected, CliResult result)
    {
        Assert.True(expected == result.ExitCode, $"expected exit {expected}, got {result}");
        Assert.DoesNotContain("   at ", result.Err);
        Assert.DoesNotContain("Exception", result.Err);
    }

    /// <summary>Writes a CSV file in the test folder.</summary>
    protected string WriteFile(string name, string content)
    {
        string path = P(name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>A CSV of two-moons-like rows (header "a,b"), optionally with a label column.</summary>
    protected string WriteToyCsv(string name, int rows, bool labels = false, double scale = 1)
    {
        var data = GenDsl.Data.Toy2D.TwoMoons(rows, seed: 5);
        var text = new StringBuilder(labels ? "a,b,label\n" : "a,b\n");
        for (int r = 0; r < rows; r++)
        {
            text.Append(FormattableString.Invariant($"{data.Data[2 * r] * scale},{data.Data[2 * r + 1]}"));
            text.Append(labels ? FormattableString.Invariant($",{data.Labels[r]}\n") : "\n");
        }
        return WriteFile(name, text.ToString());
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        GC.SuppressFinalize(this);
    }
}

/// <summary>A writer that cancels a token the first time a progress line ("step …") is written: a Ctrl+C during training.</summary>
public sealed class CancelOnProgressWriter(CancellationTokenSource cancellation) : StringWriter
{
    public override void WriteLine(string? value)
    {
        base.WriteLine(value);
        if (value is not null && value.TrimStart().StartsWith("step ", StringComparison.Ordinal))
            cancellation.Cancel();
    }
}
