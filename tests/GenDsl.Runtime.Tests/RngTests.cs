using GenDsl.Numerics;

namespace GenDsl.Runtime.Tests;

public class RngTests
{
    private static readonly int[] AwkwardSizes = [1, 2, 3, 17, 63, 64, 65, 257, 1023, 1024, 1025, 5000];

    private static SimdWidth[] Widths() =>
        new[] { SimdWidth.Scalar, SimdWidth.V128, SimdWidth.V256, SimdWidth.V512 }.Where(w => w <= Simd.Hardware).ToArray();

    private static T AtWidth<T>(SimdWidth width, Func<T> body)
    {
        var saved = Simd.Width;
        try
        {
            Simd.Width = width;
            return body();
        }
        finally
        {
            Simd.Width = saved;
        }
    }

    // ---- Philox known-answer tests (Random123 kat_vectors, philox4x32_10) ----

    public static TheoryData<uint[], uint[], uint[]> KnownAnswers() => new()
    {
        { [0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
        { [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd] },
        { [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1] },
    };

    [Theory]
    [MemberData(nameof(KnownAnswers))]
    public void PhiloxBlockMatchesRandom123KnownAnswers(uint[] counter, uint[] key, uint[] expected)
    {
        var (r0, r1, r2, r3) = Philox.Block(counter[0], counter[1], counter[2], counter[3], key[0], key[1]);
        Assert.Equal(expected, new[] { r0, r1, r2, r3 });

        // The (seed, stream, block) form maps key → seed, counter words 0–1 → block, 2–3 → stream.
        ulong seed = key[0] | (ulong)key[1] << 32;
        ulong block = counter[0] | (ulong)counter[1] << 32;
        ulong stream = counter[2] | (ulong)counter[3] << 32;
        Assert.Equal((expected[0], expected[1], expected[2], expected[3]), Philox.Block(seed, stream, block));
    }

    [Theory]
    [MemberData(nameof(KnownAnswers))]
    public void VectorisedPhiloxMatchesKnownAnswersAtEveryWidth(uint[] counter, uint[] key, uint[] expected)
    {
        ulong seed = key[0] | (ulong)key[1] << 32;
        ulong block = counter[0] | (ulong)counter[1] << 32;
        ulong stream = counter[2] | (ulong)counter[3] << 32;
        foreach (var width in Widths())
        {
            // 40 blocks: two full 16-block iterations of the widest path plus a scalar tail; the block index
            // wraps past 2^64 − 1 for the all-ones vector.
            var words = AtWidth(width, () =>
            {
                var w = new uint[160];
                Philox.FillBlocks(seed, stream, block, w);
                return w;
            });
            Assert.Equal(expected, words[..4]);
            for (int b = 0; b < 40; b++)
            {
                var (r0, r1, r2, r3) = Philox.Block(seed, stream, block + (ulong)b);
                Assert.True(words[4 * b] == r0 && words[4 * b + 1] == r1 && words[4 * b + 2] == r2 && words[4 * b + 3] == r3,
                    $"width {width}: block {b} differs from the scalar reference");
            }
        }
    }

    [Fact]
    public void PhiloxFillAtAnyPositionIsWordIOfTheStream()
    {
        const ulong seed = 0x1234_5678_9ABC_DEF0, stream = 7;
        foreach (var width in Widths())
            foreach (ulong position in new ulong[] { 0, 1, 2, 3, 5, 1_000_003 })
                foreach (int n in AwkwardSizes)
                {
                    var words = AtWidth(width, () =>
                    {
                        var w = new uint[n];
                        Philox.Fill(seed, stream, position, w);
                        return w;
                    });
                    for (int i = 0; i < n; i++)
                    {
                        ulong p = position + (ulong)i;
                        var (r0, r1, r2, r3) = Philox.Block(seed, stream, p / 4);
                        uint expected = (p % 4) switch { 0 => r0, 1 => r1, 2 => r2, _ => r3 };
                        Assert.True(expected == words[i], $"width {width}, position {position}, n {n}: word {i}");
                    }
                }
    }

    [Fact]
    public void FillBlocksRejectsPartialBlocks()
    {
        var ex = Assert.Throws<ArgumentException>(() => Philox.FillBlocks(1, 2, 3, new uint[6]));
        Assert.Equal("destination", ex.ParamName);
        Assert.Contains("6", ex.Message);
    }

    // ---- accuracy of the transforms (against double precision on the same words) ----

    [Fact]
    public void LogIsAccurateOnEveryUniformGridPoint()
    {
        // All 2^24 values Box–Muller can feed it: u = k·2^-24, k = 1 … 2^24.
        double worst = 0;
        for (int k = 1; k <= 1 << 24; k++)
        {
            float u = k * RandomKernels.Inv24;
            float got = RandomKernels.Log<ScalarLanes, float, uint>(u);
            double expected = Math.Log((double)u);
            double error = Math.Abs(got - expected) / Math.Max(Math.Abs(expected), 1e-30);
            if (k == 1 << 24)
                Assert.Equal(0f, got); // ln 1 = 0 exactly, so the radius is 0 rather than NaN
            else if (error > worst)
                worst = error;
        }
        Assert.True(worst < 3e-7, $"worst relative error of ln: {worst:E3}");
    }

    [Fact]
    public void SinCosAreAccurateOnEveryAngleGridPoint()
    {
        double worst = 0;
        for (uint k = 0; k < 1u << 24; k++)
        {
            RandomKernels.SinCosTurns<ScalarLanes, float, uint>(k, out float s, out float c);
            double theta = 2 * Math.PI * k / 16777216.0;
            worst = Math.Max(worst, Math.Max(Math.Abs(s - Math.Sin(theta)), Math.Abs(c - Math.Cos(theta))));
        }
        Assert.True(worst < 2.5e-7, $"worst absolute error of sin/cos: {worst:E3}");
    }

    [Fact]
    public void NormalsMatchDoublePrecisionBoxMullerOnTheSameWords()
    {
        const ulong seed = 99, stream = 3;
        const int n = 200_000;
        var z = new float[n];
        Rng.FillNormal(seed, stream, 0, z);
        var words = new uint[n];
        Philox.Fill(seed, stream, 0, words);
        double worst = 0;
        for (int j = 0; j < n; j += 2)
        {
            double u1 = ((words[j] >> 8) + 1) / 16777216.0;
            double theta = 2 * Math.PI * (words[j + 1] >> 8) / 16777216.0;
            double r = Math.Sqrt(-2 * Math.Log(u1));
            worst = Math.Max(worst, Math.Abs(z[j] - r * Math.Cos(theta)));
            worst = Math.Max(worst, Math.Abs(z[j + 1] - r * Math.Sin(theta)));
        }
        Assert.True(worst < 2e-6, $"worst absolute error of the normals: {worst:E3}");
    }

    // ---- statistics ----

    [Fact]
    public void NormalFillHasStandardMoments()
    {
        const int n = 1_000_000;
        var z = new float[n];
        new Rng(seed: 2024).FillNormal(z);
        double sum = 0, sum2 = 0, sum4 = 0, lag = 0;
        int within1 = 0, within2 = 0, within3 = 0;
        for (int i = 0; i < n; i++)
        {
            double x = z[i];
            sum += x; sum2 += x * x; sum4 += x * x * x * x;
            if (i > 0) lag += x * z[i - 1];
            double a = Math.Abs(x);
            if (a < 1) within1++;
            if (a < 2) within2++;
            if (a < 3) within3++;
        }
        double mean = sum / n, variance = sum2 / n - mean * mean;
        // Tolerances: 5 standard errors. se(mean) = 1/√n, se(var) ≈ √(2/n), se(E z⁴) = √(96/n), se(lag-1) = 1/√n.
        Assert.InRange(mean, -5 / Math.Sqrt(n), 5 / Math.Sqrt(n));
        Assert.InRange(variance, 1 - 5 * Math.Sqrt(2.0 / n), 1 + 5 * Math.Sqrt(2.0 / n));
        Assert.InRange(sum4 / n, 3 - 5 * Math.Sqrt(96.0 / n), 3 + 5 * Math.Sqrt(96.0 / n));
        Assert.InRange(lag / n, -5 / Math.Sqrt(n), 5 / Math.Sqrt(n)); // includes the cos/sin pairs
        // P(|z| < k) for k = 1, 2, 3, with binomial standard errors.
        foreach (var (count, p) in new[] { (within1, 0.682689492137086), (within2, 0.954499736103642), (within3, 0.997300203936740) })
        {
            double se = Math.Sqrt(p * (1 - p) / n);
            Assert.InRange((double)count / n, p - 5 * se, p + 5 * se);
        }
    }

    [Fact]
    public void NormalFillHonoursMeanAndStd()
    {
        const int n = 200_000;
        var z = new float[n];
        new Rng(5).FillNormal(z, mean: 3f, std: 0.5f);
        double mean = z.Average(x => (double)x);
        double sd = Math.Sqrt(z.Sum(x => ((double)x - mean) * ((double)x - mean)) / n);
        Assert.InRange(mean, 3 - 5 * 0.5 / Math.Sqrt(n), 3 + 5 * 0.5 / Math.Sqrt(n));
        Assert.InRange(sd, 0.5 * (1 - 5 / Math.Sqrt(2.0 * n)), 0.5 * (1 + 5 / Math.Sqrt(2.0 * n)));
    }

    [Fact]
    public void UniformFillIsInUnitIntervalWithMeanHalf()
    {
        const int n = 1_000_000;
        var u = new float[n];
        new Rng(seed: 77, stream: 1).FillUniform(u);
        double sum = 0, sum2 = 0;
        float min = float.MaxValue, max = float.MinValue;
        foreach (float x in u)
        {
            sum += x; sum2 += (double)x * x;
            min = Math.Min(min, x); max = Math.Max(max, x);
        }
        double mean = sum / n, variance = sum2 / n - mean * mean;
        double se = Math.Sqrt(1.0 / 12 / n);
        Assert.InRange(mean, 0.5 - 5 * se, 0.5 + 5 * se);
        Assert.InRange(variance, 1.0 / 12 - 5 * Math.Sqrt(1.0 / 180 / n), 1.0 / 12 + 5 * Math.Sqrt(1.0 / 180 / n));
        Assert.True(min >= 0f, $"min {min}");
        Assert.True(max < 1f, $"max {max}");
        Assert.True(min < 1e-4f && max > 1 - 1e-4f, "the whole interval is covered");
    }

    [Fact]
    public void UniformRangeStaysBelowHighEvenWhenRoundingWouldReachIt()
    {
        // The largest word gives u = 1 − 2⁻²⁴; 1 + u·(2 − 1) rounds to 2 in float, and must be clamped.
        float x = RandomKernels.UniformRange<ScalarLanes, float, uint>(uint.MaxValue, 1f, 1f, MathF.BitDecrement(2f));
        Assert.True(x < 2f && x >= 1f, $"{x}");
        var values = new float[100_000];
        new Rng(8).FillUniform(values, -3f, 5f);
        Assert.All(values, v => Assert.InRange(v, -3f, MathF.BitDecrement(5f)));
        Assert.InRange(values.Average(v => (double)v), 1 - 0.05, 1 + 0.05);
        // A degenerate range gives its single value.
        new Rng(8).FillUniform(values, 2f, 2f);
        Assert.All(values, v => Assert.Equal(2f, v));
    }

    // ---- reproducibility ----

    [Fact]
    public void ChunkedFillsEqualOneBigFill()
    {
        const ulong seed = 31337, stream = 4;
        const int n = 10_007;
        var rnd = new System.Random(1);
        foreach (ulong start in new ulong[] { 0, 1, 2, 3 })
        {
            var normal = new float[n];
            var uniform = new float[n];
            Rng.FillNormal(seed, stream, start, normal);
            Rng.FillUniform(seed, stream, start, uniform, -1f, 1f);

            // Random chunk boundaries (odd and even), static helpers.
            var normalChunks = new float[n];
            var uniformChunks = new float[n];
            for (int i = 0; i < n;)
            {
                int len = Math.Min(n - i, rnd.Next(1, 700));
                Rng.FillNormal(seed, stream, start + (ulong)i, normalChunks.AsSpan(i, len));
                Rng.FillUniform(seed, stream, start + (ulong)i, uniformChunks.AsSpan(i, len), -1f, 1f);
                i += len;
            }
            Assert.Equal(normal, normalChunks);
            Assert.Equal(uniform, uniformChunks);

            // The instance API, mixing fills and single draws.
            var g = new Rng(seed, stream) { Position = start };
            var mixed = new float[n];
            for (int i = 0; i < n;)
            {
                int len = Math.Min(n - i, rnd.Next(1, 40));
                if (len < 5)
                    for (int k = 0; k < len; k++)
                        mixed[i + k] = g.NextNormal();
                else
                    g.FillNormal(mixed.AsSpan(i, len));
                i += len;
            }
            Assert.Equal(normal, mixed);
            Assert.Equal(start + n, g.Position);
        }
    }

    [Fact]
    public void SingleDrawsEqualFills()
    {
        var fillU = new float[101];
        var fillR = new float[101];
        var fillN = new float[101];
        var a = new Rng(12, 3) { Position = 5 };
        a.FillUniform(fillU);
        a.FillUniform(fillR, -2f, 7f);
        a.FillNormal(fillN, 1f, 2f);
        var b = new Rng(12, 3) { Position = 5 };
        for (int i = 0; i < 101; i++) Assert.Equal(fillU[i], b.NextUniform());
        for (int i = 0; i < 101; i++) Assert.Equal(fillR[i], b.NextUniform(-2f, 7f));
        for (int i = 0; i < 101; i++) Assert.Equal(fillN[i], b.NextNormal(1f, 2f));
        Assert.Equal(a.Position, b.Position);
        Assert.Equal(5UL + 303, b.Position);
    }

    [Fact]
    public void EveryWidthIsBitIdenticalToScalar()
    {
        foreach (ulong position in new ulong[] { 0, 1, 2, 3 })
            foreach (int n in AwkwardSizes)
            {
                float[] Run(SimdWidth w, int kind) => AtWidth(w, () =>
                {
                    var d = new float[n];
                    if (kind == 0) Rng.FillUniform(42, 9, position, d);
                    else if (kind == 1) Rng.FillUniform(42, 9, position, d, -0.25f, 3.5f);
                    else Rng.FillNormal(42, 9, position, d, 0.5f, 1.5f);
                    return d;
                });
                for (int kind = 0; kind < 3; kind++)
                {
                    var scalar = Run(SimdWidth.Scalar, kind);
                    foreach (var w in Widths())
                    {
                        var got = Run(w, kind);
                        for (int i = 0; i < n; i++)
                            Assert.True(BitConverter.SingleToUInt32Bits(scalar[i]) == BitConverter.SingleToUInt32Bits(got[i]),
                                $"kind {kind}, width {w}, position {position}, n {n}, element {i}: {got[i]} vs scalar {scalar[i]}");
                    }
                }
            }
    }

    [Fact]
    public void SameSeedSameNumbersOtherStreamOrSeedOtherNumbers()
    {
        float[] Draw(ulong seed, ulong stream)
        {
            var d = new float[1000];
            new Rng(seed, stream).FillNormal(d);
            return d;
        }
        Assert.Equal(Draw(1, 0), Draw(1, 0));
        var baseline = Draw(1, 0);
        foreach (var other in new[] { Draw(1, 1), Draw(2, 0), Draw(1UL << 32, 0), Draw(1, 1UL << 32) })
        {
            int equal = baseline.Zip(other).Count(p => p.First == p.Second);
            Assert.True(equal < 5, $"{equal} of 1000 equal");
        }
    }

    [Fact]
    public void PositionCanBeRestoredToReplay()
    {
        var g = new Rng(3);
        g.Position = 1234;
        float a = g.NextNormal(), b = g.NextUniform();
        uint c = g.NextUInt32();
        Assert.Equal(1237UL, g.Position);
        g.Position = 1234;
        Assert.Equal(a, g.NextNormal());
        Assert.Equal(b, g.NextUniform());
        Assert.Equal(c, g.NextUInt32());
        Assert.Equal(3UL, g.Seed);
        Assert.Equal(0UL, g.Stream);
    }

    // ---- integers and shuffles ----

    [Fact]
    public void NextIntIsInRangeAndUniform()
    {
        var g = new Rng(10);
        const int k = 7, n = 70_000;
        var counts = new int[k];
        for (int i = 0; i < n; i++)
            counts[g.NextInt(k)]++;
        double expected = (double)n / k, se = Math.Sqrt(n * (1.0 / k) * (1 - 1.0 / k));
        Assert.All(counts, c => Assert.InRange(c, expected - 5 * se, expected + 5 * se));
        Assert.Equal(0, g.NextInt(1));
        for (int i = 0; i < 1000; i++)
            Assert.InRange(g.NextInt(int.MaxValue), 0, int.MaxValue - 1);
        // Large ranges: the top half must be hit about half the time (a modulo bug would skew this).
        int high = 0;
        const int big = 1_500_000_000;
        for (int i = 0; i < 20_000; i++)
            if (g.NextInt(big) >= big / 2) high++;
        Assert.InRange(high, 10_000 - 5 * 71, 10_000 + 5 * 71);
    }

    [Fact]
    public void ShuffleIsAUniformPermutation()
    {
        var g = new Rng(11);
        var firstPosition = new int[5];
        var p = new int[5];
        const int trials = 50_000;
        for (int t = 0; t < trials; t++)
        {
            g.Permutation(p);
            Assert.Equal([0, 1, 2, 3, 4], p.Order().ToArray());
            firstPosition[Array.IndexOf(p, 0)]++;
        }
        double expected = trials / 5.0, se = Math.Sqrt(trials * 0.2 * 0.8);
        Assert.All(firstPosition, c => Assert.InRange(c, expected - 5 * se, expected + 5 * se));

        var big = Enumerable.Range(0, 1000).ToArray();
        new Rng(12).Shuffle(big);
        Assert.Equal(Enumerable.Range(0, 1000), big.Order());
        Assert.NotEqual(Enumerable.Range(0, 1000), big);
        var again = Enumerable.Range(0, 1000).ToArray();
        new Rng(12).Shuffle(again);
        Assert.Equal(big, again);
        new Rng(1).Shuffle(Span<int>.Empty); // no-op
    }

    [Fact]
    public void BadArgumentsAreRejectedWithTheirNames()
    {
        var g = new Rng(1);
        Assert.Equal("maxExclusive", Assert.Throws<ArgumentOutOfRangeException>(() => g.NextInt(0)).ParamName);
        Assert.Equal("maxExclusive", Assert.Throws<ArgumentOutOfRangeException>(() => g.NextInt(-3)).ParamName);
        Assert.Equal("low", Assert.Throws<ArgumentException>(() => g.FillUniform(new float[3], 2f, 1f)).ParamName);
        Assert.Equal("low", Assert.Throws<ArgumentException>(() => g.NextUniform(0f, float.PositiveInfinity)).ParamName);
        Assert.Equal("low", Assert.Throws<ArgumentException>(() => g.NextUniform(-float.MaxValue, float.MaxValue)).ParamName);
        Assert.Equal("std", Assert.Throws<ArgumentException>(() => g.FillNormal(new float[3], 0f, -1f)).ParamName);
        Assert.Equal("mean", Assert.Throws<ArgumentException>(() => g.NextNormal(float.NaN, 1f)).ParamName);
        Assert.Equal(0UL, g.Position); // nothing consumed by failed calls
    }

    [Fact]
    public void SteadyStateFillsAndDrawsAllocateNothing()
    {
        var g = new Rng(1);
        var buffer = new float[4099];
        var ints = new int[100];
        void Work()
        {
            g.FillNormal(buffer);
            g.FillUniform(buffer, -1f, 1f);
            g.FillUniform(buffer);
            Rng.FillNormal(5, 6, 7, buffer.AsSpan(1, 1001));
            g.NextNormal();
            g.NextUniform();
            g.NextInt(17);
            g.Permutation(ints);
        }
        Work();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Work();
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);
    }
}
