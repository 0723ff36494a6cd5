using CommunityToolkit.HighPerformance;
using GenDsl.Cli.Models;

namespace GenDsl.Cli.Tests;

/// <summary>The dequantise + logit transform of pixel data: invertible on the pixel grid, with the right log-determinant.</summary>
public class TransformTests
{
    [Fact]
    public void PixelsSurviveTheRoundTrip()
    {
        var transform = DataTransform.DequantizeLogit(levels: 17);
        const int rows = 3, cols = 17;
        var x = new float[rows * cols];
        for (int i = 0; i < x.Length; i++) x[i] = (i % 17) / 16f; // every level
        var z = new float[x.Length];
        var back = new float[x.Length];
        var logDet = new float[rows];
        transform.ToModel(new ReadOnlySpan2D<float>(x, rows, cols), new Span2D<float>(z, rows, cols), logDet, new Rng(1));
        transform.ToData(new ReadOnlySpan2D<float>(z, rows, cols), new Span2D<float>(back, rows, cols));
        Assert.Equal(x, back);
        Assert.All(z, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void LogDetMatchesANumericalDerivative()
    {
        // One pixel: logDet = ln dz/dv − ln L, with v = (k + u)/L. Check dz/dv by central differences in double.
        const int levels = 17;
        const double alpha = 0.05;
        var transform = DataTransform.DequantizeLogit(levels, (float)alpha);
        var x = new[] { 5f / 16 };
        var z = new float[1];
        var logDet = new float[1];
        var rng = new Rng(7);
        transform.ToModel(new ReadOnlySpan2D<float>(x, 1, 1), new Span2D<float>(z, 1, 1), logDet, rng);
        double u = new Rng(7).NextUniform();
        double v = (5 + u) / levels;
        static double Z(double v) { double s = alpha + (1 - 2 * alpha) * v; return Math.Log(s / (1 - s)); }
        Assert.Equal(Z(v), z[0], 1e-5);
        double h = 1e-6;
        double derivative = (Z(v + h) - Z(v - h)) / (2 * h);
        Assert.Equal(Math.Log(derivative) - Math.Log(levels), logDet[0], 1e-4);
    }
}
