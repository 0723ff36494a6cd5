using System.Globalization;
using GenDsl.Benchmarks.Torch;
using GenDsl.Data;
using GenDsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenDsl.Benchmarks.Models;

/// <summary>
/// <c>reference moons-flow [--steps N] [--seeds a,b,…]</c>: why does torch's MoonsFlow reach a lower
/// held-out NLL than ours at the same budget? Trains <see cref="MoonsFlow"/> (8 affine couplings,
/// 1 → 64 → 64 → 2, ReLU) exactly as GenDsl's learning test does (a fresh batch of 512 two-moons points
/// per step from <c>Toy2D.TwoMoons(steps·512, seed 1, noise 0.05)</c>, Adam 1e-3, held-out
/// <c>TwoMoons(5000, seed 2)</c>) in six variants that separate the initialisation, the learned scale
/// and the implementation:
/// <list type="bullet">
/// <item>GenDsl with FlowInitialization.Identity (output layers zeroed after construction, scale 1, learned): the default before 2026-12-04;</item>
/// <item>GenDsl started from the torch twin's default initialisation (nn.Linear's everywhere): the same numbers as the next row;</item>
/// <item>the TorchSharp twin, default initialisation, learned scale;</item>
/// <item>the TorchSharp twin, GenDsl's initialisation (its output layers zeroed);</item>
/// <item>the TorchSharp twin, default initialisation, s = tanh(r) (scale fixed at 1);</item>
/// <item>GenDsl as declared now (FlowInitialization.Linear, the default: nn.Linear's distribution from GenDsl's Rng).</item>
/// </list>
/// </summary>
public static class MoonsFlowReference
{
    /// <summary>Usage lines for the help text.</summary>
    public const string Usage = """
          reference moons-flow [--steps N] [--seeds a,b,…] [--variants i,j,…]
                          Held-out NLL of MoonsFlow (issue #14): GenDsl and its TorchSharp twin, each
                          with GenDsl's and with torch's default initialisation, and torch with an
                          unscaled tanh; N steps of batch 512 (default 2000), seeds default 3,4,5,6,7;
                          --variants picks rows 1–6 of the table (default all; row 6 is
                          GenDsl's Linear default, row 1 its Identity initialisation).
        """;

    private const int Batch = 512, Features = 2, Couplings = 8, Hidden = 64, HiddenLayers = 2;

    /// <summary>Runs after "reference moons-flow"; returns the exit code.</summary>
    public static int Run(ReadOnlySpan<string> args)
    {
        int steps = 2000;
        ulong[] seeds = { 3, 4, 5, 6, 7 };
        ulong[]? only = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--steps" && i + 1 < args.Length && int.TryParse(args[i + 1], out steps) && steps > 0) i++;
            else if (args[i] == "--seeds" && i + 1 < args.Length && TryParseList(args[i + 1], out seeds)) i++;
            else if (args[i] == "--variants" && i + 1 < args.Length && TryParseList(args[i + 1], out var picked) && picked.All(v => v is >= 1 and <= 6))
            {
                only = picked;
                i++;
            }
            else
            {
                Console.Error.WriteLine($"reference moons-flow: bad option '{args[i]}'.");
                Console.Error.WriteLine(Usage);
                return 2;
            }
        }

