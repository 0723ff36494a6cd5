using CommunityToolkit.HighPerformance;
using GenDsl.Models.Tests.Networks;
using GenDsl.Threading;

namespace GenDsl.Models.Tests.ConvNets;

/// <summary>
/// The ready-made conv models (28×28 Fashion-MNIST shapes, random data, a few rows): no allocation per
/// step after warm-up, bit-identical results on 1 and 2 threads, checkpoints that restore parameters and
/// running statistics, and batches of the wrong shape refused with both numbers in the message.
/// </summary>
public class ConvModelBehaviourTests
{
    private const int Rows = 4;

    private static float[] Images(int rows, ulong seed)
    {
        var x = new float[rows * 784];
        new Rng(seed, 7).FillUniform(x, 0f, 1f);
        return x;
    }

    [Fact]
    public void ConvVaeTrainStepAndSampleAllocateNothing()
    {
        var vae = new FashionConvVae(new ModelOptions { MaxBatch = Rows, Seed = 1 });
        var adam = new Adam(vae, 1e-3f);
        var x = Images(Rows, 1);
        var samples = new float[Rows * 784];
        var rng = new Rng(2);
        for (int i = 0; i < 2; i++)
        {
            vae.TrainStep(new ReadOnlySpan2D<float>(x, Rows, 784), adam);
            vae.Sample(new Span2D<float>(samples, Rows, 784), rng);
        }
        long t0 = GC.GetAllocatedBytesForCurrentThread();
        vae.TrainStep(new ReadOnlySpan2D<float>(x, Rows, 784), adam);
        long t1 = GC.GetAllocatedBytesForCurrentThread();
        vae.Sample(new Span2D<float>(samples, Rows, 784), rng);
        long t2 = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, t1 - t0);
        Assert.Equal(0, t2 - t1);
    }

    [Fact]
    public void DcganTrainStepAndSampleAllocateNothing()
    {
        var gan = new FashionDcgan(new ModelOptions { MaxBatch = Rows, Seed = 1 });
        var d = new Adam(gan.DiscriminatorPart, 2e-4f, 0.5f);
        var g = new Adam(gan.GeneratorPart, 2e-4f, 0.5f);
        var x = Images(Rows, 1);
        var samples = new float[Rows * 784];
        var rng = new Rng(2);
        for (int i = 0; i < 2; i++)
        {
            gan.TrainStep(new ReadOnlySpan2D<float>(x, Rows, 784), d, g);
            gan.Sample(new Span2D<float>(samples, Rows, 784), rng);
        }
        long t0 = GC.GetAllocatedBytesForCurrentThread();
        gan.TrainStep(new ReadOnlySpan2D<float>(x, Rows, 784), d, g);
        long t1 = GC.GetAllocatedBytesForCurrentThread();
        gan.Sample(new Span2D<float>(samples, Rows, 784), rng);
        long t2 = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, t1 - t0);
        Assert.Equal(0, t2 - t1);
    }

    /// <summary>Three Adam steps of FashionDcgan on a pool of <paramref name="threads"/>: the losses, parameters and running statistics.</summary>
    private static (GanLosses[] Losses, float[] Parameters, float[] Buffers) DcganRun(int threads)
    {
        using var pool = new WorkerPool(threads);
        var gan = new FashionDcgan(new ModelOptions { MaxBatch = Rows, Seed = 3, Pool = pool });
        var d = new Adam(gan.DiscriminatorPart, 2e-4f, 0.5f);
        var g = new Adam(gan.GeneratorPart, 2e-4f, 0.5f);
        var losses = new GanLosses[3];
        for (int i = 0; i < losses.Length; i++)
            losses[i] = gan.TrainStep(new ReadOnlySpan2D<float>(Images(Rows, (ulong)i), Rows, 784), d, g);
        return (losses, gan.Parameters.ToArray(), gan.Buffers.ToArray());
    }

    [Fact]
    public void DcganIsBitIdenticalOnOneAndTwoThreads()
    {
        var one = DcganRun(1);
        var two = DcganRun(2);
        for (int i = 0; i < one.Losses.Length; i++)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(one.Losses[i].Discriminator), BitConverter.SingleToInt32Bits(two.Losses[i].Discriminator));
            Assert.Equal(BitConverter.SingleToInt32Bits(one.Losses[i].Generator), BitConverter.SingleToInt32Bits(two.Losses[i].Generator));
        }
        Assert.Equal(one.Parameters, two.Parameters);
        Assert.Equal(one.Buffers, two.Buffers);
    }

    [Fact]
    public void DcganCheckpointRestoresParametersAndRunningStatistics()
    {
        var dir = Directory.CreateTempSubdirectory("gendsl-conv-");
        try
        {
            var gan = new FashionDcgan(new ModelOptions { MaxBatch = Rows, Seed = 4 });
            var d = new Sgd(gan.DiscriminatorPart, 1e-2f);
            var g = new Sgd(gan.GeneratorPart, 1e-2f);
            for (int i = 0; i < 2; i++) gan.TrainStep(new ReadOnlySpan2D<float>(Images(Rows, (ulong)i), Rows, 784), d, g);
            var runningVar = FashionDcgan.Tensors.Single(t => t.Name == "G5.running_var");
            Assert.Contains(gan.Buffers.Span.Slice(runningVar.Offset, runningVar.Length).ToArray(), v => v != 1f); // the steps moved them

            string path = Path.Combine(dir.FullName, "dcgan.safetensors");
            gan.Save(path);
            var loaded = new FashionDcgan(new ModelOptions { MaxBatch = Rows, Seed = 99 });
            Assert.NotEqual(gan.Parameters.ToArray(), loaded.Parameters.ToArray());
            loaded.Load(path);
            Assert.Equal(gan.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits), loaded.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(gan.Buffers.ToArray().Select(BitConverter.SingleToInt32Bits), loaded.Buffers.ToArray().Select(BitConverter.SingleToInt32Bits));

            // The restored statistics are the ones evaluation uses: the same samples from the same noise.
            var a = new float[Rows * 784];
            var b = new float[Rows * 784];
            gan.Sample(new Span2D<float>(a, Rows, 784), new Rng(5));
            loaded.Sample(new Span2D<float>(b, Rows, 784), new Rng(5));
            Assert.Equal(a, b);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static void Refused(Action call, params int[] numbers)
    {
        var e = Assert.ThrowsAny<ArgumentException>(call);
        foreach (int n in numbers)
            Assert.Contains(n.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
    }

    [Fact]
    public void WrongShapedBatchesAreRefusedNamingBothNumbers()
    {
        var gan = new ConvBnGan(new ModelOptions { MaxBatch = 8, Seed = 1 });
        var d = new NoStep(gan.DiscriminatorPart);
        var g = new NoStep(gan.GeneratorPart);
        Refused(() => gan.TrainStep(new ReadOnlySpan2D<float>(new float[4 * 35], 4, 35), d, g), 35, 36);
        Refused(() => gan.TrainStep(new ReadOnlySpan2D<float>(new float[9 * 36], 9, 36), d, g), 9, 8);
        Refused(() => gan.Sample(new Span2D<float>(new float[4 * 37], 4, 37), new Rng(1)), 37, 36);
        Refused(() => gan.Discriminate(new ReadOnlySpan2D<float>(new float[4 * 36], 4, 36), new float[3]), 3, 4);

        var cgan = new ConvCgan(new ModelOptions { MaxBatch = 8, Seed = 1 });
        Refused(() => cgan.TrainStep(new ReadOnlySpan2D<float>(new float[4 * 25], 4, 25), new ReadOnlySpan2D<float>(new float[4 * 3], 4, 3),
            new NoStep(cgan.DiscriminatorPart), new NoStep(cgan.GeneratorPart)), 3, 2);

        var vae = new ConvBernoulliVae(new ModelOptions { MaxBatch = 8, Seed = 1 });
        Refused(() => vae.Backward(new ReadOnlySpan2D<float>(new float[4 * 35], 4, 35)), 35, 36);
        Refused(() => vae.Decode(new ReadOnlySpan2D<float>(new float[4 * 2], 4, 2), new Span2D<float>(new float[4 * 36], 4, 36)), 2, 3);
        Refused(() => vae.Reconstruct(new ReadOnlySpan2D<float>(new float[4 * 36], 4, 36), new Span2D<float>(new float[4 * 30], 4, 30)), 30, 36);

        var cvae = new ConvCvae(new ModelOptions { MaxBatch = 8, Seed = 1 });
        Refused(() => cvae.Backward(new ReadOnlySpan2D<float>(new float[4 * 25], 4, 25), new ReadOnlySpan2D<float>(new float[3 * 2], 3, 2)), 3, 4);
        Refused(() => cvae.Backward(new ReadOnlySpan2D<float>(new float[4 * 24], 4, 24), new ReadOnlySpan2D<float>(new float[4 * 2], 4, 2)), 24, 25);
    }
}
