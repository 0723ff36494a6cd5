using CommunityToolkit.HighPerformance;

namespace GenDsl.Models.Tests.Robustness;

/// <summary>
/// Issue #15: a generated model used from two threads at once fails fast with a message naming the fix
/// (instead of silently mixing two calls' activations), and a NaN or infinite input is rejected with its
/// argument, row and column before anything is computed or updated (unless <see cref="ModelOptions.CheckFinite"/> is off).
/// </summary>
public class ModelCallTests
{
    /// <summary>An optimizer whose <see cref="Step"/> holds the calling thread inside the model's TrainStep until released.</summary>
    private sealed class BlockingOptimizer(IParameterized target) : Optimizer(target)
    {
        public readonly ManualResetEventSlim Entered = new(false);
        public readonly ManualResetEventSlim Release = new(false);
        public override Span<float> State => Span<float>.Empty;

        public override void Step()
        {
            Entered.Set();
            if (!Release.Wait(TimeSpan.FromSeconds(30)))
                throw new TimeoutException("the test never released the optimizer");
        }
    }

    /// <summary>Runs <paramref name="inside"/> on another thread, waits until it is inside the model (in the optimizer's step), runs <paramref name="meanwhile"/> here, then lets it finish.</summary>
    private static void WhileAnotherThreadIsInside(BlockingOptimizer blocking, Action inside, Action meanwhile)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { inside(); }
            catch (Exception e) { failure = e; }
        });
        thread.Start();
        try
        {
            Assert.True(blocking.Entered.Wait(TimeSpan.FromSeconds(30)), "the other thread never reached the optimizer step");
            meanwhile();
        }
        finally
        {
            blocking.Release.Set();
            thread.Join();
        }
        Assert.Null(failure); // the call that was first in finished normally
    }

    private static float[,] Moons(int rows)
    {
        var data = Data.Toy2D.TwoMoons(rows, seed: 5, noise: 0.05);
        var a = new float[rows, 2];
        data.AsSpan2D().CopyTo(new Span2D<float>(a));
        return a;
    }

    [Fact]
    public void AFlowCalledFromASecondThreadDuringTrainStepThrowsAndTheFirstCallFinishes()
    {
        var flow = new MoonsFlow(new ModelOptions { MaxBatch = 64, Seed = 1 });
        var blocking = new BlockingOptimizer(flow);
        var batch = Moons(64);
        var logp = new float[64];
        WhileAnotherThreadIsInside(blocking,
            () => flow.TrainStep(new ReadOnlySpan2D<float>(batch), blocking),
            () =>
            {
                var e = Assert.Throws<InvalidOperationException>(() => flow.LogProb(new ReadOnlySpan2D<float>(batch), logp));
                Assert.Contains("MoonsFlow is in use by thread", e.Message);
                Assert.Contains("Give each thread its own instance", e.Message);
                Assert.Throws<InvalidOperationException>(() => flow.Save(Path.Combine(Path.GetTempPath(), "never-written.safetensors")));
                Assert.Throws<InvalidOperationException>(() => flow.TrainStep(new ReadOnlySpan2D<float>(batch), new Adam(flow, 1e-3f)));
            });

        // Released: this thread may use it now, and the results are those of a model never called concurrently.
        flow.LogProb(new ReadOnlySpan2D<float>(batch), logp);
        var twin = new MoonsFlow(new ModelOptions { MaxBatch = 64, Seed = 1 });
        var noOp = new BlockingOptimizer(twin);
        noOp.Release.Set();
        twin.TrainStep(new ReadOnlySpan2D<float>(batch), noOp);
        var expected = new float[64];
        twin.LogProb(new ReadOnlySpan2D<float>(batch), expected);
        Assert.Equal(expected, logp);
    }

    [Fact]
    public void AGanAndAVaeGuardEveryPublicCall()
    {
        var gan = new RingGan(new ModelOptions { MaxBatch = 32, Seed = 2 });
        var blocking = new BlockingOptimizer(gan);
        var batch = Moons(32);
        var samples = new float[32, 2];
        WhileAnotherThreadIsInside(blocking,
            () => gan.TrainStep(new ReadOnlySpan2D<float>(batch), blocking, new Adam(gan, 1e-3f)),
            () =>
            {
                var e = Assert.Throws<InvalidOperationException>(() => gan.Sample(new Span2D<float>(samples), new Rng(1)));
                Assert.Contains("RingGan is in use", e.Message);
                Assert.Throws<InvalidOperationException>(() => gan.ResetParameters(3));
            });
        gan.Sample(new Span2D<float>(samples), new Rng(1));

        var vae = new DigitsVae(new ModelOptions { MaxBatch = 16, Seed = 3 });
        var vaeBlocking = new BlockingOptimizer(vae);
        var digits = new float[16, 64];
        var elbo = new float[16];
        WhileAnotherThreadIsInside(vaeBlocking,
            () => vae.TrainStep(new ReadOnlySpan2D<float>(digits), vaeBlocking),
            () => Assert.Throws<InvalidOperationException>(() => vae.Elbo(new ReadOnlySpan2D<float>(digits), elbo)));
        vae.Elbo(new ReadOnlySpan2D<float>(digits), elbo);
    }

    [Fact]
    public void ACallThatThrowsReleasesTheModelForOtherThreads()
    {
        var flow = new MoonsFlow(new ModelOptions { MaxBatch = 8, Seed = 1 });
        Assert.Throws<ArgumentException>(() => flow.LogProb(new ReadOnlySpan2D<float>(new float[8, 3]), new float[8]));
        Exception? failure = null;
        var other = new Thread(() =>
        {
            try { flow.LogProb(new ReadOnlySpan2D<float>(Moons(8)), new float[8]); }
            catch (Exception e) { failure = e; }
        });
        other.Start();
        other.Join();
        Assert.Null(failure);
    }

    [Fact]
    public void ANaNInTheBatchIsNamedByRowAndColumnAndNothingIsUpdated()
    {
        var flow = new MoonsFlow(new ModelOptions { MaxBatch = 64, Seed = 1 });
        var adam = new Adam(flow, 1e-3f);
        var before = flow.Parameters.ToArray();
        var batch = Moons(64);
        batch[37, 1] = float.NaN;
        var e = Assert.Throws<ArgumentException>(() => flow.TrainStep(new ReadOnlySpan2D<float>(batch), adam));
        Assert.Contains("batch row 37, column 1 is NaN", e.Message);
        Assert.Contains("CheckFinite", e.Message);
        Assert.Equal("batch", e.ParamName);
        Assert.Equal(before, flow.Parameters.ToArray());
        Assert.Equal(0, adam.StepCount);

        batch[37, 1] = 0;
        batch[63, 0] = float.NegativeInfinity;
        e = Assert.Throws<ArgumentException>(() => flow.LogProb(new ReadOnlySpan2D<float>(batch), new float[64]));
        Assert.Contains("x row 63, column 0 is −∞", e.Message);
    }

    [Fact]
    public void AnInfiniteConditionOrLatentRowIsRejected()
    {
        var flow = new ConditionalMoonsFlow(new ModelOptions { MaxBatch = 4, Seed = 1 });
        var y = new float[4, 2];
        y[2, 0] = float.PositiveInfinity;
        var e = Assert.Throws<ArgumentException>(() => flow.LogProb(new ReadOnlySpan2D<float>(new float[4, 2]), new ReadOnlySpan2D<float>(y), new float[4]));
        Assert.Contains("y row 2, column 0 is +∞", e.Message);

        var vae = new DigitsVae(new ModelOptions { MaxBatch = 4, Seed = 1 });
        var z = new float[4, 8];
        z[1, 7] = float.NaN;
        e = Assert.Throws<ArgumentException>(() => vae.Decode(new ReadOnlySpan2D<float>(z), new Span2D<float>(new float[4, 64])));
        Assert.Contains("z row 1, column 7 is NaN", e.Message);
    }

    [Fact]
    public void LargeFiniteValuesWhoseRowSumOverflowsAreNotAnError()
    {
        var flow = new MoonsFlow(new ModelOptions { MaxBatch = 2, Seed = 1 });
        var batch = new float[,] { { float.MaxValue, float.MaxValue }, { 0, 0 } };
        flow.LogProb(new ReadOnlySpan2D<float>(batch), new float[2]); // finite inputs: no exception (the density may well be −∞)
    }

    [Fact]
    public void ABatchWithAPitchIsCheckedOnlyWhereItLies()
    {
        // Two columns of a three-column array: the third is outside the batch and may hold anything.
        var flow = new MoonsFlow(new ModelOptions { MaxBatch = 4, Seed = 1 });
        var wide = new float[4, 3];
        for (int r = 0; r < 4; r++)
            wide[r, 2] = float.NaN;
        var batch = new ReadOnlySpan2D<float>(wide).Slice(0, 0, 4, 2);
        flow.LogProb(batch, new float[4]);
        wide[3, 1] = float.PositiveInfinity;
        var e = Assert.Throws<ArgumentException>(() => flow.LogProb(new ReadOnlySpan2D<float>(wide).Slice(0, 0, 4, 2), new float[4]));
        Assert.Contains("x row 3, column 1 is +∞", e.Message);
    }

    [Fact]
    public void WithCheckFiniteOffANaNFlowsThroughAsInPyTorch()
    {
        var flow = new MoonsFlow(new ModelOptions { MaxBatch = 4, Seed = 1, CheckFinite = false });
        var batch = Moons(4);
        batch[0, 0] = float.NaN;
        var logp = new float[4];
        flow.LogProb(new ReadOnlySpan2D<float>(batch), logp);
        Assert.True(float.IsNaN(logp[0]));
        Assert.True(float.IsFinite(logp[1]));
    }
}