        TorchNativeLoader.EnsureLoaded(Console.Out);
        torch.set_num_threads(Environment.ProcessorCount);
        var train = Toy2D.TwoMoons(steps * Batch, seed: 1, noise: 0.05);
        var test = Toy2D.TwoMoons(5_000, seed: 2, noise: 0.05);
        Console.WriteLine($"MoonsFlow: {Couplings} affine couplings (Mask.Alternating), nets 1 → {Hidden} → {Hidden} → 2 ReLU; Adam 1e-3, " +
                          $"{steps} steps of {Batch} fresh points (TwoMoons seed 1, noise 0.05); held out TwoMoons(5000, seed 2). " +
                          $"{Environment.ProcessorCount} threads, float32.");
        var variants = new (string Name, Func<ulong, double> Run)[]
        {
            ("GenDsl, Identity init", seed => Ours(train, test, steps, seed, Init.Identity)),
            ("GenDsl, torch init", seed => Ours(train, test, steps, seed, Init.Torch)),
            ("torch, torch init", seed => Torch(train, test, steps, seed, zeroOutput: false, learnedScale: true)),
            ("torch, zero output", seed => Torch(train, test, steps, seed, zeroOutput: true, learnedScale: true)),
            ("torch, torch init, tanh", seed => Torch(train, test, steps, seed, zeroOutput: false, learnedScale: false)),
            ("GenDsl, Linear default", seed => Ours(train, test, steps, seed, Init.Declared)),
        };
        Console.WriteLine();
        Console.WriteLine($"{"variant",-26}" + string.Concat(seeds.Select(s => $"{"seed " + s,10}")) + $"{"mean ± s.d.",18}");
        for (int v = 0; v < variants.Length; v++)
        {
            if (only is not null && !only.Contains((ulong)(v + 1)))
                continue;
            var (name, run) = variants[v];
            var nll = seeds.Select(run).ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-26}{string.Concat(nll.Select(v => $"{v,10:F4}"))}{$"{nll.Average():F4} ± {Sd(nll):F4}",18}"));
        }
        return 0;
    }

    private static bool TryParseList(string text, out ulong[] values)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries);
        values = new ulong[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!ulong.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]))
                return false;
        return values.Length > 0;
    }

    private static double Sd(List<double> x)
    {
        if (x.Count < 2) return 0;
        double m = x.Average();
        return Math.Sqrt(x.Sum(v => (v - m) * (v - m)) / (x.Count - 1));
    }

    /// <summary>Ours: as declared, or with the parameters of a freshly initialised torch twin of the same seed.</summary>
    private enum Init { Declared, Identity, Torch }

    private static double Ours(Dataset train, Dataset test, int steps, ulong seed, Init init)
    {
        var flow = new MoonsFlow(new ModelOptions { MaxBatch = Batch, Seed = seed });
        if (init == Init.Identity) // FlowInitialization.Identity: the output layers (net.2) zero, the rest as drawn
            foreach (var t in MoonsFlow.Tensors.Where(t => t.Name.Contains(".net.2.", StringComparison.Ordinal)))
                flow.Parameters.Span.Slice(t.Offset, t.Length).Clear();
        if (init == Init.Torch)
        {
            torch.manual_seed((long)seed);
            using var twin = new TorchRealNvp(Features, Couplings, Hidden, HiddenLayers);
            ParameterMap.ByName(flow, twin).CopyFromTorch(flow.Parameters.Span);
        }
        var adam = new Adam(flow, learningRate: 1e-3f);
        for (int step = 0; step < steps; step++)
            flow.TrainStep(train.GetRows(step * Batch, Batch), adam);
        var logp = new float[Batch];
        double sum = 0;
        for (int start = 0; start < test.Rows; start += Batch)
        {
            int n = Math.Min(Batch, test.Rows - start);
            flow.LogProb(test.GetRows(start, n), logp.AsSpan(0, n));
            for (int i = 0; i < n; i++) sum -= logp[i];
        }
        return sum / test.Rows;
    }

    /// <summary>The TorchSharp twin (autograd, torch.optim.Adam), on the same batches.</summary>
    private static double Torch(Dataset train, Dataset test, int steps, ulong seed, bool zeroOutput, bool learnedScale)
    {
        torch.manual_seed((long)seed);
        using var model = new TorchRealNvp(Features, Couplings, Hidden, HiddenLayers, learnedScale);
        if (zeroOutput)
            model.ZeroOutputLayers();
        using var adam = optim.Adam(model.parameters().Where(p => p.requires_grad), lr: 1e-3);
        var data = train.Data;
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            adam.zero_grad();
            var x = tensor(data.AsSpan(step * Batch * Features, Batch * Features).ToArray(), [Batch, Features]);
            var loss = model.Loss(x);
            loss.backward();
            adam.step();
        }
        using var noGrad = no_grad();
        using var evalScope = NewDisposeScope();
        return model.Loss(tensor(test.Data, [test.Rows, Features])).item<float>();
    }
}
