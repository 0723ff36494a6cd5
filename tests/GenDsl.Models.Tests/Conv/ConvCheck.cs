using GenDsl.Models.Tests.Networks;
using Xunit.Abstractions;

namespace GenDsl.Models.Tests.ConvNets;

/// <summary>Comparisons that also report the worst error seen, relative to max(1, max |expected|) as RefNet.AssertClose.</summary>
internal static class ConvCheck
{
    /// <summary>Asserts max |e − a| ≤ tol · max(1, max |e|) and returns that max error divided by the scale.</summary>
    public static double Close(double[] expected, double[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1, expected.Select(Math.Abs).DefaultIfEmpty(0).Max());
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(expected[i] - actual[i]);
            Assert.True(err <= tol * scale, $"{what}[{i}]: expected {expected[i]}, got {actual[i]} (|err| {err:g3} > {tol * scale:g3})");
            worst = Math.Max(worst, err / scale);
        }
        return worst;
    }

    public static double Close(double expected, double actual, double tol, string what) => Close(new[] { expected }, new[] { actual }, tol, what);

    public static double[] Slice(double[] arena, TensorInfo t) => arena.AsSpan(t.Offset, t.Length).ToArray();

    public static double[] Slice(ReadOnlySpan<float> arena, TensorInfo t) => RefNet.ToDouble(arena.Slice(t.Offset, t.Length));

    /// <summary>The model's learned tensors (buffers have no gradient).</summary>
    public static IEnumerable<TensorInfo> Learned(IGenerativeModel model) => model.Tensors.Where(t => !t.IsBuffer);

    public static IEnumerable<TensorInfo> Buffers(IGenerativeModel model) => model.Tensors.Where(t => t.IsBuffer);

    /// <summary>Every learned tensor of the model belongs to exactly one of the reference's networks.</summary>
    public static void CoversEveryTensor(IGenerativeModel model, params RefNetwork[] networks)
    {
        var names = networks.SelectMany(n => n.TensorNames).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal(Learned(model).Select(t => t.Name).OrderBy(n => n, StringComparer.Ordinal), names.OrderBy(n => n, StringComparer.Ordinal));
    }

    /// <summary>
    /// The reference's analytic gradient of <paramref name="loss"/> against central finite differences (double,
    /// h = 1e-6) for every element of the named tensors; returns the worst relative error.
    /// </summary>
    public static double FiniteDifferences(IGenerativeModel model, IEnumerable<string> tensors, Func<double[], double> loss, double[] analytic, double[] p, double tol, ITestOutputHelper output, string what)
    {
        double worst = 0;
        foreach (var name in tensors)
        {
            var t = model.Tensors.Single(t => t.Name == name);
            var fd = new double[t.Length];
            for (int i = 0; i < t.Length; i++)
            {
                const double h = 1e-6;
                double saved = p[t.Offset + i];
                p[t.Offset + i] = saved + h;
                double up = loss(p);
                p[t.Offset + i] = saved - h;
                double down = loss(p);
                p[t.Offset + i] = saved;
                fd[i] = (up - down) / (2 * h);
            }
            worst = Math.Max(worst, Close(fd, Slice(analytic, t), tol, $"{what}: finite differences of {t.Name}"));
        }
        output.WriteLine($"{what}: reference gradient vs finite differences, max relative error {worst:g3}");
        return worst;
    }
}
