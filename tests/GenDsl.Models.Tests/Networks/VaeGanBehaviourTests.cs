using CommunityToolkit.HighPerformance;
using GenDsl.Data;
using Xunit.Abstractions;

namespace GenDsl.Models.Tests.Networks;

/// <summary>The ready-made VAEs and GANs learn, allocate nothing in steady state, and obey the course's facts.</summary>
public class VaeGanBehaviourTests(ITestOutputHelper output)
{
    [Fact]
    public void ClosedFormKlMatchesMonteCarlo()
    {
        // KL(N(μ, σ²) ‖ N(0, 1)) = ½(μ² + σ² − ln σ² − 1), the formula every generated VAE uses, against E_q[ln q(z) − ln p(z)].
        var rng = new Rng(3);
        foreach (var (mu, logVar) in new[] { (0.0, 0.0), (1.5, -1.0), (-0.7, 0.8) })
        {
            double sigma = Math.Exp(0.5 * logVar);
            double closed = 0.5 * (mu * mu + sigma * sigma - logVar - 1);
            const int n = 400_000;
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                double e = rng.NextNormal();
                double z = mu + sigma * e;
                sum += (-0.5 * e * e - Math.Log(sigma)) - (-0.5 * z * z);
            }
            Assert.InRange(sum / n, closed - 0.01, closed + 0.01);
        }
    }

    [Fact]
    public void DiscriminatorAgainstRealDataConvergesToLn4()
    {
        // The course: when p_model = p_data, the optimal discriminator says ½ everywhere and its loss is ln 4.
        const int batch = 256;
        var gan = new RingGan(new ModelOptions { MaxBatch = batch, Seed = 1 });
        var adam = new Adam(gan.DiscriminatorPart, 1e-3f);
        var real = new BatchSampler(Toy2D.EightGaussians(20_000, seed: 2), batch, seed: 3);
        var fake = new BatchSampler(Toy2D.EightGaussians(20_000, seed: 4), batch, seed: 5);
        double last = 0;
        for (int step = 0; step < 600; step++)
        {
            var r = real.Next();
            float loss = gan.TrainDiscriminator(r, fake.Next(), adam);
            if (step >= 500) last += loss / 100.0;
        }
        output.WriteLine($"discriminator loss, mean of steps 500–599: {last:F4} (ln 4 = {Math.Log(4):F4})");
        Assert.InRange(last, Math.Log(4) - 0.03, Math.Log(4) + 0.03);
    }

    [Fact]
    public void EvaluatingDuringTrainingLeavesTheRunUnchanged()
    {
        // Elbo and ImportanceLogLikelihood draw ε from their own stream: a run that evaluates every
        // 10 steps trains bit-identically to one that never evaluates.
        const int batch = 64;
        var data = Digits.Load();
        float[] Run(bool evaluate)
        {
            var vae = new DigitsVae(new ModelOptions { MaxBatch = batch, Seed = 5 });
            var adam = new Adam(vae, 1e-3f);
            var sampler = new BatchSampler(data, batch, seed: 6);
            var perRow = new float[batch];
            var losses = new float[40];
            for (int step = 0; step < losses.Length; step++)
            {
                losses[step] = vae.TrainStep(sampler.Next(), adam).Loss;
                if (evaluate && step % 10 == 0)
                {
                    vae.Elbo(data.GetRows(0, batch), perRow);
                    vae.ImportanceLogLikelihood(data.GetRows(0, batch), 3, perRow);
                }
            }
            return losses;
        }
        Assert.Equal(Run(evaluate: false), Run(evaluate: true));
    }

    [Fact]
    public void DigitsVaeReachesHeldOutNegativeElbo()
    {
        const int batch = 128;
        var (train, test) = Digits.Load().Split(0.2, seed: 1);
        var vae = new DigitsVae(new ModelOptions { MaxBatch = batch, Seed = 2 });
        var adam = new Adam(vae, 1e-3f);
        var sampler = new BatchSampler(train, batch, seed: 3);
        for (int step = 0; step < 3000; step++)
            vae.TrainStep(sampler.Next(), adam);

        var perRow = new float[batch];
        double elbo = 0, iwae = 0;
        for (int start = 0; start < test.Rows; start += batch)
        {
            int n = Math.Min(batch, test.Rows - start);
            vae.Elbo(test.GetRows(start, n), perRow.AsSpan(0, n));
            for (int i = 0; i < n; i++) elbo -= perRow[i];
            vae.ImportanceLogLikelihood(test.GetRows(start, n), 50, perRow.AsSpan(0, n));
            for (int i = 0; i < n; i++) iwae -= perRow[i];
        }
        elbo /= test.Rows;
        iwae /= test.Rows;
        output.WriteLine($"DigitsVae after 3000 steps: held-out −ELBO {elbo:F2} nats, IWAE(50) −ln p(x) {iwae:F2} nats");
        // Threshold from a measured run (see README); the IWAE bound must be tighter than the ELBO.
        Assert.True(elbo < 27.0, $"held-out negative ELBO {elbo:F2} ≥ 27");
        Assert.True(iwae <= elbo + 0.05, $"IWAE estimate {iwae:F2} is not tighter than the ELBO {elbo:F2}");
    }

    [Fact]
    public void RingGanCoversTheModes()
    {
        const int batch = 256;
        var mixture = Toy2D.EightGaussiansMixture();
        var gan = new RingGan(new ModelOptions { MaxBatch = batch, Seed = 7 });
        var dOpt = new Adam(gan.DiscriminatorPart, 1e-3f, beta1: 0.5f);
        var gOpt = new Adam(gan.GeneratorPart, 1e-3f, beta1: 0.5f);
        var sampler = new BatchSampler(Toy2D.EightGaussians(50_000, seed: 8), batch, seed: 9);
        // 3000 steps at 1e-3 to find the modes, then 2000 at 1e-4 to sharpen them (σ = 0.02: "within 3σ" is a 0.06 radius).
        for (int step = 0; step < 5000; step++)
        {
            if (step == 3000) dOpt.LearningRate = gOpt.LearningRate = 1e-4f;
            gan.TrainStep(sampler.Next(), dOpt, gOpt);
        }

        var samples = new float[batch * 2];
        var counts = new int[mixture.Count];
        int good = 0, total = 0;
        var rng = new Rng(10);
        for (int round = 0; round < 8; round++)
        {
            gan.Sample(new Span2D<float>(samples, batch, 2), rng);
            for (int i = 0; i < batch; i++)
            {
                total++;
                for (int m = 0; m < mixture.Count; m++)
                {
                    var c = mixture.Centre(m);
                    double dx = samples[2 * i] - c.X, dy = samples[2 * i + 1] - c.Y;
                    if (dx * dx + dy * dy <= 9 * mixture.Std * mixture.Std) { counts[m]++; good++; break; }
                }
            }
        }
        int covered = counts.Count(c => c >= 0.01 * total);
        double quality = (double)good / total;
        output.WriteLine($"RingGan: {covered}/8 modes, {quality:P1} high-quality samples, per mode [{string.Join(", ", counts)}]");
        Assert.True(covered >= 7, $"only {covered} of 8 modes covered");
        Assert.True(quality >= 0.7, $"only {quality:P1} of the samples are within 3σ of a mode");
    }

    [Fact]
    public void WassersteinGanWithGradientPenaltyLearnsTheRing()
    {
        const int batch = 256;
        var mixture = Toy2D.EightGaussiansMixture();
        var gan = new RingWgan(new ModelOptions { MaxBatch = batch, Seed = 21 });
        var dOpt = new Adam(gan.DiscriminatorPart, 1e-3f, beta1: 0.5f, beta2: 0.9f);
        var gOpt = new Adam(gan.GeneratorPart, 1e-3f, beta1: 0.5f, beta2: 0.9f);
        var sampler = new BatchSampler(Toy2D.EightGaussians(50_000, seed: 22), batch, seed: 23);
        var (distBefore, radiusBefore) = RingDistances(gan, mixture, batch);
        // Before training the generator's samples sit near the origin; 2000 steps of WGAN-GP bring them out to the ring
        // (radius 2). Measured over seeds 5–8 and 21: radius 1.55–2.22 and mean distance to the nearest mode 0.24–1.03
        // after 2000 steps, where 1000 steps left some seeds at radius 0.7–1.3 (WGAN-GP is slow and noisy on this task).
        // Resolving the 8 modes of σ = 0.02 takes WGAN-GP far longer than a CI budget; the non-saturating RingGan test covers modes.
        for (int step = 0; step < 2000; step++)
            gan.TrainStep(sampler.Next(), dOpt, gOpt, discriminatorSteps: 5);
        var (distAfter, radiusAfter) = RingDistances(gan, mixture, batch);
        output.WriteLine($"RingWgan (WGAN-GP): mean radius {radiusBefore:F3} → {radiusAfter:F3}, mean distance to the nearest mode {distBefore:F3} → {distAfter:F3}");
        Assert.InRange(radiusAfter, 1.3, 2.6);
        Assert.True(distAfter < 0.6 * distBefore, $"samples are {distAfter:F2} from the nearest mode on average (untrained: {distBefore:F2})");
    }

    /// <summary>Mean distance of 8 batches of samples to the nearest mode of the ring, and their mean radius.</summary>
    private static (double Distance, double Radius) RingDistances(RingWgan gan, GaussianMixture2D mixture, int batch)
    {
        var samples = new float[batch * 8 * 2];
        for (int i = 0; i < 8; i++)
            gan.Sample(new Span2D<float>(samples, i * batch * 2, batch, 2, 0), new Rng(24, (ulong)i));
        double meanDist = 0, meanRadius = 0;
        for (int i = 0; i < 8 * batch; i++)
        {
            float sx = samples[2 * i], sy = samples[2 * i + 1];
            meanRadius += Math.Sqrt(sx * sx + sy * sy) / (8 * batch);
            double best = double.MaxValue;
            for (int m = 0; m < 8; m++) { var c = mixture.Centre(m); best = Math.Min(best, Math.Sqrt((sx - c.X) * (sx - c.X) + (sy - c.Y) * (sy - c.Y))); }
            meanDist += best / (8 * batch);
        }
        return (meanDist, meanRadius);
    }

    [Fact]
    public void DigitsCvaeDrawsTheAskedForDigit()
    {
        const int batch = 128;
        var (train, test) = Digits.Load().Split(0.2, seed: 11);
        var cvae = new DigitsCvae(new ModelOptions { MaxBatch = batch, Seed = 12 });
        var adam = new Adam(cvae, 1e-3f);
        var sampler = new BatchSampler(train, batch, seed: 13);
        for (int step = 0; step < 3000; step++)
        {
            var x = sampler.Next();
            cvae.TrainStep(x, sampler.CurrentOneHot(10), adam);
        }

        // Nearest class mean (computed from the held-out digits) classifies the samples drawn for each label.
        var means = new double[10, 64];
        var counts = new int[10];
        for (int r = 0; r < test.Rows; r++)
        {
            int label = test.Labels[r];
            counts[label]++;
            var row = test.Row(r);
            for (int j = 0; j < 64; j++) means[label, j] += row[j];
        }
        for (int c = 0; c < 10; c++) for (int j = 0; j < 64; j++) means[c, j] /= Math.Max(1, counts[c]);

        var y = new float[batch * 10];
        var samples = new float[batch * 64];
        var rng = new Rng(14);
        int right = 0, total = 0;
        for (int label = 0; label < 10; label++)
        {
            Array.Clear(y);
            for (int i = 0; i < batch; i++) y[i * 10 + label] = 1f;
            cvae.Sample(new Span2D<float>(samples, batch, 64), new ReadOnlySpan2D<float>(y, batch, 10), rng);
            for (int i = 0; i < batch; i++)
            {
                int best = -1;
                double bestD = double.MaxValue;
                for (int c = 0; c < 10; c++)
                {
                    double d = 0;
                    for (int j = 0; j < 64; j++) { double t = samples[i * 64 + j] - means[c, j]; d += t * t; }
                    if (d < bestD) { bestD = d; best = c; }
                }
                total++;
                if (best == label) right++;
            }
        }
        double accuracy = (double)right / total;
        output.WriteLine($"DigitsCvae: {accuracy:P1} of the samples are classified as the asked-for digit");
        Assert.True(accuracy >= 0.9, $"only {accuracy:P1} of the samples look like the asked-for digit");
    }

    [Fact]
    public void TrainStepsAndSamplingAllocateNothing()
    {
        const int batch = 64;
        var digits = Digits.Load();
        var vae = new DigitsVae(new ModelOptions { MaxBatch = batch, Seed = 1 });
        var adam = new Adam(vae, 1e-3f);
        var gan = new RingGan(new ModelOptions { MaxBatch = batch, Seed = 1 });
        var dOpt = new Adam(gan.DiscriminatorPart, 1e-3f);
        var gOpt = new Adam(gan.GeneratorPart, 1e-3f);
        var ring = Toy2D.EightGaussians(batch, seed: 1);
        var vaeSamples = new float[batch * 64];
        var ganSamples = new float[batch * 2];
        var rng = new Rng(2);
        var x = digits.GetRows(0, batch);
        for (int i = 0; i < 3; i++)
        {
            vae.TrainStep(x, adam);
            vae.Sample(new Span2D<float>(vaeSamples, batch, 64), rng);
            gan.TrainStep(ring.AsSpan2D(), dOpt, gOpt);
            gan.Sample(new Span2D<float>(ganSamples, batch, 2), rng);
        }
        long t0 = GC.GetAllocatedBytesForCurrentThread();
        vae.TrainStep(x, adam);
        long t1 = GC.GetAllocatedBytesForCurrentThread();
        vae.Sample(new Span2D<float>(vaeSamples, batch, 64), rng);
        long t2 = GC.GetAllocatedBytesForCurrentThread();
        gan.TrainStep(ring.AsSpan2D(), dOpt, gOpt);
        long t3 = GC.GetAllocatedBytesForCurrentThread();
        gan.Sample(new Span2D<float>(ganSamples, batch, 2), rng);
        long t4 = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, t1 - t0);
        Assert.Equal(0, t2 - t1);
        Assert.Equal(0, t3 - t2);
        Assert.Equal(0, t4 - t3);
    }
}

