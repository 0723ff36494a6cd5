using System.Diagnostics;
using System.Globalization;
using CommunityToolkit.HighPerformance;
using GenDsl.Data;
using GenDsl.Metrics;
using GenDsl.Benchmarks.Torch;
using GenDsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenDsl.Benchmarks.Models;

/// <summary>
/// The <c>quality</c> command: the longer Fashion-MNIST quality runs of issue #12 behind benchmarks/RESULTS.md
/// ("Fashion-MNIST image models"), trained exactly as tests/GenDsl.Models.Tests/Quality/FashionQualityTests.cs trains
/// the CI-sized versions, over several seeds and budgets.
/// </summary>
public static class QualityCommand
{
    /// <summary>Usage lines for the help text.</summary>
    public const string Usage = """
          quality classifier|dcgan|cdcgan|vae [--steps N,N,…] [--seeds S,S,…] [--samples K] [--epochs E] [--same-eps] [--torch]
                          Fashion-MNIST quality (issue #12): the judging classifier's test accuracy and the
                          train-vs-test Fréchet floor (classifier; --epochs, default 3); DCGAN FID and class
                          spread of K samples (default 10000) after each of the --steps; conditional DCGAN
                          accuracy (share of samples classified as the asked-for class) and FID; conv vs MLP
                          VAE held-out -ELBO at equal steps and batch, and the conv VAE's TorchSharp
                          twin trained the same way (--same-eps: given our ε instead of its own). Seeds default to 1,2,3.
                          dcgan --torch: the same run with FashionDcgan's TorchSharp twin (TorchDcgan: our initial
                          parameters and running statistics copied in, the same batches, its own noise from
                          torch.manual_seed(seed), torch.optim.Adam), judged by the same classifier.
        """ + "\n" + MafQuality.Usage + "\n" + GlowQuality.Usage;

    private const int GanBatch = 64, VaeBatch = 128, SampleBatch = 250;

