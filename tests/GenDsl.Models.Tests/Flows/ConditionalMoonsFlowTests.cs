using CommunityToolkit.HighPerformance;
using GenDsl.Data;

namespace GenDsl.Models.Tests.Flows;

/// <summary>p(X | which moon): samples drawn for a label land on that label's moon.</summary>
public class ConditionalMoonsFlowTests
{
    [Fact]
    public void SamplesFollowTheCondition()
    {
        const int batch = 256;
        var train = Toy2D.TwoMoons(10_000, seed: 31, noise: 0.05);
        var flow = new ConditionalMoonsFlow(new ModelOptions { MaxBatch = batch, Seed = 32 });
        var adam = new Adam(flow, 1e-3f);
        var sampler = new BatchSampler(train, batch, seed: 33);
        for (int step = 0; step < 1500; step++)
        {
            var x = sampler.Next();
            flow.TrainStep(x, sampler.CurrentOneHot(2), adam);
        }

        var reference = Toy2D.TwoMoons(2_000, seed: 34, noise: 0.05);
        var samples = new float[batch * 2];
        var y = new float[batch * 2];
        var rng = new Rng(35);
        for (int label = 0; label < 2; label++)
        {
            Array.Clear(y);
            for (int i = 0; i < batch; i++) y[2 * i + label] = 1f;
            flow.Sample(new Span2D<float>(samples, batch, 2), new ReadOnlySpan2D<float>(y, batch, 2), rng);
            int right = 0;
            for (int i = 0; i < batch; i++)
            {
                double best = double.MaxValue;
                int bestLabel = -1;
                for (int r = 0; r < reference.Rows; r++)
                {
                    var row = reference.Row(r);
                    double dx = samples[2 * i] - row[0], dy = samples[2 * i + 1] - row[1];
                    double d2 = dx * dx + dy * dy;
                    if (d2 < best) { best = d2; bestLabel = reference.Labels[r]; }
                }
                if (bestLabel == label) right++;
            }
            Assert.True(right >= 0.9 * batch, $"condition {label}: only {right}/{batch} samples lie on moon {label}");
        }
    }
}
