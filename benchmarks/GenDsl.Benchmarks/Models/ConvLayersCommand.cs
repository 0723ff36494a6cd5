using System.Diagnostics;
using CommunityToolkit.HighPerformance;
using GenDsl.Benchmarks.Torch;
using GenDsl.Numerics;
using GenDsl.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace GenDsl.Benchmarks.Models;

/// <summary>
/// The <c>conv-layers</c> command: every convolution of <c>train-dcgan</c> and <c>train-convvae</c> timed on its own at
/// the batch it sees in the step — ours (<see cref="Conv2d"/> / <see cref="ConvTranspose2d"/>: forward, data gradient,
/// weight gradient) and torch's module (forward with autograd recording, as in training; backward = weight, bias and
/// input gradients together) — to tell which layers bound the steps and at what GFLOP/s.
/// </summary>
public static class ConvLayersCommand
{
    /// <summary>Usage lines for the help text.</summary>
    public const string Usage = """
          conv-layers [--threads T] [--ms M] [--filter TEXT]
                          The conv layers of train-dcgan and train-convvae one by one at their step's batch:
                          ours forward / data gradient / weight gradient vs torch's Conv2d/ConvTranspose2d
                          forward and backward (ms, GFLOP/s); M ms per measurement (default 300), median of 5;
                          --filter: only the layers whose description contains TEXT.
        """;

    private sealed record Layer(string Name, bool Transposed, int InC, int InHW, int OutC, int Rows, int Calls, bool DataGradient);

    // Calls per training step: the DCGAN's generator runs twice (D step and G step) and is differentiated once; D runs on
    // 128 rows (real + fake) in the D step, 64 in the G step; D1's data gradient only in the G step, G4 and D2 ... see Flops.
    private static readonly Layer[] s_layers =
    [
        new("dcgan G4 convT 128→64 7→14", true, 128, 7, 64, 64, 2, true),
        new("dcgan G6 convT 64→1 14→28", true, 64, 14, 1, 64, 2, true),
        new("dcgan D1 conv 1→64 28→14 (D step)", false, 1, 28, 64, 128, 1, false),
        new("dcgan D2 conv 64→128 14→7 (D step)", false, 64, 14, 128, 128, 1, true),
        new("dcgan D1 conv 1→64 28→14 (G step)", false, 1, 28, 64, 64, 1, true),
        new("dcgan D2 conv 64→128 14→7 (G step)", false, 64, 14, 128, 64, 1, true),
        new("convvae E1 conv 1→32 28→14", false, 1, 28, 32, 128, 1, false),
        new("convvae E2 conv 32→64 14→7", false, 32, 14, 64, 128, 1, true),
        new("convvae D3 convT 64→32 7→14", true, 64, 7, 32, 128, 1, true),
        new("convvae D4 convT 32→1 14→28", true, 32, 14, 1, 128, 1, true),
    ];