    /// <summary>Parses the arguments after "quality" and runs; returns the exit code.</summary>
    public static int Run(ReadOnlySpan<string> args)
    {
        if (args.Length > 0 && args[0] == "maf-moons")
            return MafQuality.Run(args[1..]);
        if (args.Length > 0 && args[0] == "maf-digits")
            return MafQuality.RunDigits(args[1..]);
        if (args.Length > 0 && args[0] == "fashion-glow")
            return GlowQuality.Run(args[1..]);
        if (args.Length == 0 || args[0] is not ("classifier" or "dcgan" or "cdcgan" or "vae"))
        {
            Console.Error.WriteLine("quality: expected classifier, dcgan, cdcgan, vae, maf-moons, maf-digits or fashion-glow.");
            Console.Error.WriteLine(Usage);
            return 2;
        }
        string what = args[0];
        int[] steps = what == "vae" ? [2000] : [600, 2000];
        int[] seeds = [1, 2, 3];
        int samples = 10_000, epochs = FashionClassifier.DefaultEpochs;
        bool sameEps = false, useTorch = false;
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--same-eps")
            {
                sameEps = true;
                continue;
            }
            if (args[i] == "--torch" && what == "dcgan")
            {
                useTorch = true;
                continue;
            }
            if (i + 1 >= args.Length)
                return Bad(args[i]);
            switch (args[i])
            {
                case "--steps": if (!TryInts(args[++i], out steps)) return Bad(args[i]); break;
                case "--seeds": if (!TryInts(args[++i], out seeds)) return Bad(args[i]); break;
                case "--samples": if (!int.TryParse(args[++i], out samples) || samples < 2) return Bad(args[i]); break;
                case "--epochs": if (!int.TryParse(args[++i], out epochs) || epochs < 1) return Bad(args[i]); break;
                default: return Bad(args[i]);
            }
        }
        Array.Sort(steps);
        Console.WriteLine($"{Environment.ProcessorCount} processors; command: quality {string.Join(' ', args.ToArray())}");
        var train = FashionMnist.LoadTrain();
        var test = FashionMnist.LoadTest();
        switch (what)
        {
            case "classifier": Classifier(train, test, epochs, seeds); break;
            case "dcgan": Gan(train, test, steps, seeds, samples, conditional: false, useTorch); break;
            case "cdcgan": Gan(train, test, steps, seeds, samples, conditional: true, useTorch: false); break;
            default: Vae(train, test, steps, seeds, sameEps); break;
        }
        return 0;
    }

    private static int Bad(string option)
    {
        Console.Error.WriteLine($"quality: bad option or value '{option}'.");
        Console.Error.WriteLine(Usage);
        return 2;
    }

    private static bool TryInts(string text, out int[] values)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries);
        values = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]) || values[i] < 1)
                return false;
        return values.Length > 0;
    }

    private static void Classifier(Dataset train, Dataset test, int epochs, int[] seeds)
    {
        Console.WriteLine($"Classifier: {epochs} epochs of batch {FashionClassifier.TrainBatch}, Adam {FashionClassifier.LearningRate}; " +
                          "FID floor = Fréchet distance of the 10,000 training images' features to the 2,000 test images'.");
        var acc = new List<double>();
        var floor = new List<double>();
        var secs = new List<double>();
        foreach (int seed in seeds)
        {
            var sw = Stopwatch.StartNew();
            var c = FashionClassifier.Train(train, epochs, (ulong)seed);
            double s = sw.Elapsed.TotalSeconds;
            double a = c.Accuracy(test), trainAcc = c.Accuracy(train);
            double f = Frechet.Distance(Features(c.Features(train)), Features(c.Features(test)));
            Console.WriteLine($"seed {seed}: train {s:F1} s, test accuracy {100 * a:F2} %, train accuracy {100 * trainAcc:F2} %, FID floor {f:F3}");
            acc.Add(100 * a); floor.Add(f); secs.Add(s);
        }
        Console.WriteLine($"mean ± s.d.: accuracy {Stat(acc, "F2")} %, FID floor {Stat(floor, "F3")}, training {Stat(secs, "F1")} s");
    }

    private static void Gan(Dataset train, Dataset test, int[] steps, int[] seeds, int samples, bool conditional, bool useTorch)
    {
        var judge = FashionClassifier.Train(train);
        var testFeatures = Features(judge.Features(test));
        string name = useTorch ? "TorchDcgan (FashionDcgan's TorchSharp twin)" : conditional ? "FashionCdcgan" : "FashionDcgan";
        if (useTorch)
        {
            TorchNativeLoader.EnsureLoaded(Console.Out);
            torch.set_num_threads(Environment.ProcessorCount);
        }
        Console.WriteLine($"{name}: batch {GanBatch}, Adam 2e-4 β (0.5, 0.999) for both parts; {samples} samples per evaluation " +
                          $"(running batch-norm statistics{(conditional ? "; class i mod 10 for sample i" : "")}); judge: FashionClassifier seed " +
                          $"{FashionClassifier.DefaultSeed}, {FashionClassifier.DefaultEpochs} epochs, test accuracy {100 * judge.Accuracy(test):F2} %.");
        var fid = new Dictionary<int, List<double>>();
        var spread = new Dictionary<int, List<(double Min, double Max)>>();
        var condAcc = new Dictionary<int, List<double>>();
        foreach (int s in steps) { fid[s] = []; spread[s] = []; condAcc[s] = []; }
        foreach (int seed in seeds)
        {
            using IGanRun run = useTorch ? new TorchGanRun((ulong)seed) : new GanRun(conditional, (ulong)seed);
            var sw = new Stopwatch();
            int done = 0;
            foreach (int target in steps)
            {
                sw.Start();
                run.Train(target - done, train);
                sw.Stop();
                done = target;
                var (features, labels) = judge.Judge(samples, SampleBatch, run.Source);
                double f = Frechet.Distance(Features(features), testFeatures);
                var h = FashionClassifier.ClassHistogram(labels);
                double min = (double)h.Min() / samples, max = (double)h.Max() / samples;
                int asked = 0;
                for (int i = 0; i < samples; i++) if (labels[i] == i % 10) asked++;
                double ca = (double)asked / samples;
                fid[target].Add(f); spread[target].Add((min, max)); condAcc[target].Add(100 * ca);
                Console.WriteLine($"seed {seed}, {target} steps ({sw.Elapsed.TotalMilliseconds / done:F0} ms/step): FID {f:F2}, " +
                                  $"class shares {100 * min:F1}–{100 * max:F1} % [{string.Join(' ', h)}]" +
                                  (conditional ? $", asked-for class {100 * ca:F1} %" : ""));
            }
        }
        foreach (int s in steps)
            Console.WriteLine($"{s} steps, mean ± s.d. over {seeds.Length} seeds: FID {Stat(fid[s], "F2")}, smallest class " +
                              $"{Stat(spread[s].Select(x => 100 * x.Min).ToList(), "F1")} %, largest {Stat(spread[s].Select(x => 100 * x.Max).ToList(), "F1")} %" +
                              (conditional ? $", asked-for class {Stat(condAcc[s], "F1")} %" : ""));
    }

    /// <summary>A GAN being trained and sampled for the judge.</summary>
    private interface IGanRun : IDisposable
    {
        void Train(int steps, Dataset train);
        void Source(Span2D<float> images, int first);
    }

    /// <summary>
    /// FashionDcgan's TorchSharp twin trained as <see cref="GanRun"/> trains ours: our initial parameters and running
    /// statistics (seed) copied in, the same batches (BatchSampler seed + 100), one D step and one G step per batch as
    /// <see cref="DcganTrainComparison.RunTorch"/> (verified equal to ours there), its own noise (torch.manual_seed(seed));
    /// samples in eval mode (running batch-norm statistics), as ours.
    /// </summary>
    private sealed class TorchGanRun : IGanRun
    {
        private const int Noise = 64;
        private readonly TorchDcgan _t;
        private readonly optim.Optimizer _d, _g;
        private readonly Tensor _dTargets, _gTargets;
        private readonly float[] _batch = new float[GanBatch * 784];
        private readonly ulong _seed;
        private BatchSampler? _sampler;

        public TorchGanRun(ulong seed)
        {
            _seed = seed;
            torch.manual_seed((long)seed);
            var ours = new FashionDcgan(new ModelOptions { MaxBatch = GanBatch, Seed = seed });
            _t = new TorchDcgan();
            ParameterMap.ByName(ours, _t, TorchDcgan.OurName).CopyToTorch(ours.Parameters.Span);
            new BufferMap(ours, _t, TorchDcgan.OurName).CopyToTorch(ours.Buffers.Span);
            _d = optim.Adam(_t.D.parameters(), lr: 2e-4, beta1: 0.5, beta2: 0.999);
            _g = optim.Adam(_t.G.parameters(), lr: 2e-4, beta1: 0.5, beta2: 0.999);
            _dTargets = cat([ones(GanBatch, 1), zeros(GanBatch, 1)], 0);
            _gTargets = ones(GanBatch, 1);
        }

        public void Train(int steps, Dataset train)
        {
            _t.train();
            _sampler ??= new BatchSampler(train, GanBatch, _seed + 100, dropLast: true);
            for (int i = 0; i < steps; i++)
            {
                using var scope = NewDisposeScope();
                _sampler.Next().CopyTo(_batch);
                var real = tensor(_batch, [GanBatch, 1, 28, 28]);
                var fake = _t.G.call(randn(GanBatch, Noise));
                _d.zero_grad();
                var lossD = nn.functional.binary_cross_entropy_with_logits(_t.D.call(cat([real, fake.detach()], 0)), _dTargets, reduction: nn.Reduction.Sum) / GanBatch;
                lossD.backward();
                _d.step();
                _g.zero_grad();
                var lossG = nn.functional.binary_cross_entropy_with_logits(_t.D.call(_t.G.call(randn(GanBatch, Noise))), _gTargets, reduction: nn.Reduction.Sum) / GanBatch;
                lossG.backward();
                _g.step();
            }
        }

        public void Source(Span2D<float> images, int first)
        {
            _t.eval();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var x = _t.G.call(randn(images.Height, Noise)).reshape(images.Height, 784).data<float>().ToArray();
            for (int r = 0; r < images.Height; r++)
                x.AsSpan(r * 784, 784).CopyTo(images.GetRowSpan(r));
        }

        public void Dispose()
        {
            _d.Dispose();
            _g.Dispose();
            _dTargets.Dispose();
            _gTargets.Dispose();
            _t.Dispose();
        }
    }

    /// <summary>One GAN being trained as the quality test trains it.</summary>
    private sealed class GanRun : IGanRun
    {
        private readonly FashionDcgan? _gan;
        private readonly FashionCdcgan? _cgan;
        private readonly Adam _d, _g;
        private readonly Rng _sampleRng;
        private readonly float[] _y = new float[SampleBatch * 10];
        private BatchSampler? _sampler;
        private readonly ulong _seed;

        public GanRun(bool conditional, ulong seed)
        {
            _seed = seed;
            var options = new ModelOptions { MaxBatch = SampleBatch, Seed = seed };
            if (conditional)
            {
                _cgan = new FashionCdcgan(options);
                _d = new Adam(_cgan.DiscriminatorPart, 2e-4f, beta1: 0.5f, beta2: 0.999f);
                _g = new Adam(_cgan.GeneratorPart, 2e-4f, beta1: 0.5f, beta2: 0.999f);
            }
            else
            {
                _gan = new FashionDcgan(options);
                _d = new Adam(_gan.DiscriminatorPart, 2e-4f, beta1: 0.5f, beta2: 0.999f);
                _g = new Adam(_gan.GeneratorPart, 2e-4f, beta1: 0.5f, beta2: 0.999f);
            }
            _sampleRng = new Rng(seed + 200);
        }

        public void Train(int steps, Dataset train)
        {
            _sampler ??= new BatchSampler(train, GanBatch, _seed + 100, dropLast: true);
            for (int i = 0; i < steps; i++)
            {
                var batch = _sampler.Next();
                if (_cgan != null)
                    _cgan.TrainStep(batch, _sampler.CurrentOneHot(10), _d, _g);
                else
                    _gan!.TrainStep(batch, _d, _g);
            }
        }

        public void Source(Span2D<float> images, int first)
        {
            if (_cgan == null)
            {
                _gan!.Sample(images, _sampleRng);
                return;
            }
            var y = new Span2D<float>(_y, 0, images.Height, 10, 0);
            y.Fill(0);
            for (int i = 0; i < images.Height; i++) y[i, (first + i) % 10] = 1;
            _cgan.Sample(images, y, _sampleRng);
        }

        public void Dispose() { }
    }

    private static void Vae(Dataset train, Dataset test, int[] steps, int[] seeds, bool sameEps)
    {
        Console.WriteLine($"Conv VAE ({FashionConvVae.TotalParameters} parameters) vs MLP VAE ({FashionMlpVae.TotalParameters} parameters): " +
                          $"batch {VaeBatch}, Adam 1e-3, same steps; held-out -ELBO in nats per image on the {test.Rows} test images (one ε draw per image).");
        Console.WriteLine("TorchSharp twin of the conv VAE (TorchConvVae: nn.Conv2d/ConvTranspose2d/Linear, optim.Adam 1e-3): our initial parameters " +
                          "copied in, the same batches, " +
                          (sameEps ? "our ε (drawn as our model draws it: new Rng(seed, stream: 1), rows × 16 per step)" : "its own ε (torch.manual_seed(seed))") +
                          "; evaluated by copying its parameters into a " +
                          "FashionConvVae and running the same held-out estimator with the same ε draws as ours.");
        TorchNativeLoader.EnsureLoaded(Console.Out);
        torch.set_num_threads(Environment.ProcessorCount);
        var conv = steps.ToDictionary(s => s, _ => new List<double>());
        var mlp = steps.ToDictionary(s => s, _ => new List<double>());
        var twin = steps.ToDictionary(s => s, _ => new List<double>());
        foreach (int seed in seeds)
        {
            var options = new ModelOptions { MaxBatch = VaeBatch, Seed = (ulong)seed };
            var c = new FashionConvVae(options);
            var m = new FashionMlpVae(options);
            var ca = new Adam(c, 1e-3f);
            var ma = new Adam(m, 1e-3f);
            var cs = new BatchSampler(train, VaeBatch, (ulong)seed + 100, dropLast: true);
            var ms = new BatchSampler(train, VaeBatch, (ulong)seed + 100, dropLast: true);
            var ts = new BatchSampler(train, VaeBatch, (ulong)seed + 100, dropLast: true);
            torch.manual_seed(seed);
            using var t = new TorchConvVae();
            var tEval = new FashionConvVae(options); // the torch model's parameters, evaluated with our code
            var map = ConvVaeTwins.Map(tEval, t);
            map.CopyToTorch(c.Parameters.Span); // the same initial parameters (c is still untrained)
            using var tAdam = optim.Adam(t.parameters(), lr: 1e-3);
            var tBuffer = new float[VaeBatch * 784];
            var tEps = new float[VaeBatch * FashionConvVae.LatentCount];
            var epsRng = new Rng((ulong)seed, stream: 1); // our model's ε stream (its held-out estimate draws from it only after training)
            var cw = new Stopwatch();
            var mw = new Stopwatch();
            var tw = new Stopwatch();
            int done = 0;
            foreach (int target in steps)
            {
                cw.Start();
                for (int i = done; i < target; i++) c.TrainStep(cs.Next(), ca);
                cw.Stop();
                mw.Start();
                for (int i = done; i < target; i++) m.TrainStep(ms.Next(), ma);
                mw.Stop();
                tw.Start();
                for (int i = done; i < target; i++)
                {
                    ts.Next().CopyTo(tBuffer);
                    using var scope = NewDisposeScope();
                    tAdam.zero_grad();
                    Tensor? eps = null;
                    if (sameEps)
                    {
                        epsRng.FillNormal(tEps);
                        eps = tensor(tEps, [VaeBatch, FashionConvVae.LatentCount]);
                    }
                    var loss = t.Loss(tensor(tBuffer, [VaeBatch, 784]), eps);
                    loss.backward();
                    tAdam.step();
                }
                tw.Stop();
                done = target;
                map.CopyFromTorch(tEval.Parameters.Span);
                tEval.NoisePosition = c.NoisePosition; // the held-out estimate below draws the same ε for both
                double ce = HeldOut.NegativeMean(test, VaeBatch, c.Elbo), me = HeldOut.NegativeMean(test, VaeBatch, m.Elbo);
                double te = HeldOut.NegativeMean(test, VaeBatch, tEval.Elbo);
                conv[target].Add(ce); mlp[target].Add(me); twin[target].Add(te);
                Console.WriteLine($"seed {seed}, {target} steps: conv -ELBO {ce:F2} ({cw.Elapsed.TotalMilliseconds / done:F1} ms/step), " +
                                  $"MLP -ELBO {me:F2} ({mw.Elapsed.TotalMilliseconds / done:F1} ms/step), " +
                                  $"torch conv -ELBO {te:F2} ({tw.Elapsed.TotalMilliseconds / done:F1} ms/step)");
            }
        }
        foreach (int s in steps)
            Console.WriteLine($"{s} steps, mean ± s.d. over {seeds.Length} seeds: conv {Stat(conv[s], "F2")}, MLP {Stat(mlp[s], "F2")}, " +
                              $"torch conv {Stat(twin[s], "F2")} nats");
    }

    private static ReadOnlySpan2D<float> Features(float[] features) =>
        new(features, features.Length / FashionClassifier.FeatureCount, FashionClassifier.FeatureCount);

    private static string Stat(List<double> values, string format)
    {
        double mean = values.Average();
        double sd = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return $"{mean.ToString(format, CultureInfo.InvariantCulture)} ± {sd.ToString(format, CultureInfo.InvariantCulture)}";
    }
}
