using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace GenDsl.Analyzers.Tests;

/// <summary>
/// End to end through NuGet: packs the one GenDsl package into a folder feed, then builds consumer
/// projects that know GenDsl only from that feed. A valid model compiles, trains and samples; broken
/// ones (a flow, a GAN, a VAE) fail <c>dotnet build</c> with the expected GD IDs on the expected lines. Runs in
/// <c>dotnet test -c Release</c> (trait Category=Integration; about a minute, bounded at 3).
/// </summary>
public class PackageIntegrationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(3);

    private const string ValidProgram = """
        using CommunityToolkit.HighPerformance;
        using GenDsl;
        using GenDsl.Data;

        var flow = new TinyFlow(new ModelOptions { MaxBatch = 64, Seed = 1 });
        var data = Toy2D.TwoMoons(512, seed: 1);
        var sampler = new BatchSampler(data, 64, seed: 2);
        var adam = new Adam(flow, learningRate: 1e-3f);
        float first = 0, last = 0;
        for (int step = 0; step < 20; step++)
        {
            last = flow.TrainStep(sampler.Next(), adam);
            if (step == 0)
                first = last;
        }
        var x = new float[32 * 2];
        flow.Sample(new Span2D<float>(x, 32, 2), new Rng(3));
        float mean = 0;
        foreach (float v in x)
            mean += v / x.Length;
        System.Console.WriteLine(FormattableString.Invariant($"RESULT {first} {last} {mean}"));

        [Flow(Features = 2)]
        public sealed partial class TinyFlow
        {
            [AffineCoupling(Mask.Alternating, Hidden = 16, HiddenLayers = 1)] public partial Coupling C1 { get; }
            [AffineCoupling(Mask.Alternating, Hidden = 16, HiddenLayers = 1)] public partial Coupling C2 { get; }
            [Permute(Permutation.Reverse)] public partial Permutation P1 { get; }
            [AdditiveCoupling(Mask.FirstHalf, Hidden = 16)] public partial Coupling C3 { get; }
        }
        """;

    // Line numbers matter: the test expects each ID on the line noted at its right.
    private const string BrokenModels = """
        using GenDsl;

        [Flow(Features = 3)]
        public sealed partial class BrokenFlow
        {
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C1 { get; }
            [AffineCoupling(Mask.FirstHalf)] public partial Coupling C2 { get; }
            [Permute(0, 0, 1)] public partial Permutation P1 { get; }
            [AffineCoupling("111")] public partial Coupling C3 { get; }
            [AffineCoupling("10", Hidden = 0)] public partial Coupling C4 { get; }
        }

        [Flow(Features = 2)]
        public sealed class NotPartialFlow
        {
        }

        [Gan(Features = 2, Noise = 0, Loss = GanLoss.Wasserstein)]
        public sealed partial class BrokenGan
        {
            [Generator, Dense(0)] public partial Dense G1 { get; }
            [Encoder, Dense(16)] public partial Dense G2 { get; }
            [Discriminator] public partial Dense D1 { get; }
            [Discriminator, Dense(16, Activation.Tanh)] public partial Dense? D2 { get; }
        }

        [Vae(Features = 4, Latent = 2)]
        public sealed partial class BrokenVae
        {
            [Encoder, Dense(8)] public partial Dense E1 { get; set; }
            [Decoder, Dense(8)] public partial Dense D1 { get; }
        }

        public static class Program
        {
            // Uses the API the generator did not emit: errors in a method body do not hide the GD errors.
            public static void Main() => System.Console.WriteLine(new BrokenFlow(new ModelOptions()).ParameterCount + new BrokenGan(new ModelOptions()).ParameterCount);
        }
        """;

    private static readonly (string Id, int Line, string Severity)[] ExpectedFindings =
    [
        ("GD0007", 7, "warning"),
        ("GD0004", 8, "error"),
        ("GD0003", 9, "error"),
        ("GD0006", 10, "error"),
        ("GD0005", 10, "error"),
        ("GD0001", 14, "error"),
        ("GD0008", 13, "warning"),
        ("GD0005", 18, "error"),   // Noise = 0
        ("GD0014", 18, "error"),   // Loss = GanLoss.Wasserstein with a Tanh critic layer
        ("GD0005", 21, "error"),   // Dense(0)
        ("GD0009", 22, "error"),   // [Encoder] in a GAN
        ("GD0013", 23, "error"),   // [Discriminator] without [Dense]
        ("GD0012", 24, "error"),   // Dense?
        ("GD0011", 30, "error"),   // { get; set; }
    ];

    [Fact]
    [Trait("Category", "Integration")]
    public void PackedPackageWorksInAConsumerProject()
    {
        var clock = Stopwatch.StartNew();
        string root = RepositoryRoot();
        string work = Path.Combine(Path.GetTempPath(), "gendsl-it-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(work);
        try
        {
            // A version no earlier run used, and a package cache of our own: nothing stale can be picked up.
            string version = "0.0.0-it." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);
            string feed = Path.Combine(work, "feed");
            string configuration = typeof(PackageIntegrationTests).Assembly.Location.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
            var consumerEnv = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(work, "packages") };

            // --no-build: the runtime and the Roslyn components were built with this test assembly (it
            // references them), so the pack only reads the repository's bin/ and obj/ folders.
            var pack = Dotnet(work, new Dictionary<string, string>(), clock, "pack", Path.Combine(root, "runtime", "GenDsl.csproj"),
                "--no-build", "-c", configuration, "-o", feed, $"-p:PackageVersion={version}");
            Assert.True(pack.ExitCode == 0, "dotnet pack failed:\n" + pack.Output);
            Assert.True(File.Exists(Path.Combine(feed, $"GenDsl.{version}.nupkg")), "no package in the feed:\n" + pack.Output);

            WriteNuGetConfig(work, feed);
            // Stop MSBuild's upward search for Directory.Build.* / Directory.Packages.props at the work folder.
            File.WriteAllText(Path.Combine(work, "Directory.Build.props"), "<Project />");
            File.WriteAllText(Path.Combine(work, "Directory.Build.targets"), "<Project />");
            File.WriteAllText(Path.Combine(work, "Directory.Packages.props"), "<Project />");

            // A valid model: builds without a warning, trains and samples.
            string valid = Consumer(work, "Valid", version, ValidProgram);
            var run = Dotnet(valid, consumerEnv, clock, "run", "-c", "Release", "-p:TreatWarningsAsErrors=true");
            Assert.True(run.ExitCode == 0, "the valid consumer failed to build or run:\n" + run.Output);
            var result = Regex.Match(run.Output, @"RESULT (\S+) (\S+) (\S+)");
            Assert.True(result.Success, "no RESULT line:\n" + run.Output);
            float first = float.Parse(result.Groups[1].Value, CultureInfo.InvariantCulture);
            float last = float.Parse(result.Groups[2].Value, CultureInfo.InvariantCulture);
            float mean = float.Parse(result.Groups[3].Value, CultureInfo.InvariantCulture);
            Assert.True(float.IsFinite(first) && float.IsFinite(last) && float.IsFinite(mean), result.Value);
            output.WriteLine($"valid consumer: {result.Value} ({clock.Elapsed.TotalSeconds:F0} s)");

            // Broken models: the build fails with the GD IDs on the lines they belong to.
            string broken = Consumer(work, "Broken", version, BrokenModels);
            var build = Dotnet(broken, consumerEnv, clock, "build", "-c", "Release");
            Assert.True(build.ExitCode != 0, "the broken consumer built:\n" + build.Output);
            var found = Regex.Matches(build.Output, @"Program\.cs\((\d+),\d+\): (error|warning) (GD\d{4}):")
                .Select(m => (Id: m.Groups[3].Value, Line: int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), Severity: m.Groups[2].Value))
                .ToHashSet();
            foreach (var expected in ExpectedFindings)
                Assert.True(found.Contains(expected), $"expected {expected.Severity} {expected.Id} on line {expected.Line}; found: {string.Join(", ", found.OrderBy(f => f.Line))}\n{build.Output}");
            Assert.All(found, f => Assert.Contains(f, ExpectedFindings)); // and nothing else from GenDsl
            // The skipped model's layer properties were completed by the generator's stubs (else CS9248
            // declaration errors would have stopped the compiler before the analyzers ran).
            Assert.DoesNotContain("CS9248", build.Output);
            output.WriteLine($"broken consumer: {found.Count} GD findings ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string Consumer(string work, string name, string version, string program)
    {
        string dir = Path.Combine(work, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="GenDsl" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "Program.cs"), program);
        return dir;
    }

    /// <summary>The folder feed first, then the machine's configured sources (not cleared), plus its package cache as a folder feed.</summary>
    private static void WriteNuGetConfig(string work, string feed)
    {
        var sources = new StringBuilder();
        sources.AppendLine($"""    <add key="gendsl-under-test" value="{feed}" />""");
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        if (Directory.Exists(cache))
            sources.AppendLine($"""    <add key="machine-package-cache" value="{cache}" />""");
        File.WriteAllText(Path.Combine(work, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
            {sources}  </packageSources>
            </configuration>
            """);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GenDsl.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("GenDsl.sln not found above " + AppContext.BaseDirectory);
    }

    private (int ExitCode, string Output) Dotnet(string workingDirectory, Dictionary<string, string> env, Stopwatch clock, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        // No build servers left behind; no MSBuild state inherited from the `dotnet test` that runs us.
        start.ArgumentList.Add("-nodeReuse:false");
        start.ArgumentList.Add("-p:UseSharedCompilation=false");
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (key, value) in env)
            start.Environment[key] = value;

        var text = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var remaining = Budget - clock.Elapsed;
        if (remaining <= TimeSpan.Zero || !process.WaitForExit(remaining))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"`dotnet {string.Join(' ', args)}` did not finish within the {Budget.TotalMinutes:F0}-minute budget:\n{text}");
        }
        process.WaitForExit(); // drain the output
        output.WriteLine($"dotnet {args[0]}: exit {process.ExitCode} at {clock.Elapsed.TotalSeconds:F0} s");
        lock (text)
            return (process.ExitCode, text.ToString());
    }
}