    /// <summary>Parses the arguments after "conv-layers" and runs; returns the exit code.</summary>
    public static int Run(ReadOnlySpan<string> args)
    {
        int threads = Environment.ProcessorCount;
        double ms = 300;
        string? filter = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--threads" && i + 1 < args.Length && int.TryParse(args[i + 1], out threads) && threads >= 1) i++;
            else if (args[i] == "--filter" && i + 1 < args.Length) filter = args[++i];
            else if (args[i] == "--ms" && i + 1 < args.Length && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out ms) && ms > 0) i++;
            else
            {
                Console.Error.WriteLine($"conv-layers: bad option '{args[i]}'.");
                Console.Error.WriteLine(Usage);
                return 2;
            }
        }
        TorchNativeLoader.EnsureLoaded(Console.Out);
        torch.set_num_threads(threads);
        using var pool = new WorkerPool(threads);
        Console.WriteLine($"{threads} threads; load average {File.ReadAllText("/proc/loadavg").Trim()}; each entry: median of 5 blocks of ≥ {ms} ms.");
        Console.WriteLine("GF/s = 2·multiply-adds / time (padded taps included); 'torch bwd' = weight, bias and input gradients (input only where the step needs it).");
        Console.WriteLine();
        Console.WriteLine($"{"layer",-38}{"rows",5}{"GFLOP",7} | {"ours fwd",9}{"dgrad",8}{"wgrad",8} ms {"GF/s f/d/w",16} | {"torch fwd",10}{"bwd",8} ms {"GF/s f/b",12} | calls/step");
        foreach (var l in s_layers)
            if (filter is null || l.Name.Contains(filter, StringComparison.OrdinalIgnoreCase))
                Measure(l, pool, ms);
        return 0;
    }

    private static void Measure(Layer l, WorkerPool pool, double ms)
    {
        const int k = 4, stride = 2, pad = 1;
        int outHW = l.Transposed ? l.InHW * 2 : l.InHW / 2;
        int inF = l.InC * l.InHW * l.InHW, outF = l.OutC * outHW * outHW;
        double macs = l.Transposed
            ? ConvCounts.ConvTranspose(l.InC, l.InHW, l.InHW, l.OutC, k) * l.Rows
            : ConvCounts.Conv(l.OutC, outHW, outHW, l.InC, k) * l.Rows;
        var rng = new Rng(7);
        float[] x = new float[l.Rows * inF], gy = new float[l.Rows * outF], y = new float[l.Rows * outF], gx = new float[l.Rows * inF];
        float[] w = new float[l.InC * l.OutC * k * k], gw = new float[w.Length], b = new float[l.OutC], gb = new float[l.OutC];
        rng.FillNormal(x); rng.FillNormal(gy); rng.FillUniform(w, -0.1f, 0.1f);
        double fwd, dgrad, wgrad;
        if (l.Transposed)
        {
            var s = new ConvTransposeShape(l.InC, l.InHW, l.InHW, l.OutC, k, stride, pad, 0);
            var scratch = new float[ConvTranspose2d.ScratchFloats(s, l.Rows, pool.Threads)];
            fwd = Time(() => ConvTranspose2d.Forward(new ReadOnlySpan2D<float>(x, l.Rows, inF), w, b, new Span2D<float>(y, l.Rows, outF), s, Activation.Identity, 0.2f, scratch, pool), ms);
            dgrad = Time(() => ConvTranspose2d.BackwardData(new ReadOnlySpan2D<float>(gy, l.Rows, outF), w, new Span2D<float>(gx, l.Rows, inF), s, scratch, pool), ms);
            wgrad = Time(() => ConvTranspose2d.BackwardWeight(new ReadOnlySpan2D<float>(gy, l.Rows, outF), new ReadOnlySpan2D<float>(x, l.Rows, inF), gw, gb, s, scratch, pool), ms);
        }
        else
        {
            var s = new ConvShape(l.InC, l.InHW, l.InHW, l.OutC, k, stride, pad);
            var scratch = new float[Conv2d.ScratchFloats(s, l.Rows, pool.Threads)];
            fwd = Time(() => Conv2d.Forward(new ReadOnlySpan2D<float>(x, l.Rows, inF), w, b, new Span2D<float>(y, l.Rows, outF), s, Activation.Identity, 0.2f, scratch, pool), ms);
            dgrad = Time(() => Conv2d.BackwardData(new ReadOnlySpan2D<float>(gy, l.Rows, outF), w, new Span2D<float>(gx, l.Rows, inF), s, scratch, pool), ms);
            wgrad = Time(() => Conv2d.BackwardWeight(new ReadOnlySpan2D<float>(gy, l.Rows, outF), new ReadOnlySpan2D<float>(x, l.Rows, inF), gw, gb, s, scratch, pool), ms);
        }

        double tFwd, tBoth;
        using (var module = l.Transposed
                   ? (nn.Module<Tensor, Tensor>)nn.ConvTranspose2d(l.InC, l.OutC, k, stride, pad)
                   : nn.Conv2d(l.InC, l.OutC, k, stride, pad))
        using (var tx = torch.tensor(x, [l.Rows, l.InC, l.InHW, l.InHW]))
        using (var tgy = torch.tensor(gy, [l.Rows, l.OutC, outHW, outHW]))
        {
            tx.requires_grad_(l.DataGradient);
            void Both()
            {
                using var scope = NewDisposeScope();
                module.zero_grad();
                if (tx.grad is { } g) g.zero_();
                module.call(tx).backward([tgy]);
            }
            void Forward() { using var scope = NewDisposeScope(); module.call(tx); }
            // Measured twice, alternating, keeping the faster of each: libtorch's first calls of a new shape are slow for a while.
            tBoth = Time(Both, ms);
            tFwd = Time(Forward, ms);
            tBoth = Math.Min(tBoth, Time(Both, ms));
            tFwd = Math.Min(tFwd, Time(Forward, ms));
        }
        double tBwd = Math.Max(tBoth - tFwd, 1e-9);
        double gf = 2 * macs / 1e9;
        string G(double t) => $"{gf / t:F0}";
        double dg = l.DataGradient ? dgrad : double.NaN;
        Console.WriteLine($"{l.Name,-38}{l.Rows,5}{gf,7:F3} | {fwd * 1e3,9:F3}{(l.DataGradient ? $"{dgrad * 1e3,8:F3}" : "       –"),8}{wgrad * 1e3,8:F3}    " +
                          $"{G(fwd) + "/" + (l.DataGradient ? G(dg) : "–") + "/" + G(wgrad),16} | {tFwd * 1e3,10:F3}{tBwd * 1e3,8:F3}    " +
                          $"{G(tFwd) + "/" + $"{gf * (l.DataGradient ? 2 : 1) / tBwd:F0}",12} | {l.Calls}");
    }

    /// <summary>Warm-up of one block, then the median of 5 blocks of at least <paramref name="ms"/> ms: seconds per call.</summary>
    private static double Time(Action run, double ms)
    {
        var blocks = new double[6];
        for (int i = 0; i < blocks.Length; i++)
        {
            Thread.Sleep(20); // let the other side's threads go idle
            long t0 = Stopwatch.GetTimestamp();
            int calls = 0;
            do { run(); calls++; } while (Stopwatch.GetElapsedTime(t0).TotalMilliseconds < ms);
            blocks[i] = Stopwatch.GetElapsedTime(t0).TotalSeconds / calls;
        }
        var measured = blocks.AsSpan(1).ToArray();
        Array.Sort(measured);
        return measured[2];
    }
}
