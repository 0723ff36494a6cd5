using System.Diagnostics;
using System.Globalization;
using GenDsl.Benchmarks.Torch;
using GenDsl.Data;
using GenDsl.Models;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GenDsl.Benchmarks.Models;

/// <summary>
/// The <c>reference</c> command: TorchSharp reference figures for thresholds stated elsewhere.
/// <c>reference vae-digits [--steps N] [--runs R]</c>: the digits VAE of <see cref="DigitsVae"/>
/// (64 → 128 → (8, 8); 8 → 128 → 64, Bernoulli) trained in TorchSharp exactly as GenDsl's learning
/// test trains ours (80/20 split with seed 1, batches of 128 from <see cref="BatchSampler"/> seed 3,
/// Adam 1e-3, 3000 steps), then the held-out negative ELBO — next to ours, trained the same way.
/// </summary>
public static class ReferenceCommand
{
    /// <summary>Usage lines for the help text.</summary>
    public const string Usage = """
          reference vae-digits [--steps N] [--runs R]
                          TorchSharp reference for the digits VAE (issue #5): same architecture, data
                          split, batches and Adam as GenDsl's learning test; held-out negative ELBO in
                          nats for torch and for ours (R seeds each, default 3; N steps, default 3000).
        """;

    private const int Features = 64, Hidden = 128, Latent = 8, Batch = 128;

    /// <summary>Parses the arguments after "reference" and runs; returns the exit code.</summary>
    public static int Run(ReadOnlySpan<string> args)
    {
        if (args.Length > 0 && args[0] == "moons-flow")
            return MoonsFlowReference.Run(args[1..]);
        if (args.Length > 0 && args[0] == "toy-kl")
            return ToyKlCommand.Run(args[1..]);
        if (args.Length == 0 || args[0] != "vae-digits")
        {
            Console.Error.WriteLine("reference: expected 'vae-digits', 'moons-flow' or 'toy-kl'.");
            Console.Error.WriteLine(Usage);
            return 2;
        }
        int steps = 3000, runs = 3;
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--steps" && i + 1 < args.Length && int.TryParse(args[i + 1], out steps) && steps > 0) i++;
            else if (args[i] == "--runs" && i + 1 < args.Length && int.TryParse(args[i + 1], out runs) && runs > 0) i++;
            else
            {
                Console.Error.WriteLine($"reference: bad option '{args[i]}'.");
                Console.Error.WriteLine(Usage);
                return 2;
            }
        }

        TorchNativeLoader.EnsureLoaded(Console.Out);
        torch.set_num_threads(Environment.ProcessorCount);
        var (train, test) = Digits.Load().Split(0.2, seed: 1);
        Console.WriteLine($"Digits VAE 64 → 128 → (8, 8); 8 → 128 → 64, Bernoulli; Adam 1e-3, batch {Batch}, {steps} steps; " +
                          $"train {train.Rows} rows, held out {test.Rows} (Split(0.2, seed 1)); batches: BatchSampler(train, {Batch}, seed 3).");
        Console.WriteLine("Held-out negative ELBO in nats per image: one draw of ε per image (as GenDsl's test measures), and the mean over 10 draws.");
        Console.WriteLine();
        Console.WriteLine($"{"run",-24}{"-ELBO (1 draw)",16}{"-ELBO (10 draws)",18}{"train s",10}");
        var torchOne = new List<double>();
        var oursOne = new List<double>();
        for (int run = 0; run < runs; run++)
        {
            ulong seed = 2 + (ulong)run; // run 0 = GenDsl's test (model seed 2)
            var (t1, t10, tSeconds) = TrainTorch(train, test, steps, (long)seed);
            Console.WriteLine($"{$"torch, seed {seed}",-24}{t1,16:F2}{t10,18:F2}{tSeconds,10:F1}");
            var (o1, o10, oSeconds) = TrainOurs(train, test, steps, seed);
            Console.WriteLine($"{$"GenDsl, seed {seed}",-24}{o1,16:F2}{o10,18:F2}{oSeconds,10:F1}");
            torchOne.Add(t1);
            oursOne.Add(o1);
        }
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mean over {runs} seeds (1 draw): torch {torchOne.Average():F2} ± {Sd(torchOne):F2}, GenDsl {oursOne.Average():F2} ± {Sd(oursOne):F2} nats"));
        return 0;
    }

    private static double Sd(List<double> x)
    {
        if (x.Count < 2) return 0;
        double m = x.Average();
        return Math.Sqrt(x.Sum(v => (v - m) * (v - m)) / (x.Count - 1));
    }

    private static (double One, double Ten, double Seconds) TrainTorch(Dataset train, Dataset test, int steps, long seed)
    {
        torch.manual_seed(seed);
        using var model = new TorchVae(Features, Hidden, Latent); // nn.Linear's default initialisation
        using var adam = optim.Adam(model.parameters(), lr: 1e-3);
        var sampler = new BatchSampler(train, Batch, seed: 3);
        var buffer = new float[Batch * Features];
        var clock = Stopwatch.StartNew();
        for (int step = 0; step < steps; step++)
        {
            var batch = sampler.Next();
            batch.CopyTo(buffer.AsSpan(0, batch.Height * Features));
            using var scope = NewDisposeScope();
            adam.zero_grad();
            var loss = model.Loss(tensor(buffer, [Batch, Features]).narrow(0, 0, batch.Height));
            loss.backward();
            adam.step();
        }
        double seconds = clock.Elapsed.TotalSeconds;

        // Held-out −ELBO per row: BCE-with-logits summed over pixels + KL, one fresh ε per evaluation.
        using var noGrad = no_grad();
        using var evalScope = NewDisposeScope();
        var x = tensor(test.Data, [test.Rows, Features]);
        double NegativeElbo()
        {
            using var s = NewDisposeScope();
            var (mu, logVar) = model.Encode(x);
            var z = mu + randn_like(mu) * exp(0.5 * logVar);
            var rec = functional.binary_cross_entropy_with_logits(model.DecodeLogits(z), x, reduction: Reduction.None).sum(1);
            var kl = -0.5 * (1 + logVar - mu.square() - logVar.exp()).sum(1);
            return (rec + kl).mean().item<float>();
        }
        double one = NegativeElbo(), ten = 0;
        for (int i = 0; i < 10; i++) ten += NegativeElbo() / 10;
        return (one, ten, seconds);
    }

    private static (double One, double Ten, double Seconds) TrainOurs(Dataset train, Dataset test, int steps, ulong seed)
    {
        var vae = new DigitsVae(new ModelOptions { MaxBatch = Batch, Seed = seed });
        var adam = new Adam(vae, 1e-3f);
        var sampler = new BatchSampler(train, Batch, seed: 3);
        var clock = Stopwatch.StartNew();
        for (int step = 0; step < steps; step++)
            vae.TrainStep(sampler.Next(), adam);
        double seconds = clock.Elapsed.TotalSeconds;

        var perRow = new float[Batch];
        double NegativeElbo()
        {
            double sum = 0;
            for (int start = 0; start < test.Rows; start += Batch)
            {
                int n = Math.Min(Batch, test.Rows - start);
                vae.Elbo(test.GetRows(start, n), perRow.AsSpan(0, n));
                for (int i = 0; i < n; i++) sum -= perRow[i];
            }
            return sum / test.Rows;
        }
        double one = NegativeElbo(), ten = 0;
        for (int i = 0; i < 10; i++) ten += NegativeElbo() / 10;
        return (one, ten, seconds);
    }
}