/// <summary>Checkpoints of the models that draw their own noise carry its position: a resumed run continues bit-identically.</summary>
public class NoisyCheckpointTests
{
    [Fact]
    public void VaeAndGanResumeBitIdentically()
    {
        var dir = Directory.CreateTempSubdirectory("gendsl-noise-");
        try
        {
            var digits = Digits.Load();
            var ring = Toy2D.EightGaussians(64, seed: 2);
            string vaePath = Path.Combine(dir.FullName, "vae.safetensors"), ganPath = Path.Combine(dir.FullName, "gan.safetensors");

            // 5 steps, save, 5 more steps (SGD without momentum: the optimizer has no state) …
            var vae = new DigitsVae(new ModelOptions { MaxBatch = 64, Seed = 1 });
            var sgd = new Sgd(vae, 1e-2f);
            for (int i = 0; i < 5; i++) vae.TrainStep(digits.GetRows(0, 64), sgd);
            vae.Save(vaePath);
            for (int i = 0; i < 5; i++) vae.TrainStep(digits.GetRows(0, 64), sgd);
            // … equals 5 steps of a fresh model loaded from the checkpoint.
            var resumed = new DigitsVae(new ModelOptions { MaxBatch = 64, Seed = 1 }); // the same seed: it also seeds the noise stream
            resumed.Load(vaePath);
            var sgd2 = new Sgd(resumed, 1e-2f);
            for (int i = 0; i < 5; i++) resumed.TrainStep(digits.GetRows(0, 64), sgd2);
            Assert.Equal(vae.Parameters.ToArray(), resumed.Parameters.ToArray());

            var gan = new RingGan(new ModelOptions { MaxBatch = 64, Seed = 1 });
            var d = new Sgd(gan.DiscriminatorPart, 1e-2f);
            var g = new Sgd(gan.GeneratorPart, 1e-2f);
            for (int i = 0; i < 5; i++) gan.TrainStep(ring.AsSpan2D(), d, g);
            gan.Save(ganPath);
            for (int i = 0; i < 5; i++) gan.TrainStep(ring.AsSpan2D(), d, g);
            var ganResumed = new RingGan(new ModelOptions { MaxBatch = 64, Seed = 1 });
            ganResumed.Load(ganPath);
            var d2 = new Sgd(ganResumed.DiscriminatorPart, 1e-2f);
            var g2 = new Sgd(ganResumed.GeneratorPart, 1e-2f);
            for (int i = 0; i < 5; i++) ganResumed.TrainStep(ring.AsSpan2D(), d2, g2);
            Assert.Equal(gan.Parameters.ToArray(), ganResumed.Parameters.ToArray());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
